package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version and commit are set at link time by `make build`
// (-ldflags "-X main.version=... -X main.commit=..."); a binary built otherwise reads what the
// Go toolchain recorded about it instead.
var version, commit string

// buildVersion returns the version, the commit (with "-dirty" when the tree had uncommitted
// changes) and the Go version this binary was built with; info is the toolchain's record, nil
// when there is none.
func buildVersion(info *debug.BuildInfo) (v, c, goVersion string) {
	v, c, goVersion = version, commit, runtime.Version()
	if info != nil {
		if v == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
		if c == "" {
			c = vcsCommit(info.Settings)
		}
	}
	if v == "" {
		v = "unknown"
	}
	if c == "" {
		c = "unknown"
	}
	return v, c, goVersion
}

// vcsCommit is the short revision go build stamped from git, if it did.
func vcsCommit(settings []debug.BuildSetting) string {
	var revision, dirty string
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if len(revision) > 12 {
		revision = revision[:12]
	}
	if revision == "" {
		return ""
	}
	return revision + dirty
}

// printVersion is `bucketd version` and `bucketd --version`.
func printVersion(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	info, _ := debug.ReadBuildInfo()
	v, c, goVersion := buildVersion(info)
	_, err := fmt.Fprintf(stdout, "bucketd %s (commit %s, %s)\n", v, c, goVersion)
	return err
}
