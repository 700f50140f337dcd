package domain_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bucketd/bucketd/domain"
)

func TestStatusMessage(t *testing.T) {
	const max = domain.MaxStatusMessageBytes
	for _, tc := range []struct{ what, in, want string }{
		{"a check's message", "authenticate: key AKIA…MPLE expired", "authenticate: key AKIA…MPLE expired"},
		{"padding", "  bucket: not found\t", "bucket: not found"},
		{"line breaks and control characters", "one\ntwo\r\x00three\x1b", "one two  three"},
		{"invalid UTF-8", "bad \xff\xfe bytes", "bad    bytes"},
		{"exactly the limit", strings.Repeat("a", max), strings.Repeat("a", max)},
		{"one byte over", strings.Repeat("a", max+1), strings.Repeat("a", max-len("…")) + "…"},
		// 2-byte characters: the cut falls inside one, which is left out whole.
		{"a cut inside a character", strings.Repeat("é", max), strings.Repeat("é", (max-len("…"))/2) + "…"},
		{"a cut after a space", strings.Repeat("a", max-4) + "     bbbb", strings.Repeat("a", max-4) + "…"},
	} {
		got := domain.StatusMessage(tc.in)
		if got != tc.want {
			t.Errorf("StatusMessage of %s = %q (%d bytes); want %q (%d bytes)", tc.what, got, len(got), tc.want, len(tc.want))
		}
		if len(got) > max || !utf8.ValidString(got) {
			t.Errorf("StatusMessage of %s is %d bytes, valid UTF-8 %v; want at most %d, valid", tc.what, len(got), utf8.ValidString(got), max)
		}
	}
}

func TestNewStatusRecord(t *testing.T) {
	at := time.Date(2026, 12, 8, 2, 0, 0, 0, time.UTC)
	offline := domain.NewStatusRecord(domain.StatusOffline, " authenticate: the token expired\n", at)
	if want := (domain.StatusRecord{Status: domain.StatusOffline, Message: "authenticate: the token expired", At: at}); offline != want {
		t.Errorf("NewStatusRecord(OFFLINE) = %+v; want %+v", offline, want)
	}
	// ONLINE has nothing wrong to tell, whatever message came with it.
	online := domain.NewStatusRecord(domain.StatusOnline, "stale words", at)
	if want := (domain.StatusRecord{Status: domain.StatusOnline, At: at}); online != want {
		t.Errorf("NewStatusRecord(ONLINE) = %+v; want %+v", online, want)
	}

	b := domain.Bucket{Status: domain.StatusOnline}
	b.SetStatus(offline)
	if b.Status != domain.StatusOffline || b.StatusMessage != offline.Message || b.LastStatusAt == nil || !b.LastStatusAt.Equal(at) {
		t.Errorf("SetStatus(OFFLINE) gave %+v", b)
	}
	b.SetStatus(domain.NewStatusRecord(domain.StatusOnline, "", at.Add(time.Hour)))
	if b.Status != domain.StatusOnline || b.StatusMessage != "" || !b.LastStatusAt.Equal(at.Add(time.Hour)) {
		t.Errorf("SetStatus(ONLINE) after OFFLINE gave %+v; want the message cleared", b)
	}
}
