package gormstore

import (
	"context"
	"errors"
	"sync"
	"time"
)

// maxAuditBatch bounds the rows of one audit INSERT; PostgreSQL allows 65535 bind parameters
// per statement and an audit row takes 10.
const maxAuditBatch = 256

// auditWriteTimeout bounds one batch's INSERT, which no single request's context may cancel
// because it carries the events of several.
const auditWriteTimeout = 10 * time.Second

// errStoreClosed answers an audit event recorded after Close.
var errStoreClosed = errors.New("the store is closed")

// auditBatcher is a group commit for audit events. Record hands its row to one writer goroutine
// and waits until that row is committed, so a recorded event is as durable as before; but the
// events that arrive while a batch is being written go out together in the next INSERT, so
// under concurrent load many requests share one statement and one commit instead of adding
// one each to every create, update and delete.
type auditBatcher struct {
	s         *Store
	queue     chan auditRequest
	stop      chan struct{}
	closeOnce sync.Once
	stopped   sync.WaitGroup
}

// auditRequest is one event waiting to be written and where its outcome goes.
type auditRequest struct {
	row    auditRow
	result chan error
}

func newAuditBatcher(s *Store) *auditBatcher {
	b := &auditBatcher{s: s, queue: make(chan auditRequest), stop: make(chan struct{})}
	b.stopped.Go(b.run)
	return b
}

// record writes row, waiting for its batch to commit or ctx to end.
func (b *auditBatcher) record(ctx context.Context, row auditRow) error {
	req := auditRequest{row: row, result: make(chan error, 1)}
	select {
	case b.queue <- req:
	case <-ctx.Done():
		return ctx.Err()
	case <-b.stop:
		return errStoreClosed
	}
	select {
	case err := <-req.result:
		return err
	case <-ctx.Done():
		return ctx.Err() // the event may still be written
	}
}

// run writes batches until close: it blocks for one event, takes every other one already
// waiting, and writes them all.
func (b *auditBatcher) run() {
	for {
		var first auditRequest
		select {
		case first = <-b.queue:
		case <-b.stop:
			return
		}
		batch := []auditRequest{first}
	more:
		for len(batch) < maxAuditBatch {
			select {
			case req := <-b.queue:
				batch = append(batch, req)
			default:
				break more
			}
		}
		b.write(batch)
	}
}

// write inserts batch in one statement. If that fails and the batch holds several events, each
// is tried alone, so that one bad event cannot take the others down with it.
func (b *auditBatcher) write(batch []auditRequest) {
	ctx, cancel := context.WithTimeout(context.Background(), auditWriteTimeout)
	defer cancel()
	rows := make([]auditRow, len(batch))
	for i, req := range batch {
		rows[i] = req.row
	}
	err := b.s.db.WithContext(ctx).Create(&rows).Error
	if err == nil || len(batch) == 1 {
		for _, req := range batch {
			req.result <- err
		}
		return
	}
	for _, req := range batch {
		req.result <- b.s.db.WithContext(ctx).Create(&req.row).Error
	}
}

// close stops the writer once the batch it is writing is done. Events recorded afterwards fail
// with errStoreClosed.
func (b *auditBatcher) close() {
	b.closeOnce.Do(func() { close(b.stop) })
	b.stopped.Wait()
}
