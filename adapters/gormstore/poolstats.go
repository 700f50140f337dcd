package gormstore

import "database/sql"

// PoolStats reports the connection pool's current numbers (open, in use, idle, waits), for the
// metrics endpoint: a saturated pool shows there before requests time out.
func (s *Store) PoolStats() sql.DBStats {
	return s.sqlDB.Stats()
}
