package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// cliResult is what one in-process command line printed and returned.
type cliResult struct {
	stdout, stderr string
	err            error
}

func runCLI(t *testing.T, args ...string) cliResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, &stdout, &stderr)
	return cliResult{stdout.String(), stderr.String(), err}
}

// TestEveryCommandHasHelp walks the command tree itself, so a command added later is covered:
// -h on every group and leaf is help (stdout, flag.ErrHelp, which main exits 0 with), a group's
// help lists every command below it, and a group given no command is a usage error that lists
// them on stderr.
func TestEveryCommandHasHelp(t *testing.T) {
	var walk func(c command, path []string)
	walk = func(c command, path []string) {
		name := strings.Join(path, " ")
		if name == "" {
			name = "(top)"
		}
		t.Run(name, func(t *testing.T) {
			for _, help := range []string{"-h", "--help"} {
				res := runCLI(t, append(append([]string(nil), path...), help)...)
				if !errors.Is(res.err, flag.ErrHelp) {
					t.Fatalf("%s %s returned %v, want help (exit 0)\nstderr: %s", name, help, res.err, res.stderr)
				}
				if !strings.HasPrefix(res.stdout, "usage: "+commandLine(path)) || res.stderr != "" {
					t.Errorf("%s %s printed stdout %q, stderr %q; want the usage on stdout alone", name, help, res.stdout, res.stderr)
				}
				for _, leaf := range leavesBelow(c, nil) {
					if !strings.Contains(res.stdout, "\n  "+leaf+" ") {
						t.Errorf("%s %s does not list %q:\n%s", name, help, leaf, res.stdout)
					}
				}
			}
			if c.run == nil {
				res := runCLI(t, path...)
				if res.err == nil || errors.Is(res.err, flag.ErrHelp) || !strings.Contains(res.err.Error(), "name a command") {
					t.Errorf("%s without a command returned %v, want a usage error naming the commands", name, res.err)
				}
				if !strings.HasPrefix(res.stderr, "usage: ") || res.stdout != "" {
					t.Errorf("%s without a command printed stdout %q, stderr %q; want the usage on stderr", name, res.stdout, res.stderr)
				}
			}
		})
		for _, sub := range c.sub {
			walk(sub, append(append([]string(nil), path...), sub.name))
		}
	}
	walk(commands(), nil)
}

// leavesBelow returns the runnable commands below c, each as its words after c's.
func leavesBelow(c command, words []string) []string {
	var out []string
	for _, sub := range c.sub {
		w := append(append([]string(nil), words...), sub.name)
		if sub.run != nil {
			out = append(out, strings.Join(w, " "))
		}
		out = append(out, leavesBelow(sub, w)...)
	}
	return out
}

func TestUnknownCommandNamesItAndTheChoices(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serv"}, `unknown command "serv": ` + self() + ` takes serve, migrate, version, admin, keys`},
		{[]string{"admin", "org", "delete", "--database-url", "postgres://u:hunter2@db/x"}, `unknown command "admin org delete": ` + self() + ` admin org takes list, set`},
		{[]string{"keys", "--json"}, self() + ` keys: name a command: status, rotate`},
	} {
		res := runCLI(t, tc.args...)
		if res.err == nil || res.err.Error() != tc.want {
			t.Errorf("%q returned %v, want %q", tc.args, res.err, tc.want)
		}
		if strings.Contains(res.stderr+res.stdout, "hunter2") {
			t.Errorf("%q printed a flag value that may be a password:\n%s", tc.args, res.stderr)
		}
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		res := runCLI(t, args...)
		if res.err != nil || !strings.HasPrefix(res.stdout, "bucketd ") || !strings.HasSuffix(res.stdout, ", "+runtime.Version()+")\n") {
			t.Errorf("%q printed %q, %v; want bucketd VERSION (commit C, %s)", args, res.stdout, res.err, runtime.Version())
		}
	}
}

// TestBuildVersionPrefersLinkerValues checks the fallback order: what make build links in, else
// what the toolchain recorded, else unknown, never an empty field.
func TestBuildVersionPrefersLinkerValues(t *testing.T) {
	info := &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}}}
	if v, c, _ := buildVersion(info); v != "v1.2.3" || c != "0123456789ab-dirty" {
		t.Errorf("from the build info: %s %s, want v1.2.3 0123456789ab-dirty", v, c)
	}
	if v, c, _ := buildVersion(&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}); v != "unknown" || c != "unknown" {
		t.Errorf("without version control: %s %s, want unknown unknown", v, c)
	}
	version, commit = "v9.9.9-2-gabc", "abc1234"
	t.Cleanup(func() { version, commit = "", "" })
	if v, c, _ := buildVersion(info); v != "v9.9.9-2-gabc" || c != "abc1234" {
		t.Errorf("with linker values: %s %s, want them", v, c)
	}
}

// TestOneShotCommandsLogOnlyProblems runs admin and keys commands on a fresh database: their
// answer is on stdout, and the migrations they apply on the way are not logged unless
// --log-level asks.
func TestOneShotCommandsLogOnlyProblems(t *testing.T) {
	dir := t.TempDir()
	res := runCLI(t, "admin", "org", "list", "--database-url", "sqlite://"+filepath.Join(dir, "quiet.db"))
	if res.err != nil || res.stderr != "" || !strings.HasPrefix(res.stdout, "ID ") {
		t.Errorf("admin org list: %v, stdout %q, stderr %q; want the table alone", res.err, res.stdout, res.stderr)
	}
	res = runCLI(t, "admin", "org", "list", "--database-url", "sqlite://"+filepath.Join(dir, "told.db"), "--log-level", "info")
	if res.err != nil || !strings.Contains(res.stderr, `"msg":"applied database migration"`) {
		t.Errorf("admin org list --log-level info logged %q, want the migrations it applied", res.stderr)
	}
}

// TestKeysHintWorks: keys status in the development server's directory, without a key ring,
// names the flag that reaches the development key; that command then works.
func TestKeysHintWorks(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.MkdirAll("var", 0o700); err != nil {
		t.Fatal(err)
	}
	entry := "dev-1:" + strings.Repeat("A", 43) + "="
	if err := os.WriteFile(devKeyFile, []byte(entry+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BUCKETD_MASTER_KEYS", "")
	t.Setenv("BUCKETD_MASTER_KEY_FILE", "")
	t.Setenv("BUCKETD_DATABASE_URL", "")
	res := runCLI(t, "keys", "status")
	_, hint, ok := strings.Cut(fmtErr(res.err), "key is ")
	if !ok {
		t.Fatalf("keys status without a ring returned %v, want a hint naming the development key", res.err)
	}
	res = runCLI(t, append([]string{"keys", "status"}, strings.Fields(hint)...)...)
	if res.err != nil || !strings.Contains(res.stdout, "dev-1") {
		t.Errorf("keys status %s: %v\n%s%s", hint, res.err, res.stdout, res.stderr)
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
