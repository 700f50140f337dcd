package httpapi

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bucketd/bucketd/domain"
)

// TestRefusalTallyBoundsItsAddresses shows the memory bound: past the number of addresses
// tallied one by one, refusals from new addresses share one event, while the addresses already
// tallied keep counting their own.
func TestRefusalTallyBoundsItsAddresses(t *testing.T) {
	tally := newRefusalTally(2)
	refused := domain.Errorf(domain.KindUnauthenticated, "unknown token")
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, addr := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.1", "2001:db8::1", "192.0.2.3"} {
		tally.add(domain.WithClientAddr(context.Background(), addr), at, refused)
	}
	events := tally.take()
	slices.SortFunc(events, func(a, b domain.AuditEvent) int { return strings.Compare(a.ClientAddr, b.ClientAddr) })
	got := make([]string, len(events))
	for i, e := range events {
		got[i] = e.ClientAddr + "=" + string(rune('0'+e.Count))
	}
	if want := []string{"*=3", "192.0.2.1=2", "192.0.2.2=1"}; !slices.Equal(got, want) {
		t.Errorf("tallied %v, want %v", got, want)
	}
	if rest := tally.take(); len(rest) != 0 {
		t.Errorf("a second take returned %+v, want nothing", rest)
	}
}
