package stspeer

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"time"
)

// maxS3Body bounds a request body the front forwards; the validator's probe object is tiny.
const maxS3Body = 1 << 20

// serveS3 checks a request's session token, when it carries one, and forwards it upstream.
func (p *Peer) serveS3(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxS3Body))
	if err != nil {
		http.Error(w, "stspeer: cannot read the body", http.StatusBadRequest)
		return
	}
	token := r.Header.Get("X-Amz-Security-Token")
	if token == "" {
		p.forward(w, r, body)
		return
	}
	p.mu.Lock()
	s, known := p.sessions[token]
	p.mu.Unlock()
	a, err := parseAuthorization(r.Header.Get("Authorization"))
	switch {
	case !known:
		writeXMLStatus(w, http.StatusBadRequest, s3Error{Code: "InvalidToken", Message: "The provided token is malformed or otherwise invalid."})
		return
	case !p.cfg.Now().Before(s.expires):
		writeXMLStatus(w, http.StatusBadRequest, s3Error{Code: "ExpiredToken", Message: "The provided token has expired."})
		return
	case err != nil || a.accessKey != s.accessKey:
		writeXMLStatus(w, http.StatusForbidden, s3Error{Code: "InvalidAccessKeyId",
			Message: "The AWS Access Key Id you provided does not exist in our records."})
		return
	case verify(r, a, body, s.secret, token) != nil:
		writeXMLStatus(w, http.StatusForbidden, s3Error{Code: "SignatureDoesNotMatch",
			Message: "The request signature we calculated does not match the signature you provided."})
		return
	}
	at, _ := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	out, err := resign(r, nil, body, awsCredentials(s), a.service, a.region, at)
	if err != nil {
		http.Error(w, "stspeer: "+err.Error(), http.StatusInternalServerError)
		return
	}
	p.forwardRequest(w, out, body)
}

// forward passes r upstream untouched.
func (p *Peer) forward(w http.ResponseWriter, r *http.Request, body []byte) {
	out := r.Clone(r.Context())
	out.RequestURI = ""
	p.forwardRequest(w, out, body)
}

// forwardRequest sends out to the upstream (keeping its Host, which the signature covers) and
// copies the answer back.
func (p *Peer) forwardRequest(w http.ResponseWriter, out *http.Request, body []byte) {
	up, err := url.Parse(p.cfg.Upstream)
	if err != nil {
		http.Error(w, "stspeer: bad upstream", http.StatusInternalServerError)
		return
	}
	out.URL.Scheme, out.URL.Host = up.Scheme, up.Host
	out.Body, out.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		http.Error(w, "stspeer: upstream: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for name, values := range resp.Header {
		w.Header()[name] = values
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}
