package stspeer

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxForm bounds a request body the peer reads.
const maxForm = 64 << 10

// serveSTS answers one STS Query request.
func (p *Peer) serveSTS(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxForm))
	if err != nil || r.Method != http.MethodPost {
		stsError(w, http.StatusBadRequest, "Sender", "InvalidAction", "STS takes a form-encoded POST")
		return
	}
	caller, ok := p.authenticate(w, r, body)
	if !ok {
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("Version") != "2011-06-15" {
		stsError(w, http.StatusBadRequest, "Sender", "InvalidAction", "Version must be 2011-06-15")
		return
	}
	switch form.Get("Action") {
	case "GetCallerIdentity":
		writeXML(w, getCallerIdentityResponse{Arn: caller.ARN, Account: accountOf(caller.ARN), UserID: caller.AccessKey})
	case "AssumeRole":
		p.assumeRole(w, caller, form)
	default:
		stsError(w, http.StatusBadRequest, "Sender", "InvalidAction", "Could not find operation "+form.Get("Action"))
	}
}

// authenticate finds the caller of a signed request, answering as STS does when there is none.
func (p *Peer) authenticate(w http.ResponseWriter, r *http.Request, body []byte) (Caller, bool) {
	a, err := parseAuthorization(r.Header.Get("Authorization"))
	if err != nil || a.service != "sts" {
		stsError(w, http.StatusForbidden, "Sender", "MissingAuthenticationToken", "Request is missing Authentication Token")
		return Caller{}, false
	}
	for _, c := range p.cfg.Callers {
		if c.AccessKey != a.accessKey {
			continue
		}
		if verify(r, a, body, c.Secret, r.Header.Get("X-Amz-Security-Token")) != nil {
			stsError(w, http.StatusForbidden, "Sender", "SignatureDoesNotMatch",
				"The request signature we calculated does not match the signature you provided.")
			return Caller{}, false
		}
		return c, true
	}
	stsError(w, http.StatusForbidden, "Sender", "InvalidClientTokenId", "The security token included in the request is invalid.")
	return Caller{}, false
}

// assumeRole checks the role, its trust and the ExternalId, and hands out a session.
func (p *Peer) assumeRole(w http.ResponseWriter, caller Caller, form url.Values) {
	arn, name := form.Get("RoleArn"), form.Get("RoleSessionName")
	duration, err := strconv.Atoi(form.Get("DurationSeconds"))
	if err != nil {
		duration = 3600
	}
	if name == "" || len(name) > 64 || duration < 900 || duration > 43200 {
		stsError(w, http.StatusBadRequest, "Sender", "ValidationError", "RoleSessionName and DurationSeconds must be valid")
		return
	}
	denied := fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", caller.ARN, arn)
	role, found := p.role(arn)
	if !found || role.TrustedPrincipal != caller.ARN || role.ExternalID != form.Get("ExternalId") {
		stsError(w, http.StatusForbidden, "Sender", "AccessDenied", denied)
		return
	}
	expires := p.cfg.Now().Add(time.Duration(duration) * time.Second).UTC()
	token := newToken()
	p.mu.Lock()
	p.sessions[token] = session{accessKey: role.AccessKey, secret: role.Secret, expires: expires}
	p.assumed++
	p.lastName = name
	p.mu.Unlock()
	writeXML(w, assumeRoleResponse{Result: assumeRoleResult{
		Credentials: credentialsXML{AccessKeyID: role.AccessKey, SecretAccessKey: role.Secret, SessionToken: token,
			Expiration: expires.Format(time.RFC3339)},
		AssumedRoleUser: assumedRoleUser{Arn: arn + "/" + name, AssumedRoleID: "AROASTSPEER:" + name},
	}})
}

// role finds a role by ARN.
func (p *Peer) role(arn string) (Role, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range p.cfg.Roles {
		if r.ARN == arn {
			return r, true
		}
	}
	return Role{}, false
}

// accountOf is the account id of an ARN ("" when it names none).
func accountOf(arn string) string {
	parts := strings.Split(arn, ":")
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}
