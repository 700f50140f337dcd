package httpapi_test

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
)

const (
	idempotencyKey = "5f0c3e0e-2b7c-4d8e-9a41-6f0b1c2d3e4f"
	updateBody     = `{"name":"Nightly backups","secret":"` + testSecret + `"}`
)

// idempotentRoute is an operation that keeps its answers for an Idempotency-Key, with bodies to
// send to it.
type idempotentRoute struct {
	name, method, path string
	// method is the service method the operation calls.
	service string
	body    string
	// equivalents are bodies that ask for the same thing as body, written differently.
	equivalents map[string]string
	// other asks for something else.
	other string
}

// idempotentRoutes are POST /bucket and PUT /bucket/{bucketId}.
func idempotentRoutes(t testing.TB) []idempotentRoute {
	create := validRequest()
	delete(create, "endpoint")
	other := validRequest()
	other["name"] = "Another bucket"
	return []idempotentRoute{
		{
			name: "create", method: http.MethodPost, path: "/bucket", service: "Create",
			body: mustJSON(t, create),
			// The validator re-encodes a body it fills a default into (sorting its members), so
			// the reordered body states the default itself to reach the middleware as written.
			equivalents: map[string]string{
				"fields in another order": `{ "workspaceId": "` + workspaceID + `", "region": "us-east-1", "validation": "read", "secret": "` +
					testSecret + `", "key": "` + testKey + `", "storageType": "S3", "bucket": "my-bucket-name", "name": "My S3 Bucket" }`,
				"the default written out": strings.Replace(mustJSON(t, create), "{", `{"validation":"read",`, 1),
			},
			other: mustJSON(t, other),
		},
		{
			name: "update", method: http.MethodPut, path: "/bucket/" + newBucketID, service: "Update",
			body: updateBody,
			equivalents: map[string]string{
				"fields in another order": `{"validation": "read", "secret": "` + testSecret + `",  "name": "Nightly backups"}`,
				"the default written out": `{"validation":"read","name":"Nightly backups","secret":"` + testSecret + `"}`,
			},
			other: `{"name":"Weekly backups","secret":"` + testSecret + `"}`,
		},
	}
}

// request is an authenticated request to the route with body and, unless key is empty, the
// Idempotency-Key.
func (r idempotentRoute) request(body, key string) *http.Request {
	req := apiRequest(r.method, r.path, body)
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	return req
}

// answerWith makes the fake service answer the route's calls through fn: its error, or
// success when it returns nil.
func (r idempotentRoute) answerWith(h *harness, fn func() error) {
	h.buckets.respond = func(app.BucketInput) (app.CreateResult, error) {
		if err := fn(); err != nil {
			return app.CreateResult{}, err
		}
		return app.CreateResult{BucketID: newBucketID, Status: domain.StatusOnline}, nil
	}
	h.buckets.update = func(id string, _ app.UpdateInput) (app.UpdateResult, error) {
		if err := fn(); err != nil {
			return app.UpdateResult{}, err
		}
		return app.UpdateResult{BucketID: id, Status: domain.StatusOnline, Latency: 184 * time.Millisecond}, nil
	}
}

// wantCalls fails unless the service received n calls, all of the route's method.
func (r idempotentRoute) wantCalls(t testing.TB, h *harness, n int) {
	t.Helper()
	calls := h.buckets.received()
	if len(calls) != n {
		t.Fatalf("the service received %v, want %d %s calls", methodsOf(calls), n, r.service)
	}
	for _, c := range calls {
		if c.method != r.service {
			t.Fatalf("the service received %v, want only %s", methodsOf(calls), r.service)
		}
	}
}

// wantReplay fails unless replay repeats first exactly and says it is a replay.
func wantReplay(t testing.TB, first, replay response) {
	t.Helper()
	if replay.status != first.status || string(replay.body) != string(first.body) {
		t.Errorf("replay = %d %s, want the first answer %d %s", replay.status, replay.body, first.status, first.body)
	}
	if got, want := replay.header.Get("Content-Type"), first.header.Get("Content-Type"); got != want {
		t.Errorf("replay Content-Type = %q, want the first answer's %q", got, want)
	}
	if got := replay.header.Get("Idempotent-Replayed"); got != "true" {
		t.Errorf("replay Idempotent-Replayed = %q, want true", got)
	}
}

// wantFresh fails if res says it is a replay.
func wantFresh(t testing.TB, res response) {
	t.Helper()
	if got := res.header.Get("Idempotent-Replayed"); got != "" {
		t.Errorf("Idempotent-Replayed = %q on an answer that is not a replay", got)
	}
}

func TestIdempotencyKeyReplaysTheFirstAnswer(t *testing.T) {
	for _, route := range idempotentRoutes(t) {
		retries := map[string]string{"the same body": route.body}
		for name, body := range route.equivalents {
			retries[name] = body
		}
		for name, retry := range retries {
			t.Run(route.name+", "+name, func(t *testing.T) {
				h := newHarness(t)
				first := h.serve(t, route.request(route.body, idempotencyKey))
				wantStatus(t, first, http.StatusOK)
				wantFresh(t, first)

				replay := h.serve(t, route.request(retry, idempotencyKey))
				wantReplay(t, first, replay)
				route.wantCalls(t, h, 1)
				want := []storeOp{
					{"Begin", testPrincipal.OrgID, idempotencyKey},
					{"Complete", testPrincipal.OrgID, idempotencyKey},
					{"Begin", testPrincipal.OrgID, idempotencyKey},
				}
				if got := h.idem.calls(); !reflect.DeepEqual(got, want) {
					t.Errorf("store calls = %v, want %v", got, want)
				}
			})
		}
	}
}

func TestIdempotencyKeyReusedForAnotherRequestIsRefused(t *testing.T) {
	for _, route := range idempotentRoutes(t) {
		t.Run(route.name, func(t *testing.T) {
			h := newHarness(t)
			first := h.serve(t, route.request(route.body, idempotencyKey))
			wantStatus(t, first, http.StatusOK)

			res := h.serve(t, route.request(route.other, idempotencyKey))
			wantError(t, res, http.StatusUnprocessableEntity, "IDEMPOTENCY_KEY_REUSED")
			wantFresh(t, res)
			route.wantCalls(t, h, 1)

			// The refusal leaves the first answer in place.
			wantReplay(t, first, h.serve(t, route.request(route.body, idempotencyKey)))
			route.wantCalls(t, h, 1)
		})
	}
}

func TestIdempotencyKeyOfAnUpdateCoversTheBucketID(t *testing.T) {
	h := newHarness(t)
	route := idempotentRoutes(t)[1]
	wantStatus(t, h.serve(t, route.request(route.body, idempotencyKey)), http.StatusOK)

	other := route
	other.path = "/bucket/0192f7a5-0e1f-7a2b-8c3d-4e5f60718294"
	wantError(t, h.serve(t, other.request(route.body, idempotencyKey)), http.StatusUnprocessableEntity, "IDEMPOTENCY_KEY_REUSED")
	route.wantCalls(t, h, 1)
}

// blockedService makes the route's service wait, once entered, until release is closed.
func blockedService(h *harness, route idempotentRoute) (entered <-chan struct{}, release chan struct{}) {
	in := make(chan struct{}, 1)
	release = make(chan struct{})
	route.answerWith(h, func() error {
		in <- struct{}{}
		<-release
		return nil
	})
	return in, release
}

// serveAsync serves req on another goroutine; the answer arrives on the channel.
func (h *harness) serveAsync(t *testing.T, req *http.Request) <-chan response {
	out := make(chan response, 1)
	go func() { out <- h.serve(t, req) }()
	return out
}

// waitFor fails t unless ch delivers within a few seconds.
func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

func TestIdempotencyKeyInProgressIsRefused(t *testing.T) {
	for _, route := range idempotentRoutes(t) {
		t.Run(route.name, func(t *testing.T) {
			h := newHarness(t)
			entered, release := blockedService(h, route)
			firstDone := h.serveAsync(t, route.request(route.body, idempotencyKey))
			waitFor(t, entered, "the first request to reach the service")

			for _, body := range []string{route.body, route.equivalents["fields in another order"]} {
				res := h.serve(t, route.request(body, idempotencyKey))
				wantError(t, res, http.StatusConflict, "IDEMPOTENCY_IN_PROGRESS")
				wantFresh(t, res)
			}
			close(release)
			first := waitFor(t, firstDone, "the first answer")
			wantStatus(t, first, http.StatusOK)

			wantReplay(t, first, h.serve(t, route.request(route.body, idempotencyKey)))
			route.wantCalls(t, h, 1)
		})
	}
}

// A refusal of the request itself (4xx other than 409 and 429) is its outcome: a retry of the
// same request would be refused the same way, so it is replayed.
func TestIdempotencyKeyReplaysClientErrors(t *testing.T) {
	failures := []struct {
		err    *domain.Error
		status int
		code   string
	}{
		{domain.Errorf(domain.KindInvalidCredentials, "authenticate: the provider rejected key AKIA…MPLE; check the secret"),
			http.StatusBadRequest, "INVALID_CREDENTIALS"},
		{domain.Errorf(domain.KindInvalidInput, "a new endpoint or storageType needs key and secret in the same request"),
			http.StatusBadRequest, "INVALID_REQUEST"},
		{domain.Errorf(domain.KindForbidden, "you are not a member of workspace "+workspaceID),
			http.StatusForbidden, "FORBIDDEN"},
	}
	for _, route := range idempotentRoutes(t) {
		for _, f := range failures {
			t.Run(route.name+" "+f.code, func(t *testing.T) {
				h := newHarness(t)
				route.answerWith(h, func() error { return f.err })
				first := h.serve(t, route.request(route.body, idempotencyKey))
				wantError(t, first, f.status, f.code)

				replay := h.serve(t, route.request(route.body, idempotencyKey))
				wantReplay(t, first, replay)
				route.wantCalls(t, h, 1)
				want := []storeOp{
					{"Begin", testPrincipal.OrgID, idempotencyKey},
					{"Complete", testPrincipal.OrgID, idempotencyKey},
					{"Begin", testPrincipal.OrgID, idempotencyKey},
				}
				if got := h.idem.calls(); !reflect.DeepEqual(got, want) {
					t.Errorf("store calls = %v, want %v", got, want)
				}
			})
		}
	}
}

// Server errors, conflicts and 429s say "retry later": the claim is dropped, so the retry
// runs again and can meet a different outcome.
func TestIdempotencyKeyDoesNotKeepRetryLaterAnswers(t *testing.T) {
	failWith := func(err error) func() error { return func() error { return err } }
	failures := []struct {
		name   string
		fail   func() error
		status int
		code   string
	}{
		{"name taken", failWith(domain.Errorf(domain.KindNameTaken, `name "My S3 Bucket" is already used; choose another name`)),
			http.StatusConflict, "NAME_ALREADY_USED"},
		{"conflict", failWith(domain.Errorf(domain.KindConflict, "bucket %s changed since it was read; read it again and retry", newBucketID)),
			http.StatusConflict, "CONFLICT"},
		{"quota exceeded", failWith(domain.Errorf(domain.KindQuotaExceeded, "bucket quota exceeded: 10 of 10 buckets used")),
			http.StatusTooManyRequests, "QUOTA_EXCEEDED"},
		{"unavailable", failWith(domain.Errorf(domain.KindUnavailable, "database unavailable; retry shortly")),
			http.StatusServiceUnavailable, "UNAVAILABLE"},
		{"provider error", failWith(domain.Errorf(domain.KindProviderError, "list: the provider answered 503; retry later")),
			http.StatusBadGateway, "PROVIDER_ERROR"},
		{"provider timeout", failWith(domain.Errorf(domain.KindProviderTimeout, "the provider did not answer; retry later")),
			http.StatusGatewayTimeout, "PROVIDER_TIMEOUT"},
		{"unclassified", failWith(errors.New("dial tcp 10.1.2.3:5432: connection refused")),
			http.StatusInternalServerError, "INTERNAL"},
		{"panic", func() error { panic("boom") }, http.StatusInternalServerError, "INTERNAL"},
	}
	for _, route := range idempotentRoutes(t) {
		for _, f := range failures {
			t.Run(route.name+" "+f.name, func(t *testing.T) {
				h := newHarness(t)
				route.answerWith(h, f.fail)
				first := h.serve(t, route.request(route.body, idempotencyKey))
				wantError(t, first, f.status, f.code)

				want := []storeOp{
					{"Begin", testPrincipal.OrgID, idempotencyKey},
					{"Abandon", testPrincipal.OrgID, idempotencyKey},
				}
				if got := h.idem.calls(); !reflect.DeepEqual(got, want) {
					t.Errorf("store calls = %v, want %v", got, want)
				}

				route.answerWith(h, func() error { return nil })
				retry := h.serve(t, route.request(route.body, idempotencyKey))
				wantStatus(t, retry, http.StatusOK)
				wantFresh(t, retry)
				route.wantCalls(t, h, 2)
			})
		}
	}
}

func TestRequestsWithoutAnIdempotencyKeyNeverTouchTheStore(t *testing.T) {
	for _, route := range idempotentRoutes(t) {
		t.Run(route.name, func(t *testing.T) {
			h := newHarness(t)
			for range 2 {
				res := h.serve(t, route.request(route.body, ""))
				wantStatus(t, res, http.StatusOK)
				wantFresh(t, res)
			}
			route.wantCalls(t, h, 2)
			if ops := h.idem.calls(); len(ops) != 0 {
				t.Errorf("the store received %v, want nothing", ops)
			}
		})
	}
}

func TestIdempotencyKeyIsIgnoredOnOtherOperations(t *testing.T) {
	routes := []struct{ method, path, body, service string }{
		{http.MethodGet, "/bucket", "", "List"},
		{http.MethodGet, "/bucket/available", "", "List"},
		{http.MethodGet, "/bucket/" + newBucketID, "", "Get"},
		{http.MethodDelete, "/bucket/" + newBucketID, "", "Delete"},
		{http.MethodPost, "/bucket/" + newBucketID + "/validate", "", "Revalidate"},
		{http.MethodPost, "/bucket/validate", `{"bucket":"b","storageType":"S3","key":"k","secret":"s","region":"r"}`, "Validate"},
		{http.MethodGet, "/user/quota", "", "Quota"},
	}
	for _, route := range routes {
		t.Run(route.method+" "+route.path, func(t *testing.T) {
			h := newHarness(t)
			for range 2 {
				req := apiRequest(route.method, route.path, route.body)
				req.Header.Set("Idempotency-Key", idempotencyKey)
				res := h.serve(t, req)
				wantStatus(t, res, http.StatusOK)
				wantFresh(t, res)
			}
			if calls := h.buckets.received(); len(calls) != 2 || calls[0].method != route.service || calls[1].method != route.service {
				t.Errorf("the service received %v, want %s twice", methodsOf(calls), route.service)
			}
			if ops := h.idem.calls(); len(ops) != 0 {
				t.Errorf("the store received %v, want nothing", ops)
			}
		})
	}
}

func TestIdempotencyKeysArePerOrganization(t *testing.T) {
	for _, route := range idempotentRoutes(t) {
		t.Run(route.name, func(t *testing.T) {
			h := newHarness(t)
			first := h.serve(t, route.request(route.body, idempotencyKey))
			wantStatus(t, first, http.StatusOK)

			// Another organization's identical request with the same key is its own request.
			req := route.request(route.body, idempotencyKey)
			req.Header.Set("Authorization", "Bearer "+otherToken)
			res := h.serve(t, req)
			wantStatus(t, res, http.StatusOK)
			wantFresh(t, res)
			// And so is its different one: the key is not "reused" across organizations.
			req = route.request(route.other, "other-"+idempotencyKey)
			req.Header.Set("Authorization", "Bearer "+otherToken)
			wantStatus(t, h.serve(t, req), http.StatusOK)

			calls := h.buckets.received()
			if len(calls) != 3 || calls[0].principal.OrgID != testPrincipal.OrgID || calls[1].principal.OrgID != otherPrincipal.OrgID {
				t.Fatalf("the service received %d calls, want one per organization and request", len(calls))
			}
			wantReplay(t, first, h.serve(t, route.request(route.body, idempotencyKey)))
			route.wantCalls(t, h, 3)
		})
	}
}

// The fingerprint covers the user: a colleague sending the same key and body would otherwise
// be handed an answer their own access was never checked for.
func TestIdempotencyKeyOfAnotherUserOfTheOrganizationIsRefused(t *testing.T) {
	for _, route := range idempotentRoutes(t) {
		t.Run(route.name, func(t *testing.T) {
			h := newHarness(t)
			first := h.serve(t, route.request(route.body, idempotencyKey))
			wantStatus(t, first, http.StatusOK)

			for _, body := range []string{route.body, route.equivalents["fields in another order"]} {
				req := route.request(body, idempotencyKey)
				req.Header.Set("Authorization", "Bearer "+colleagueToken)
				res := h.serve(t, req)
				e := wantError(t, res, http.StatusUnprocessableEntity, "IDEMPOTENCY_KEY_REUSED")
				wantFresh(t, res)
				if strings.Contains(string(res.body), string(first.body)) {
					t.Errorf("the refusal %s carries the first answer", res.body)
				}
				if !strings.Contains(e.Message, "use a new key") {
					t.Errorf("message %q does not say to use a new key", e.Message)
				}
			}
			route.wantCalls(t, h, 1)

			// The colleague's refusals leave the first user's answer in place.
			wantReplay(t, first, h.serve(t, route.request(route.body, idempotencyKey)))
			// A key of their own runs the colleague's request, as theirs.
			req := route.request(route.body, "colleague-"+idempotencyKey)
			req.Header.Set("Authorization", "Bearer "+colleagueToken)
			res := h.serve(t, req)
			wantStatus(t, res, http.StatusOK)
			wantFresh(t, res)
			route.wantCalls(t, h, 2)
			if calls := h.buckets.received(); calls[1].principal.UserID != colleaguePrincipal.UserID {
				t.Errorf("the second call came from user %s, want the colleague %s", calls[1].principal.UserID, colleaguePrincipal.UserID)
			}
		})
	}
}

func TestIdempotencyKeyLengthIsChecked(t *testing.T) {
	for _, route := range idempotentRoutes(t) {
		t.Run(route.name+" 256 characters", func(t *testing.T) {
			h := newHarness(t)
			res := h.serve(t, route.request(route.body, strings.Repeat("k", 256)))
			e := wantError(t, res, http.StatusBadRequest, "INVALID_REQUEST")
			if !strings.Contains(e.Message, `header parameter "Idempotency-Key"`) {
				t.Errorf("message %q does not name the header", e.Message)
			}
			h.wantNoCalls(t)
			if ops := h.idem.calls(); len(ops) != 0 {
				t.Errorf("the store received %v, want nothing", ops)
			}
		})
		t.Run(route.name+" 255 characters", func(t *testing.T) {
			h := newHarness(t)
			key := strings.Repeat("k", 255)
			wantStatus(t, h.serve(t, route.request(route.body, key)), http.StatusOK)
			if ops := h.idem.calls(); len(ops) == 0 || ops[0] != (storeOp{"Begin", testPrincipal.OrgID, key}) {
				t.Errorf("the store received %v, want a Begin with the key", ops)
			}
		})
	}
}

func TestIdempotentAnswerIsKeptFor24Hours(t *testing.T) {
	for _, route := range idempotentRoutes(t) {
		t.Run(route.name, func(t *testing.T) {
			h := newHarness(t)
			first := h.serve(t, route.request(route.body, idempotencyKey))
			wantStatus(t, first, http.StatusOK)

			h.clock.Advance(24*time.Hour - time.Second)
			wantReplay(t, first, h.serve(t, route.request(route.body, idempotencyKey)))
			route.wantCalls(t, h, 1)

			h.clock.Advance(time.Second)
			res := h.serve(t, route.request(route.other, idempotencyKey))
			wantStatus(t, res, http.StatusOK)
			wantFresh(t, res)
			route.wantCalls(t, h, 2)
		})
	}
}

func TestIdempotencyClaimOfAStalledRequestIsTakenOver(t *testing.T) {
	for _, route := range idempotentRoutes(t) {
		t.Run(route.name, func(t *testing.T) {
			h := newHarness(t)
			entered, release := blockedService(h, route)
			firstDone := h.serveAsync(t, route.request(route.body, idempotencyKey))
			waitFor(t, entered, "the first request to reach the service")

			// Within a minute the first request counts as running...
			h.clock.Advance(time.Minute)
			wantError(t, h.serve(t, route.request(route.body, idempotencyKey)), http.StatusConflict, "IDEMPOTENCY_IN_PROGRESS")
			// ...after an hour its process is presumed dead and a retry runs again.
			h.clock.Advance(time.Hour)
			retryDone := h.serveAsync(t, route.request(route.body, idempotencyKey))
			waitFor(t, entered, "the retry to reach the service")
			close(release)
			wantStatus(t, waitFor(t, retryDone, "the retry's answer"), http.StatusOK)
			wantStatus(t, waitFor(t, firstDone, "the first answer"), http.StatusOK)
			route.wantCalls(t, h, 2)
		})
	}
}

func TestConcurrentRequestsWithOneIdempotencyKeyActOnce(t *testing.T) {
	const n = 20
	for _, route := range idempotentRoutes(t) {
		t.Run(route.name, func(t *testing.T) {
			h := newHarness(t)
			var wg sync.WaitGroup
			answers := make([]response, n)
			for i := range n {
				wg.Go(func() { answers[i] = h.serve(t, route.request(route.body, idempotencyKey)) })
			}
			wg.Wait()

			route.wantCalls(t, h, 1)
			var fresh response
			for _, res := range answers {
				switch {
				case res.status == http.StatusConflict:
					wantError(t, res, http.StatusConflict, "IDEMPOTENCY_IN_PROGRESS")
				case res.header.Get("Idempotent-Replayed") == "":
					fresh = res
				}
			}
			wantStatus(t, fresh, http.StatusOK)
			for _, res := range answers {
				if res.status == http.StatusOK && res.header.Get("Idempotent-Replayed") != "" {
					wantReplay(t, fresh, res)
				}
			}
		})
	}
}
