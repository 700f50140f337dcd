package main_test

import (
	"testing"

	"github.com/bucketd/bucketd/testsupport/storetest"
)

// TestMultiProcessQuota runs three bucketd processes on one PostgreSQL database and sends 300
// creates at once for one organization limited to 10 buckets, spread evenly over the three:
// exactly 10 rows are stored and every other create is refused with 429 QUOTA_EXCEEDED, none
// with a server error. The quota holds across processes because the insert transaction locks
// the organization's row in the database, not in any process's memory.
func TestMultiProcessQuota(t *testing.T) {
	b := newBackend(t, storetest.PostgresURL(t), 3)
	raceCreates(t, b, b.servers, 300)
}
