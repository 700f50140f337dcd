package gormstore

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	gormlogger "gorm.io/gorm/logger"
)

// slowQueryLogger is GORM's logger for bucketd: it reports slow queries at warn level and
// nothing else. Failed queries are not logged here, because the store returns them wrapped and
// the caller logs them once with the request id.
//
// Bind values never reach the log: ParamsFilter drops them before GORM renders the statement,
// so a query is logged with its placeholders only.
type slowQueryLogger struct {
	log       *slog.Logger
	threshold time.Duration
}

var (
	_ gormlogger.Interface = slowQueryLogger{}
	_ interface {
		ParamsFilter(context.Context, string, ...any) (string, []any)
	} = slowQueryLogger{}
)

func newSlowQueryLogger(log *slog.Logger, threshold time.Duration) slowQueryLogger {
	return slowQueryLogger{log: log, threshold: threshold}
}

// LogMode keeps the logger as it is: its only level is "slow queries".
func (l slowQueryLogger) LogMode(gormlogger.LogLevel) gormlogger.Interface { return l }

// Info drops GORM's informational notices.
func (slowQueryLogger) Info(context.Context, string, ...any) {}

// Warn forwards GORM's own warnings.
func (l slowQueryLogger) Warn(ctx context.Context, msg string, args ...any) {
	l.log.WarnContext(ctx, "gorm: "+fmt.Sprintf(msg, args...))
}

// Error forwards GORM's own errors.
func (l slowQueryLogger) Error(ctx context.Context, msg string, args ...any) {
	l.log.ErrorContext(ctx, "gorm: "+fmt.Sprintf(msg, args...))
}

// Trace warns about a query that took longer than the threshold.
func (l slowQueryLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), _ error) {
	elapsed := time.Since(begin)
	if elapsed < l.threshold || !l.log.Enabled(ctx, slog.LevelWarn) {
		return
	}
	query, rows := fc()
	l.log.WarnContext(ctx, "slow database query", "duration", elapsed, "rows", rows, "sql", query)
}

// ParamsFilter removes the bind values GORM would otherwise inline into the logged statement.
func (slowQueryLogger) ParamsFilter(_ context.Context, query string, _ ...any) (string, []any) {
	return query, nil
}
