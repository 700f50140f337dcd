package httpapi

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/bucketd/bucketd/domain"
)

// maxTalliedAddresses bounds the client addresses tallied one by one between two flushes, and
// so the memory of the tally and the audit events one flush writes; the refused tokens of
// further addresses are tallied together under domain.AuditOtherClients.
const maxTalliedAddresses = 10000

// refusalFlushTimeout bounds the last flush, at shutdown, whose context has ended.
const refusalFlushTimeout = 10 * time.Second

// refusalRecorders is how many events of one flush are recorded at once: enough for the audit
// log to group them into few statements, few enough to hold no goroutine per address.
const refusalRecorders = 64

// refusalTally counts the refused bearer tokens of each client address between two flushes
// (AuditRefusedTokens), so the audit trail gets one token_rejected event per address and
// interval, with the count, rather than one row per refusal: a flood of bogus tokens would
// otherwise write a row per request, and before any limit applied. Each process keeps its own
// tally and writes its own events, so several processes need no coordination; rows are bounded
// by processes × addresses × intervals, and the addresses by maxTalliedAddresses.
type refusalTally struct {
	// addresses is how many addresses are tallied one by one: maxTalliedAddresses.
	addresses int

	mu     sync.Mutex
	events map[string]*domain.AuditEvent // by client address
}

func newRefusalTally(addresses int) *refusalTally {
	return &refusalTally{addresses: addresses, events: map[string]*domain.AuditEvent{}}
}

// add counts one refusal at a time, from the client address and request of ctx. The first
// refusal of an address in an interval makes its event, with that time and request id.
func (t *refusalTally) add(ctx context.Context, at time.Time, refusal error) {
	addr := domain.ClientAddr(ctx)
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.events[addr]
	if e == nil && len(t.events) >= t.addresses {
		addr = domain.AuditOtherClients
		e = t.events[addr]
	}
	if e != nil {
		e.Count++
		return
	}
	first := domain.NewAuditEvent(ctx, at, domain.AuditTokenRejected, "", "", "", refusal)
	first.ClientAddr = addr
	t.events[addr] = &first
}

// take returns the events counted so far and starts a new interval.
func (t *refusalTally) take() []domain.AuditEvent {
	t.mu.Lock()
	counted := t.events
	t.events = map[string]*domain.AuditEvent{}
	t.mu.Unlock()
	events := make([]domain.AuditEvent, 0, len(counted))
	for _, e := range counted {
		events = append(events, *e)
	}
	return events
}

// AuditRefusedTokens records the refused bearer tokens every interval, one audit event per
// client address with the count, until ctx ends, and then once more. The composition root runs
// it beside the server and ends it once the server has shut down, so a graceful shutdown loses
// no refusal.
func (s *Server) AuditRefusedTokens(ctx context.Context, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			s.recordRefusals(ctx)
		case <-ctx.Done():
			last, cancel := context.WithTimeout(context.WithoutCancel(ctx), refusalFlushTimeout)
			defer cancel()
			s.recordRefusals(last)
			return
		}
	}
}

// recordRefusals writes the tally's events. Like the use cases, a failed write is logged, not
// retried: the access log lines of the refused requests are the backstop.
func (s *Server) recordRefusals(ctx context.Context) {
	var wg sync.WaitGroup
	slots := make(chan struct{}, refusalRecorders)
	for _, e := range s.refusals.take() {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			if err := s.audit.Record(ctx, e); err != nil {
				s.log.LogAttrs(ctx, slog.LevelError, "audit event lost", slog.String("action", string(e.Action)),
					slog.String("client_addr", e.ClientAddr), slog.Int("count", e.Count), slog.String("error", err.Error()))
			}
		})
	}
	wg.Wait()
}
