package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/bucketd/bucketd/domain"
	"github.com/bucketd/bucketd/ports"
	"github.com/labstack/echo/v4"
)

const (
	// headerIdempotencyKey is the request header of the IETF httpapi idempotency-key draft.
	headerIdempotencyKey = "Idempotency-Key"
	// headerReplayed marks an answer replayed from an earlier request with the same key.
	headerReplayed = "Idempotent-Replayed"
	// idempotencyRetention is how long an answer is replayed for (the draft and Stripe: 24 h).
	idempotencyRetention = 24 * time.Hour
	// idempotencyLease is how long a claim protects a running request: far beyond the provider
	// deadline and the server's write timeout, so only a process that died loses its claim.
	idempotencyLease = 2 * time.Minute
)

// idempotentRoutes are the operations whose answers are kept for an Idempotency-Key: the ones
// that create or change a bucket and so must not act twice on a retry.
var idempotentRoutes = map[string]bool{
	http.MethodPost + " /bucket":          true,
	http.MethodPut + " /bucket/:bucketId": true,
}

// idempotency replays the first answer to a request sent again with the same Idempotency-Key
// (per organization, for 24 hours, from the database so any server process can replay it). A
// retry while the first request runs answers 409 IDEMPOTENCY_IN_PROGRESS; the same key with
// another request (or from another user) answers 422 IDEMPOTENCY_KEY_REUSED. Answers that say
// "retry later" are not kept (see replayable), so a retry after one runs again. It runs after
// authentication and request validation: a request refused there has nothing to replay.
func (s *Server) idempotency(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		key := r.Header.Get(headerIdempotencyKey)
		if key == "" || !idempotentRoutes[r.Method+" "+c.Path()] {
			return next(c)
		}
		p, err := principalFrom(r.Context())
		if err != nil {
			return err
		}
		fp, err := s.fingerprint(r, p.UserID)
		if err != nil {
			return err
		}
		stored, err := s.idem.Begin(r.Context(), p.OrgID, key, fp, s.now(), idempotencyLease)
		if err != nil {
			return err
		}
		if stored != nil {
			c.Response().Header().Set(headerReplayed, "true")
			return c.Blob(stored.Status, echo.MIMEApplicationJSON, stored.Body)
		}

		rec := &recordingWriter{ResponseWriter: c.Response().Writer}
		c.Response().Writer = rec
		// The answer is sent; keeping it must not depend on the caller still listening.
		ctx := context.WithoutCancel(r.Context())
		answered := false
		defer func() {
			// A panic unwinds past here to recoverPanics, which answers 500: drop the claim, or
			// retries would be refused as in progress until the lease ends.
			if !answered {
				s.keepAnswer(ctx, p.OrgID, key, http.StatusInternalServerError, nil)
			}
		}()
		if err := next(c); err != nil {
			c.Error(err)
		}
		answered = true
		s.keepAnswer(ctx, p.OrgID, key, c.Response().Status, rec.body.Bytes())
		return nil
	}
}

// keepAnswer stores the answer to a claimed key for replays, or drops the claim when the answer
// says "retry later" (see replayable), so that a retry runs again.
func (s *Server) keepAnswer(ctx context.Context, orgID, key string, status int, body []byte) {
	var err error
	if !replayable(status) {
		err = s.idem.Abandon(ctx, orgID, key)
	} else {
		err = s.idem.Complete(ctx, orgID, key, ports.StoredResponse{Status: status, Body: body}, s.now().Add(idempotencyRetention))
	}
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "keep idempotent answer", slog.Int("status", status), slog.String("error", err.Error()))
	}
}

// replayable says whether an answer is the request's outcome, to be replayed to every retry: a
// success or a refusal of this very request. Server errors, conflicts (the bucket changed
// meanwhile) and 429s (quota or rate) say "retry later" and would be wrong to replay, so their
// claim is dropped and a retry runs again.
func replayable(status int) bool {
	return status < http.StatusInternalServerError && status != http.StatusConflict && status != http.StatusTooManyRequests
}

// fingerprint is the fingerprint of a request: the MAC of its identity under the server's
// request MAC (see requestPrint). The identity is the user, method, path and the body as
// canonical JSON, so a retry that orders its fields differently is still the same request,
// while another user of the organization sending the same key and body is refused rather than
// handed an answer their own access was never checked for. The body has passed validation, so
// it is JSON; the validator left it readable.
func (s *Server) fingerprint(r *http.Request, userID string) (requestPrint, error) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return requestPrint{}, err
	}
	r.Body = io.NopCloser(bytes.NewReader(raw))
	var body any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil && err != io.EOF {
		return requestPrint{}, err
	}
	canonical, err := json.Marshal(body) // maps marshal with sorted keys
	if err != nil {
		return requestPrint{}, err
	}
	var identity []byte
	for _, part := range [][]byte{[]byte(userID), []byte(r.Method), []byte(r.URL.Path), canonical} {
		identity = append(identity, part...)
		identity = append(identity, 0)
	}
	return requestPrint{identity: identity, sum: s.mac.Sum(identity), mac: s.mac}, nil
}

// requestPrint is a request's ports.RequestFingerprint. Its identity holds the body, secret
// included, so what the store keeps is a MAC under a server key, never the identity nor a plain
// hash of it, which would let whoever reads the database test guesses of the secret.
type requestPrint struct {
	identity []byte
	sum      []byte
	mac      ports.RequestMAC
}

// Stored is the MAC of the identity under the active key.
func (p requestPrint) Stored() []byte { return p.sum }

// Matches verifies a stored fingerprint under the key that made it, so a key recorded before a
// master key rotation still replays. A fingerprint the server cannot verify, made under a
// master key its ring lacks (one retired too early, or not yet known to this process during a
// rolling restart), answers 503 UNAVAILABLE: retrying later is right, while calling the key
// reused or running the request again could both be wrong.
//
// A fingerprint of sha256.Size bytes is the plain SHA-256 of the identity, which bucketd kept
// before fingerprints were keyed (a keyed one is longer). It keeps matching, so a retry of such
// a key replays the answer rather than being refused as reused or run twice; none is written
// any more, so they are all gone once the last of them expires, 24 hours after the last process
// that wrote them stopped, and Purge deletes them.
func (p requestPrint) Matches(stored []byte) (bool, error) {
	if len(stored) == sha256.Size {
		plain := sha256.Sum256(p.identity)
		return subtle.ConstantTimeCompare(stored, plain[:]) == 1, nil
	}
	same, err := p.mac.Verify(p.identity, stored)
	if err != nil {
		return false, domain.Wrap(domain.KindUnavailable, err,
			"the first request with this Idempotency-Key was recorded under a server key this server does not hold, "+
				"so it cannot tell whether this request is the same; retry later")
	}
	return same, nil
}

// recordingWriter keeps a copy of the body it writes, to store it for replays.
type recordingWriter struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}
