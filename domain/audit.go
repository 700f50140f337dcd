package domain

import (
	"context"
	"net/netip"
	"time"
)

// AuditAction names what an audit event records.
type AuditAction string

// Audit actions: the bucket use cases, the health job's status changes, refused bearer tokens,
// master key rotations, and people signing in and out.
const (
	AuditCreate        AuditAction = "create"
	AuditUpdate        AuditAction = "update"
	AuditDelete        AuditAction = "delete"
	AuditValidate      AuditAction = "validate"
	AuditRevalidate    AuditAction = "revalidate"
	AuditHealthCheck   AuditAction = "health_check"
	AuditTokenRejected AuditAction = "token_rejected"
	AuditKeyRotation   AuditAction = "key_rotation"
	// AuditSignIn is a sign-in with a password, granted (outcome ok) or refused (unauthenticated).
	// A refused one of an email that names no user has neither organization nor user: no part
	// of what was typed is kept, since people type passwords into the email field.
	AuditSignIn AuditAction = "sign_in"
	// AuditRefresh is a refresh token rotated for new tokens.
	AuditRefresh AuditAction = "refresh"
	// AuditSignOut is a session ended by its user.
	AuditSignOut AuditAction = "sign_out"
	// AuditRefreshReused is a refresh token used a second time: its whole session is revoked.
	AuditRefreshReused AuditAction = "refresh_token_reused"
	// AuditPasswordSet is an operator setting a user's password, which ends the user's sessions.
	AuditPasswordSet AuditAction = "password_set"
	// AuditTokenRevoked is a user revoking one of their own API tokens.
	AuditTokenRevoked AuditAction = "token_revoked"
)

// AuditOtherClients stands as the client address of a tally of refused tokens for the addresses
// beyond the number one process tallies one by one in an interval.
const AuditOtherClients = "*"

// AuditOK is the outcome of an action that succeeded; a failed one records its error kind.
const AuditOK = "ok"

// AuditEvent is one entry of the audit trail: who did what to which bucket of which
// organization, with what outcome, in which request, when. It holds identifiers and error kinds
// only, never a secret nor an error message, which could quote one.
type AuditEvent struct {
	ID string
	At time.Time
	// OrgID is empty for events of no organization: refused tokens and key rotations.
	OrgID string
	// UserID is the actor; empty for the system (the health job, the operator's CLI).
	UserID   string
	Action   AuditAction
	BucketID string
	// Outcome is AuditOK or the name of the error kind, such as "invalid credentials".
	Outcome string
	// RequestID is the X-Request-Id of the HTTP request that caused the event, if any; for a
	// tally of refused tokens, the first request counted.
	RequestID string
	// ClientAddr is the address of the client whose request caused the event (see
	// WithClientAddr), empty for events of no request.
	ClientAddr string
	// Count is how many occurrences the event stands for: 1, except for refused tokens, which
	// are tallied per client address so that a flood of bogus tokens writes few rows.
	Count int
}

// NewAuditEvent builds one occurrence of an action at a time with a new id, taking the request
// id and the client address from ctx (see WithRequestID and WithClientAddr); userID is the
// actor, "" for the system. The outcome is AuditOK when err is nil, else err's kind: never its
// message, which could quote what the caller sent.
func NewAuditEvent(ctx context.Context, at time.Time, action AuditAction, orgID, userID, bucketID string, err error) AuditEvent {
	outcome := AuditOK
	if err != nil {
		outcome = KindOf(err).String()
	}
	return AuditEvent{ID: NewID(), At: at, OrgID: orgID, UserID: userID, Action: action, BucketID: bucketID,
		Outcome: outcome, RequestID: RequestID(ctx), ClientAddr: ClientAddr(ctx), Count: 1}
}

type requestIDKey struct{}

// WithRequestID returns ctx carrying a request's id, so that the use cases can record it in
// the audit trail without knowing the transport that assigned it.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the id WithRequestID stored in ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

type clientAddrKey struct{}

// WithClientAddr returns ctx carrying the address of the client that sent a request: the
// socket peer, or the address a trusted proxy forwarded. Audit events built with ctx record it.
func WithClientAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientAddrKey{}, addr)
}

// ClientPrefix is what limits per client address count under: the address, or for IPv6 its /64
// prefix, since one host commonly holds a whole /64 and could otherwise multiply its budget by
// the addresses it picks. An address that does not parse (a request not from a TCP
// connection) is the zero prefix.
func ClientPrefix(clientAddr string) netip.Prefix {
	addr, err := netip.ParseAddr(clientAddr)
	if err != nil {
		return netip.Prefix{}
	}
	bits := addr.BitLen()
	if addr.Is6() {
		bits = 64
	}
	p, _ := addr.Prefix(bits)
	return p
}

// ClientAddr returns the address WithClientAddr stored in ctx, or "".
func ClientAddr(ctx context.Context) string {
	addr, _ := ctx.Value(clientAddrKey{}).(string)
	return addr
}
