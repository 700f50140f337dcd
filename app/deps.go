package app

import (
	"log/slog"
	"time"
)

// withDefaults fills the optional dependencies every service shares: the process-wide logger,
// so a service built without one still logs where the rest of the program does, and the wall
// clock in UTC, so stored timestamps do not depend on the server's time zone.
func withDefaults(logger *slog.Logger, now func() time.Time) (*slog.Logger, func() time.Time) {
	if logger == nil {
		logger = slog.Default()
	}
	if now == nil {
		now = func() time.Time { return time.Now().UTC() }
	}
	return logger, now
}
