package main_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// auditLine is one line of `bucketd admin audit`.
type auditLine struct {
	OrgID, UserID, Action, BucketID, Outcome, RequestID, ClientAddr string
	Count                                                           int
}

// testAuditTrail acts on the API and reads the trail back with `bucketd admin audit`: every
// action is there in order, with its actor, outcome, the request id the client saw and the
// client's address. (Refused tokens are tallied per minute: TestRefusedTokenFlood reads them.)
func testAuditTrail(t *testing.T, b *backend) {
	o := b.bootstrap(t, -1)
	c := b.client(t, o)
	created := create(t, c, b.request(o, "Audited"))
	id := wantCreated(t, created)
	failed := create(t, c, b.request(o, "Audited")) // the same name: refused
	wantError(t, failed, http.StatusConflict, "NAME_ALREADY_USED")
	deleted := deleteBucket(t, c, id)
	if deleted.StatusCode() != http.StatusOK {
		t.Fatalf("DELETE = %d", deleted.StatusCode())
	}
	var lines []auditLine
	for line := range strings.Lines(mustAudit(t, b, "--org", o.OrgID)) {
		var l auditLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("audit line %q is not JSON: %v", line, err)
		}
		lines = append(lines, l)
	}
	want := []auditLine{
		{OrgID: o.OrgID, UserID: o.UserID, Action: "create", BucketID: id, Outcome: "ok", RequestID: created.HTTPResponse.Header.Get("X-Request-Id")},
		{OrgID: o.OrgID, UserID: o.UserID, Action: "create", Outcome: "name taken", RequestID: failed.HTTPResponse.Header.Get("X-Request-Id")},
		{OrgID: o.OrgID, UserID: o.UserID, Action: "delete", BucketID: id, Outcome: "ok", RequestID: deleted.HTTPResponse.Header.Get("X-Request-Id")},
	}
	for i := range want {
		want[i].ClientAddr, want[i].Count = "127.0.0.1", 1
	}
	if len(lines) != len(want) {
		t.Fatalf("audit trail has %d events, want %d: %+v", len(lines), len(want), lines)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("audit event %d = %+v, want %+v", i, lines[i], want[i])
		}
	}
}

func mustAudit(t *testing.T, b *backend, args ...string) string {
	t.Helper()
	res := b.admin(t, append([]string{"audit"}, args...)...)
	if res.err != nil {
		t.Fatalf("bucketd admin audit: %v\n%s", res.err, res.stderr)
	}
	return res.stdout
}
