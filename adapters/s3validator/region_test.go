package s3validator

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"

	"github.com/bucketd/bucketd/adapters/netguard"
	"github.com/bucketd/bucketd/domain"
)

// awsAnswer is how the fake AWS answers one request: status, x-amz-bucket-region, XML body.
type awsAnswer struct {
	status int
	region string
	body   string
}

// awsScenario scripts the fake AWS per operation.
type awsScenario struct{ head, list, location awsAnswer }

const (
	xmlListEmpty = `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
		`<Name>aws-bucket</Name><KeyCount>0</KeyCount><MaxKeys>1</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>`
	xmlPermanentRedirect = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>PermanentRedirect</Code>` +
		`<Message>The bucket you are attempting to access must be addressed using the specified endpoint.</Message>` +
		`<Endpoint>aws-bucket.s3.eu-west-1.amazonaws.com</Endpoint><Bucket>aws-bucket</Bucket></Error>`
	xmlHeaderMalformed = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AuthorizationHeaderMalformed</Code>` +
		`<Message>The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-central-1'</Message>` +
		`<Region>eu-central-1</Region></Error>`
)

func xmlLocation(constraint string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
		constraint + `</LocationConstraint>`
}

func (s awsScenario) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a := s.list
	switch {
	case r.Method == http.MethodHead:
		a = s.head
	case r.URL.Query().Has("location"):
		a = s.location
	}
	if a.region != "" {
		w.Header().Set("x-amz-bucket-region", a.region)
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(a.status)
	_, _ = w.Write([]byte(a.body))
}

// publicResolver answers every name with one public documentation address.
type publicResolver struct{}

func (publicResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return []netip.Addr{netip.MustParseAddr("203.0.113.10")}, nil
}

// fakeAWS serves scenario over TLS on 127.0.0.1 and returns a transport whose guard resolves
// AWS host names to a public address and whose connect step, after the guard approved that
// address, reaches the fake instead. Nothing leaves the machine; the guard still runs.
func fakeAWS(t *testing.T, scenario awsScenario) (*http.Transport, func() []string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(scenario)
	// Connections the client dialled but never used end in handshake errors at Close; not news.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	var mu sync.Mutex
	var approved []string
	var d net.Dialer
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		approved = append(approved, addr)
		mu.Unlock()
		return d.DialContext(ctx, network, srv.Listener.Addr().String())
	}
	transport := guardedTransport(t, netguard.WithResolver(publicResolver{}), netguard.WithDialFunc(dial))
	transport.TLSClientConfig.InsecureSkipVerify = true // the fake's certificate cannot name amazonaws.com
	return transport, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), approved...)
	}
}

func TestValidateAWSRegion(t *testing.T) {
	ok := func(region string) awsAnswer { return awsAnswer{status: http.StatusOK, region: region} }
	listOK := awsAnswer{status: http.StatusOK, body: xmlListEmpty}
	cases := []struct {
		name       string
		scenario   awsScenario
		kind       domain.Kind // KindInternal means "no error"
		says       string
		wantRegion string
	}{
		{
			name: "301 names the real region",
			scenario: awsScenario{
				head: awsAnswer{status: http.StatusMovedPermanently, region: "eu-west-1"},
				list: awsAnswer{status: http.StatusMovedPermanently, region: "eu-west-1", body: xmlPermanentRedirect},
			},
			kind: domain.KindRegionMismatch,
			says: "region: bucket aws-bucket is in eu-west-1, not us-east-1; set region to eu-west-1",
		},
		{
			name: "AuthorizationHeaderMalformed names the expected region",
			scenario: awsScenario{
				head: awsAnswer{status: http.StatusBadRequest},
				list: awsAnswer{status: http.StatusBadRequest, body: xmlHeaderMalformed},
			},
			kind: domain.KindRegionMismatch,
			says: "region: bucket aws-bucket is in eu-central-1, not us-east-1; set region to eu-central-1",
		},
		{
			name:     "HeadBucket region differs",
			scenario: awsScenario{head: ok("ap-south-1"), list: listOK},
			kind:     domain.KindRegionMismatch,
			says:     "region: bucket aws-bucket is in ap-south-1, not us-east-1; set region to ap-south-1",
		},
		{
			name:     "legacy EU location constraint",
			scenario: awsScenario{head: ok(""), list: listOK, location: awsAnswer{status: http.StatusOK, body: xmlLocation("EU")}},
			kind:     domain.KindRegionMismatch,
			says:     "region: bucket aws-bucket is in eu-west-1, not us-east-1; set region to eu-west-1",
		},
		{
			name:       "empty location constraint means us-east-1",
			scenario:   awsScenario{head: ok(""), list: listOK, location: awsAnswer{status: http.StatusOK, body: xmlLocation("")}},
			wantRegion: "us-east-1",
		},
		{
			name:       "HeadBucket region matches",
			scenario:   awsScenario{head: ok("us-east-1"), list: listOK},
			wantRegion: "us-east-1",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			transport, approved := fakeAWS(t, c.scenario)
			h := newHarness(t, 0, transport)
			report, err := h.validate(t, s3Target("", "aws-bucket", "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"))
			if c.kind == domain.KindInternal {
				if err != nil {
					t.Fatalf("Validate error = %v, want success; checks %+v", err, report.Checks)
				}
				if report.Region != c.wantRegion {
					t.Errorf("report region = %q, want %q", report.Region, c.wantRegion)
				}
			} else {
				wantKind(t, err, c.kind, c.says)
				if got := check(t, report, checkRegion); got.Status != domain.CheckFail {
					t.Errorf("region check = %+v, want fail", got)
				}
			}
			for _, addr := range approved() {
				if addr != "203.0.113.10:443" {
					t.Errorf("guard approved %s, want only the resolved public address 203.0.113.10:443", addr)
				}
			}
			if len(approved()) == 0 {
				t.Error("no request went through the guard")
			}
		})
	}
}

// On a custom endpoint the requests were signed for the stated region and accepted, so the
// region check only fails on AWS; elsewhere a silent or different provider is noted.
func TestValidateCustomEndpointRegion(t *testing.T) {
	listOK := awsAnswer{status: http.StatusOK, body: xmlListEmpty}
	notImplemented := `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NotImplemented</Code>` +
		`<Message>A header you provided implies functionality that is not implemented.</Message></Error>`
	cases := []struct {
		name       string
		scenario   awsScenario
		status     domain.CheckStatus
		wantRegion string
	}{
		{"empty location", awsScenario{head: awsAnswer{status: http.StatusOK}, list: listOK,
			location: awsAnswer{status: http.StatusOK, body: xmlLocation("")}}, domain.CheckSkip, ""},
		{"GetBucketLocation not implemented", awsScenario{head: awsAnswer{status: http.StatusOK}, list: listOK,
			location: awsAnswer{status: http.StatusNotImplemented, body: notImplemented}}, domain.CheckSkip, ""},
		{"different region reported", awsScenario{head: awsAnswer{status: http.StatusOK, region: "garage"}, list: listOK},
			domain.CheckPass, "garage"},
		{"EU is not special", awsScenario{head: awsAnswer{status: http.StatusOK}, list: listOK,
			location: awsAnswer{status: http.StatusOK, body: xmlLocation("EU")}}, domain.CheckPass, "EU"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(c.scenario)
			defer srv.Close()
			h := newHarness(t, 0, nil)
			report, err := h.validate(t, s3Target(srv.URL, "aws-bucket", "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"))
			if err != nil {
				t.Fatalf("Validate error = %v, want success; checks %+v", err, report.Checks)
			}
			if got := check(t, report, checkRegion); got.Status != c.status || got.Message == "" {
				t.Errorf("region check = %+v, want %s with a message", got, c.status)
			}
			if report.Region != c.wantRegion {
				t.Errorf("report region = %q, want %q", report.Region, c.wantRegion)
			}
		})
	}
}
