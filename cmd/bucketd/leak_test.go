package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// testNoSecretInDatabase reads every cell of every table and fails if any holds a secret, a
// token or the master key in plaintext, hex or base64.
func testNoSecretInDatabase(t *testing.T, b *backend) {
	cells, rows := allCells(t, b.dbURL)
	// The scenarios stored buckets with the gateway root's credentials: without them the check
	// would prove nothing.
	if rows["buckets"] == 0 || rows["api_tokens"] == 0 {
		t.Fatalf("rows per table = %v, want stored buckets and tokens to search", rows)
	}
	// A bucket has its own two sealed values, or uses a stored credential, which has them.
	sealed, byReference := 0, 0
	for _, c := range cells {
		switch {
		case c.table == "buckets" && (c.column == "sealed_key" || c.column == "sealed_secret") && len(c.value) > 0:
			sealed++
		case c.table == "buckets" && c.column == "credential_id" && len(c.value) > 0:
			byReference++
		}
	}
	if sealed != 2*(rows["buckets"]-byReference) {
		t.Errorf("%d non-empty sealed_key/sealed_secret cells for %d buckets with their own credentials, want 2 per bucket",
			sealed, rows["buckets"]-byReference)
	}
	if byReference == 0 || rows["credentials"] == 0 {
		t.Errorf("%d buckets use one of %d stored credentials; the search for secrets in them would pass vacuously", byReference, rows["credentials"])
	}
	forms := b.secrets.forms()
	for _, c := range cells {
		for _, f := range forms {
			if bytes.Contains(c.value, []byte(f.value)) {
				t.Errorf("%s.%s of row %d holds %s", c.table, c.column, c.row, f.label)
			}
		}
	}
}

// testNoSecretInLogs searches the stderr of every bucketd process of the backend (servers and
// one-shot commands) for every secret, token and key, and checks that every log line is JSON.
func testNoSecretInLogs(t *testing.T, b *backend) {
	logs := map[string]string{"admin commands": b.cliLogs.String()}
	for i, s := range b.servers {
		logs[fmt.Sprintf("server %d", i)] = s.Stderr.String()
	}
	var bodies strings.Builder
	for _, s := range b.servers {
		bodies.WriteString(s.Responses.String())
	}
	if bodies.Len() == 0 {
		t.Error("no response body was recorded: the search for secrets in them would pass vacuously")
	}
	for _, f := range b.secrets.forms() {
		if strings.Contains(bodies.String(), f.value) {
			t.Errorf("a response body holds %s", f.label)
		}
	}
	forms := b.secrets.forms()
	for _, f := range forms {
		if strings.Contains(b.cliMessages.String(), f.value) {
			t.Errorf("the messages of the admin commands hold %s", f.label)
		}
	}
	outcomes, refusedTypes := map[string]int{}, map[string]int{}
	for name, log := range logs {
		for _, f := range forms {
			if strings.Contains(log, f.value) {
				t.Errorf("the log of %s holds %s", name, f.label)
			}
		}
		for line := range strings.Lines(log) {
			var rec struct {
				Msg         string `json:"msg"`
				Outcome     string `json:"outcome"`
				StorageType string `json:"storage_type"`
			}
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Errorf("the log of %s has a line that is not JSON: %v", name, err)
				continue
			}
			if rec.Msg == "create bucket" {
				outcomes[rec.Outcome]++
				if rec.Outcome != "ok" {
					refusedTypes[rec.StorageType]++
				}
			}
		}
	}
	// The search proves something only if the logs recorded the requests, refusals included
	// and of every provider, whose messages name credentials.
	for _, want := range []string{"ok", "invalid credentials", "access denied"} {
		if outcomes[want] == 0 {
			t.Errorf("no \"create bucket\" log line with outcome %q (outcomes logged: %v)", want, outcomes)
		}
	}
	for _, want := range []string{"S3", "GCS", "AZURE"} {
		if refusedTypes[want] == 0 {
			t.Errorf("no refused \"create bucket\" log line for storage type %s (refusals logged: %v)", want, refusedTypes)
		}
	}
}
