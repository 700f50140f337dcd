package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/bucketd/bucketd/adapters/gormstore"
	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
)

// healthConfig tunes the background re-validation of stored credentials.
type healthConfig struct {
	interval    time.Duration
	concurrency int
}

func (c *healthConfig) register(fs *flagSet) {
	c.interval = 6 * time.Hour
	fs.duration(&c.interval, "health-interval", "BUCKETD_HEALTH_INTERVAL",
		"how old a bucket's status may grow before the background job validates it again")
	c.concurrency = 4
	fs.integer(&c.concurrency, "health-concurrency", "BUCKETD_HEALTH_CONCURRENCY", 1,
		"validations the background job runs at once")
}

// startHealthJob runs the health job until ctx ends. Every process runs one; the lease in the
// database lets one at a time do the work, and another takes over if that one dies.
func startHealthJob(ctx context.Context, cfg healthConfig, store *gormstore.Store, buckets *app.Buckets, log *slog.Logger) error {
	host, _ := os.Hostname()
	job, err := app.NewHealthJob(app.HealthJobConfig{
		Buckets: buckets, Source: store, Leases: store,
		Interval: cfg.interval, Concurrency: cfg.concurrency,
		Holder: fmt.Sprintf("%s/%d/%s", host, os.Getpid(), domain.NewID()),
		Logger: log,
	})
	if err != nil {
		return err
	}
	go job.Run(ctx)
	return nil
}
