package httpapi

import (
	"database/sql"

	"github.com/prometheus/client_golang/prometheus"
)

// dbStat is one number of sql.DBStats as a Prometheus series.
type dbStat struct {
	desc      *prometheus.Desc
	valueType prometheus.ValueType
	value     func(sql.DBStats) float64
}

func newDBStat(name, help string, valueType prometheus.ValueType, value func(sql.DBStats) float64) dbStat {
	desc := prometheus.NewDesc(name, help, nil, prometheus.Labels{"db_name": "bucketd"})
	return dbStat{desc: desc, valueType: valueType, value: value}
}

// dbStats are the pool's numbers under the names and db_name label of client_golang's
// DBStatsCollector, so dashboards built for it work unchanged. That collector wants the *sql.DB itself; this one
// reads a function, so the HTTP adapter never holds the database.
var dbStats = []dbStat{
	newDBStat("go_sql_max_open_connections", "Maximum number of open connections to the database.",
		prometheus.GaugeValue, func(s sql.DBStats) float64 { return float64(s.MaxOpenConnections) }),
	newDBStat("go_sql_open_connections", "The number of established connections both in use and idle.",
		prometheus.GaugeValue, func(s sql.DBStats) float64 { return float64(s.OpenConnections) }),
	newDBStat("go_sql_in_use_connections", "The number of connections currently in use.",
		prometheus.GaugeValue, func(s sql.DBStats) float64 { return float64(s.InUse) }),
	newDBStat("go_sql_idle_connections", "The number of idle connections.",
		prometheus.GaugeValue, func(s sql.DBStats) float64 { return float64(s.Idle) }),
	newDBStat("go_sql_wait_count_total", "The total number of connections waited for.",
		prometheus.CounterValue, func(s sql.DBStats) float64 { return float64(s.WaitCount) }),
	newDBStat("go_sql_wait_duration_seconds_total", "The total time blocked waiting for a new connection.",
		prometheus.CounterValue, func(s sql.DBStats) float64 { return s.WaitDuration.Seconds() }),
	newDBStat("go_sql_max_idle_closed_total", "The total number of connections closed due to SetMaxIdleConns.",
		prometheus.CounterValue, func(s sql.DBStats) float64 { return float64(s.MaxIdleClosed) }),
	newDBStat("go_sql_max_idle_time_closed_total", "The total number of connections closed due to SetConnMaxIdleTime.",
		prometheus.CounterValue, func(s sql.DBStats) float64 { return float64(s.MaxIdleTimeClosed) }),
	newDBStat("go_sql_max_lifetime_closed_total", "The total number of connections closed due to SetConnMaxLifetime.",
		prometheus.CounterValue, func(s sql.DBStats) float64 { return float64(s.MaxLifetimeClosed) }),
}

// dbStatsCollector reports the database connection pool at every scrape.
type dbStatsCollector struct {
	stats func() sql.DBStats
}

func (dbStatsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, s := range dbStats {
		ch <- s.desc
	}
}

func (c dbStatsCollector) Collect(ch chan<- prometheus.Metric) {
	now := c.stats()
	for _, s := range dbStats {
		ch <- prometheus.MustNewConstMetric(s.desc, s.valueType, s.value(now))
	}
}
