package domain

import (
	"context"
	"time"
)

// AuditAction names what an audit event records.
type AuditAction string

// Audit actions: the bucket use cases, the health job's status changes, refused bearer tokens,
// master key rotations, and the changes to workspaces and their memberships.
const (
	AuditCreate        AuditAction = "create"
	AuditUpdate        AuditAction = "update"
	AuditDelete        AuditAction = "delete"
	AuditValidate      AuditAction = "validate"
	AuditRevalidate    AuditAction = "revalidate"
	AuditHealthCheck   AuditAction = "health_check"
	AuditTokenRejected AuditAction = "token_rejected"
	AuditKeyRotation   AuditAction = "key_rotation"

	AuditWorkspaceCreate AuditAction = "workspace_create"
	AuditWorkspaceRename AuditAction = "workspace_rename"
	AuditWorkspaceDelete AuditAction = "workspace_delete"
	AuditMemberAdd       AuditAction = "member_add"
	AuditMemberRole      AuditAction = "member_role"
	AuditMemberRemove    AuditAction = "member_remove"
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
	// WorkspaceID is the workspace a workspace or membership event changed.
	WorkspaceID string
	// SubjectUserID is the user whose membership a membership event changed.
	SubjectUserID string
	// Detail is a value bucketd chose, never one a caller typed: the role a membership event
	// gave.
	Detail string
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

// ClientAddr returns the address WithClientAddr stored in ctx, or "".
func ClientAddr(ctx context.Context) string {
	addr, _ := ctx.Value(clientAddrKey{}).(string)
	return addr
}
