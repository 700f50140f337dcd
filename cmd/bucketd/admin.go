package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bucketd/bucketd/app"
)

// adminCommand is one `bucketd admin` sub-command: the words that select it, its flags as the
// usage shows them, and what it runs with the remaining arguments.
type adminCommand struct {
	path  string
	flags string
	run   func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// adminCommands are the operator's commands, grouped by noun (admin_org.go, admin_user.go,
// admin_token.go); each reads and writes the database directly, so they work whether or not
// a server runs.
var adminCommands = []adminCommand{
	{"bootstrap", "--org NAME --email EMAIL [--plan PLAN] [--bucket-limit N] [--workspace NAME]", adminBootstrap},
	{"org list", "", adminOrgList},
	{"org set", "--org ID [--plan PLAN] [--bucket-limit N | --clear-bucket-limit]", adminOrgSet},
	{"workspace create", "--org ID --name NAME", adminWorkspaceCreate},
	{"workspace list", "--org ID", adminWorkspaceList},
	{"user add", "--org ID --email EMAIL --role ADMIN|MEMBER [--workspace ID]...", adminUserAdd},
	{"user list", "--org ID", adminUserList},
	{"user role", "--email EMAIL --role ADMIN|MEMBER", adminUserRole},
	{"member add", "--workspace ID --email EMAIL", adminMemberAdd},
	{"member remove", "--workspace ID --email EMAIL", adminMemberRemove},
	{"token create", "--email EMAIL [--ttl DURATION]", adminTokenCreate},
	{"token list", "--email EMAIL", adminTokenList},
	{"token revoke", "--id TOKEN_ID | --email EMAIL", adminTokenRevoke},
	{"audit", "--org ID | --system [--since 24h|RFC3339] [--limit N]", adminAudit},
}

func admin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	for _, c := range adminCommands {
		words := strings.Fields(c.path)
		if len(args) >= len(words) && slices.Equal(args[:len(words)], words) {
			return c.run(ctx, args[len(words):], stdout, stderr)
		}
	}
	fmt.Fprint(stderr, adminUsage())
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
		return flag.ErrHelp
	}
	return fmt.Errorf("unknown admin command %q", strings.Join(commandWords(args), " "))
}

// commandWords returns the words before the first flag: what the operator meant as the
// command. Flag values are left out of messages, since one may be a database URL with a
// password.
func commandWords(args []string) []string {
	for i, a := range args {
		if strings.HasPrefix(a, "-") {
			return args[:i]
		}
	}
	return args
}

func adminUsage() string {
	var b strings.Builder
	b.WriteString("usage:\n")
	for _, c := range adminCommands {
		line := "bucketd admin " + c.path
		if c.flags != "" {
			line += " " + c.flags
		}
		fmt.Fprintf(&b, "  %s [--json]\n", line)
	}
	b.WriteString("\nRun \"bucketd admin <command> -h\" for the flags of a command.\n")
	return b.String()
}

// adminFlags are a command's flags with the ones every admin command shares: the database,
// the log level and --json.
type adminFlags struct {
	*flagSet
	store  storeConfig
	asJSON bool
}

func newAdminFlags(path string) *adminFlags {
	f := &adminFlags{flagSet: newFlagSet("admin " + path)}
	f.store.register(f.flagSet)
	f.BoolVar(&f.asJSON, "json", false, "print the result as JSON for scripts")
	return f
}

// parse parses args and refuses positional arguments, which no admin command takes: a value
// without its flag is a mistake, not something to ignore.
func (f *adminFlags) parse(args []string, stderr io.Writer) error {
	if err := parseFlags(f.flagSet, args, stderr); err != nil {
		return err
	}
	if f.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: every value is given with its flag, such as --email EMAIL", f.Arg(0))
	}
	return nil
}

// repeated is a flag that may be given several times, collecting every value.
type repeated []string

func (r *repeated) String() string { return strings.Join(*r, ",") }

func (r *repeated) Set(v string) error {
	*r = append(*r, v)
	return nil
}

// withAdmin opens the store, runs fn with the admin use cases, and closes the store.
func withAdmin(ctx context.Context, cfg storeConfig, stderr io.Writer, fn func(*app.Admin) error) error {
	log, err := newLogger(cfg.logLevel, stderr)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close()
	a, err := app.NewAdmin(app.AdminDeps{Organizations: store, Workspaces: store, Users: store, Tokens: store, Audit: store.Audit(), Logger: log})
	if err != nil {
		return err
	}
	return fn(a)
}

// printJSON writes v as one line of JSON.
func printJSON(w io.Writer, v any) error {
	return json.NewEncoder(w).Encode(v)
}

// printTable writes a header and rows as aligned columns.
func printTable(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, row := range append([][]string{header}, rows...) {
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

// printResult prints v as JSON, or the text when the operator did not ask for JSON.
func printResult(w io.Writer, asJSON bool, v any, text string) error {
	if asJSON {
		return printJSON(w, v)
	}
	_, err := io.WriteString(w, text)
	return err
}

// timeText formats a time for the text output: UTC to the second, or "-" for none.
func timeText(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
