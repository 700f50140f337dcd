package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// startTimeout bounds bucketd's start-up, migrations included.
const startTimeout = time.Minute

// probeClient asks the one-off questions: readiness, set-up requests, profiles.
var probeClient = &http.Client{Timeout: time.Minute}

// bucketdPackage is built when --bucketd names no binary; the import path works from any
// directory of the module, so the test can build it too.
const bucketdPackage = "github.com/bucketd/bucketd/cmd/bucketd"

// buildBucketd builds bucketd into dir the way `make build` does.
func buildBucketd(ctx context.Context, dir string, stderr io.Writer) (string, error) {
	bin := filepath.Join(dir, "bucketd")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, bucketdPackage)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build %s: %w", bucketdPackage, err)
	}
	return bin, nil
}

// bucketd is the running `bucketd serve` under measurement.
type bucketd struct {
	*child
	bin, dbURL string
	// url is the API's base URL, pprofURL the profiler's ("" without --pprof-dir).
	url, pprofURL string
	logPath       string
}

// startBucketd runs `bucketd serve` on dbURL with logs at the default level in a file (logging
// is part of what a request costs), no rate limit, and loopback endpoints allowed for the S3
// stub. It returns once the server answers /readyz.
func startBucketd(ctx context.Context, bin, dbURL, work string, withPprof bool) (*bucketd, error) {
	logPath := filepath.Join(work, "bucketd.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer func() { _ = logFile.Close() }() // the child holds its own descriptor and writes through it
	args := []string{"serve", "--addr", "127.0.0.1:0", "--database-url", dbURL,
		"--master-keys", "bench:" + randomBase64(32), "--fingerprint-key", randomBase64(32),
		"--endpoint-allowlist", "127.0.0.0/8", "--rate-limit", "0"}
	if withPprof {
		args = append(args, "--pprof-addr", "127.0.0.1:0")
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = childEnv()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	c, err := startChild("bucketd", cmd)
	if err != nil {
		return nil, err
	}
	b := &bucketd{child: c, bin: bin, dbURL: dbURL, logPath: logPath}
	if err := b.waitReady(ctx, withPprof); err != nil {
		_ = c.stop()
		return nil, fmt.Errorf("%w\n%s", err, b.logTail())
	}
	return b, nil
}

// waitReady waits for the log lines with the API's (and the profiler's) address, then for
// /readyz to answer 200.
func (b *bucketd) waitReady(ctx context.Context, withPprof bool) error {
	deadline := time.Now().Add(startTimeout)
	for b.url == "" || (withPprof && b.pprofURL == "") {
		if err := b.running(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bucketd logged no listening address within %s", startTimeout)
		}
		log, err := os.ReadFile(b.logPath)
		if err != nil {
			return err
		}
		if addr := logAddr(log, "bucketd listening"); addr != "" {
			b.url = "http://" + addr
		}
		if addr := logAddr(log, "pprof listening"); addr != "" {
			b.pprofURL = "http://" + addr
		}
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			return err
		}
	}
	for {
		res, err := probeClient.Get(b.url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bucketd did not answer /readyz with 200 within %s", startTimeout)
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
}

// logAddr finds the addr attribute of the first JSON log line with message msg.
func logAddr(log []byte, msg string) string {
	for line := range bytes.Lines(log) {
		var rec struct {
			Msg  string `json:"msg"`
			Addr string `json:"addr"`
		}
		if json.Unmarshal(line, &rec) == nil && rec.Msg == msg {
			return rec.Addr
		}
	}
	return ""
}

// logTail is the end of bucketd's log, for error messages.
func (b *bucketd) logTail() string {
	log, _ := os.ReadFile(b.logPath)
	const keep = 4 << 10
	if len(log) > keep {
		log = log[len(log)-keep:]
	}
	return "bucketd log (end):\n" + string(log)
}

// logProblems counts bucketd's log lines at WARN or above by level and message, such as slow
// queries, which explain a latency spike in the table.
func (b *bucketd) logProblems() (map[string]int, error) {
	f, err := os.Open(b.logPath)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read only
	problems := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
		}
		if json.Unmarshal(sc.Bytes(), &rec) == nil && (rec.Level == "WARN" || rec.Level == "ERROR") {
			problems[rec.Level+" "+rec.Msg]++
		}
	}
	return problems, sc.Err()
}

// org is what `bucketd admin bootstrap --json` printed.
type org struct {
	OrgID       string `json:"orgId"`
	WorkspaceID string `json:"workspaceId"`
	Token       string `json:"token"`
}

// benchBucketLimit lifts the free trial's limit far above what any run creates.
const benchBucketLimit = 1_000_000

// bootstrap creates an organization with its workspace, admin and token through the CLI.
func (b *bucketd) bootstrap(ctx context.Context, name string) (org, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, b.bin, "admin", "bootstrap", "--json", "--database-url", b.dbURL,
		"--org", name, "--email", name+"@bench.test", "--bucket-limit", strconv.Itoa(benchBucketLimit))
	cmd.Env, cmd.Stdout, cmd.Stderr = childEnv(), &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return org{}, fmt.Errorf("bucketd admin bootstrap: %w\n%s", err, stderr.String())
	}
	var o org
	if err := json.Unmarshal(stdout.Bytes(), &o); err != nil || o.OrgID == "" || o.WorkspaceID == "" || o.Token == "" {
		return org{}, fmt.Errorf("bucketd admin bootstrap --json printed %q, want orgId, workspaceId and token", stdout.String())
	}
	return o, nil
}

// resetPeakRSS starts a new peak for VmHWM (writing 5 to clear_refs, Linux 4.0+), so that each
// connection level gets a peak of its own. It reports whether that worked; if not, VmHWM stays
// the peak since start.
func resetPeakRSS(pid int) bool {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) == nil
}

// memory is what /proc/PID/status says of a process's resident set, in bytes: its peak
// (VmHWM) and, now, the part backed by files (RssFile: above all the binary's own code and
// data, clean pages the kernel can drop and read again) and the anonymous part (RssAnon: the
// Go heap, stacks and the runtime's own).
type memory struct {
	peak, file, anon int64
}

func readMemory(pid int) (memory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, err
	}
	defer func() { _ = f.Close() }() // read only
	var m memory
	fields := map[string]*int64{"VmHWM:": &m.peak, "RssFile:": &m.file, "RssAnon:": &m.anon}
	found := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, _ := strings.Cut(sc.Text(), "\t")
		target, ok := fields[name]
		if !ok {
			continue
		}
		kib, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(value), "kB")), 10, 64)
		if err != nil {
			return memory{}, fmt.Errorf("parse %s %q: %w", name, value, err)
		}
		*target = kib << 10
		found++
	}
	if found != len(fields) {
		return memory{}, fmt.Errorf("/proc/%d/status lacks one of VmHWM, RssFile and RssAnon", pid)
	}
	return m, sc.Err()
}

// userHZ is the unit of the CPU times in /proc/PID/stat: the kernel's USER_HZ, 100 on Linux
// (its ABI fixes it so for every architecture bucketd runs on).
const userHZ = 100

// cpuTime reads the CPU time the process has used so far, user and system, all threads.
func cpuTime(pid int) (time.Duration, error) {
	st, err := readProcStat(pid)
	return st.utime + st.stime, err
}

// machineBusy reads the CPU time all the machine's cores have spent busy so far, whoever for:
// the time since boot on every online core less the time /proc/stat counts idle or waiting for
// I/O, both measured on entry and exit. It is the clock the processes' own CPU times are
// counted by, so the two add up: summing /proc/stat's busy fields instead, sampled once per
// timer tick, misses the bursts of a core that idles in between (one connection's ping-pong),
// and leaves out steal, the time the hypervisor ran other machines while a process here was
// on the core, which the process is charged with. On this virtual machine both made the
// processes' CPU exceed the machine's by up to half at one connection.
func machineBusy() (time.Duration, error) {
	uptimeRaw, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return 0, err
	}
	statRaw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	uptimeField, _, _ := strings.Cut(string(uptimeRaw), " ")
	uptime, err := strconv.ParseFloat(uptimeField, 64)
	if err != nil {
		return 0, fmt.Errorf("parse /proc/uptime %q: %w", uptimeRaw, err)
	}
	lines := strings.Split(string(statRaw), "\n")
	f := strings.Fields(lines[0])
	if len(f) < 9 || f[0] != "cpu" {
		return 0, fmt.Errorf("unexpected first line of /proc/stat: %q", lines[0])
	}
	cores := 0
	for _, line := range lines[1:] {
		if strings.HasPrefix(line, "cpu") {
			cores++
		}
	}
	notBusy, err := sumTicks(f[4], f[5]) // idle, iowait
	if err != nil {
		return 0, err
	}
	return time.Duration(uptime*float64(cores)*float64(time.Second)) - notBusy, nil
}

// sumTicks adds CPU times counted in USER_HZ ticks.
func sumTicks(fields ...string) (time.Duration, error) {
	var ticks int64
	for _, f := range fields {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse CPU ticks %q: %w", f, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

func randomBase64(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+).
	return base64.StdEncoding.EncodeToString(b)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
