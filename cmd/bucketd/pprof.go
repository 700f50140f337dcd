package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strings"
	"time"
)

// pprofConfig is where `bucketd serve` exposes Go's profiler, if anywhere. The profiler gets a
// listener of its own, never the API's, so that it is reachable only where the operator put it:
// profiles show the program's internals, and a profile request costs the server CPU.
type pprofConfig struct {
	addr string
}

func (c *pprofConfig) register(fs *flagSet) {
	fs.withEnv("pprof-addr", "BUCKETD_PPROF_ADDR",
		"serve Go's profiler (/debug/pprof/) on this host:port, a listener of its own; a bare :PORT listens on loopback only; "+
			"off when empty (env BUCKETD_PPROF_ADDR)",
		func(v string) error {
			addr, err := pprofListenAddr(v)
			c.addr = addr
			return err
		})
}

// pprofListenAddr is the address the profiler listens on for the flag value v. A value without a
// host means loopback, unlike the API's --addr: exposing the profiler beyond the machine must be
// asked for by naming the host.
func pprofListenAddr(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	host, port, err := net.SplitHostPort(v)
	if err != nil || port == "" {
		return "", fmt.Errorf("want host:port such as 127.0.0.1:6060 or :6060 (loopback), got %q", v)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// startPprof serves the profiler on c.addr until ctx ends or the returned stop is called; with no
// address it does nothing. The listener is opened before it returns, so a taken port fails
// start-up instead of going unnoticed.
func startPprof(ctx context.Context, c pprofConfig, log *slog.Logger) (stop func(), err error) {
	if c.addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return nil, fmt.Errorf("pprof: listen on %s: %w", c.addr, err)
	}
	srv := &http.Server{
		Handler:           pprofHandler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	level := slog.LevelInfo
	if tcp, ok := ln.Addr().(*net.TCPAddr); !ok || !tcp.IP.IsLoopback() {
		// Reachable from other machines: whoever reaches it may profile the process.
		level = slog.LevelWarn
	}
	log.Log(ctx, level, "pprof listening", slog.String("addr", ln.Addr().String()))
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("pprof server stopped", slog.String("error", err.Error()))
		}
	}()
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
		case <-done:
		}
		_ = srv.Close() // a profile still being taken is cut off: the process is going away
	}()
	return func() { close(done) }, nil
}

// pprofHandler serves net/http/pprof's pages on a mux of its own rather than
// http.DefaultServeMux, with the command line redacted.
func pprofHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", redactedCmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// redactedCmdline answers like pprof.Cmdline (the arguments separated by NUL bytes), with the
// values of secretFlags replaced: a master key or a database password given on the command line
// must not leave the process through the profiler.
func redactedCmdline(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = fmt.Fprint(w, strings.Join(redactArgs(os.Args), "\x00"))
}

// secretFlags are the flags whose values are secrets, or may hold one (a database URL may carry
// a password, in its user info or its query).
var secretFlags = map[string]bool{"master-keys": true, "fingerprint-key": true, "database-url": true}

const redacted = "[REDACTED]"

// redactArgs returns args with the value of every secret flag, given as -flag=value or as
// -flag value (with one dash or two), replaced by [REDACTED].
func redactArgs(args []string) []string {
	out := make([]string, len(args))
	copy(out, args)
	for i := 0; i < len(out); i++ {
		arg := out[i]
		if !strings.HasPrefix(arg, "-") {
			continue
		}
		name, _, inline := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		switch {
		case !secretFlags[name]:
		case inline:
			out[i] = strings.SplitN(arg, "=", 2)[0] + "=" + redacted
		case i+1 < len(out):
			i++
			out[i] = redacted
		}
	}
	return out
}
