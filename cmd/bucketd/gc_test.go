package main

import (
	"runtime/debug"
	"testing"
)

func TestSetGCPercentDefaultsUnlessGOGCIsSet(t *testing.T) {
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })

	t.Setenv("GOGC", "")
	if got := setGCPercent(); got != "200" {
		t.Errorf("setGCPercent() without GOGC = %q; want 200", got)
	}
	if percent := debug.SetGCPercent(100); percent != defaultGCPercent {
		t.Errorf("GC percent without GOGC = %d; want %d", percent, defaultGCPercent)
	}

	t.Setenv("GOGC", "50")
	if got := setGCPercent(); got != "50" {
		t.Errorf("setGCPercent() with GOGC=50 = %q; want 50", got)
	}
	if percent := debug.SetGCPercent(100); percent != 100 {
		t.Errorf("GC percent with GOGC=50 = %d; want it left as the runtime set it (100 here)", percent)
	}
}
