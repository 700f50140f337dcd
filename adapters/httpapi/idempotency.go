package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"time"

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
// another request answers 422 IDEMPOTENCY_KEY_REUSED. Server failures (5xx) are not kept, so a
// retry after one runs again. It runs after authentication and request validation: a request
// refused there has nothing to replay.
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
		fp, err := fingerprint(r)
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
		if err := next(c); err != nil {
			c.Error(err)
		}
		// The answer is sent; keeping it must not depend on the caller still listening.
		ctx := context.WithoutCancel(r.Context())
		status := c.Response().Status
		if status >= http.StatusInternalServerError {
			err = s.idem.Abandon(ctx, p.OrgID, key)
		} else {
			err = s.idem.Complete(ctx, p.OrgID, key, ports.StoredResponse{Status: status, Body: rec.body.Bytes()},
				s.now().Add(idempotencyRetention))
		}
		if err != nil {
			s.log.LogAttrs(ctx, slog.LevelWarn, "keep idempotent answer", slog.Int("status", status), slog.String("error", err.Error()))
		}
		return nil
	}
}

// fingerprint identifies what a request does: method, path and the body as canonical JSON, so
// a retry that orders its fields differently is still the same request. The body has passed
// validation, so it is JSON; the validator left it readable.
func fingerprint(r *http.Request) ([]byte, error) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(raw))
	var body any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil && err != io.EOF {
		return nil, err
	}
	canonical, err := json.Marshal(body) // maps marshal with sorted keys
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	for _, part := range [][]byte{[]byte(r.Method), []byte(r.URL.Path), canonical} {
		h.Write(part)
		h.Write([]byte{0})
	}
	return h.Sum(nil), nil
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
