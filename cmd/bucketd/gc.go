package main

import (
	"os"
	"runtime/debug"
	"strconv"
)

// defaultGCPercent is the garbage collector's GOGC for `bucketd serve` when the environment sets
// none. bucketd keeps only a few MB live and makes most of its garbage per request (the AWS SDK
// above all, on every S3 validation), so with Go's default of 100 it collects several times a
// second under load. At 200 it spends less CPU per request, in create, read and list alike, for
// a slightly larger peak resident set: see docs/performance.md.
const defaultGCPercent = 200

// setGCPercent applies defaultGCPercent unless GOGC is set, which the runtime has applied
// already. It returns the GOGC in force, for the start-up log.
func setGCPercent() string {
	if gogc := os.Getenv("GOGC"); gogc != "" {
		return gogc
	}
	debug.SetGCPercent(defaultGCPercent)
	return strconv.Itoa(defaultGCPercent)
}
