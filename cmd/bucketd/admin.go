package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/ports"
)

// adminFlags are a command's flags with the ones every admin command shares: the database,
// the log level and --json.
type adminFlags struct {
	*flagSet
	store  storeConfig
	asJSON bool
}

func newAdminFlags(path string) *adminFlags {
	f := &adminFlags{flagSet: newFlagSet("admin " + path)}
	f.store.register(f.flagSet, "warn")
	f.BoolVar(&f.asJSON, "json", false, "print the result as JSON for scripts")
	return f
}

// parse parses args and refuses positional arguments, which no admin command takes: a value
// without its flag is a mistake, not something to ignore.
func (f *adminFlags) parse(args []string, stdout, stderr io.Writer) error {
	if err := parseFlags(f.flagSet, args, stdout, stderr); err != nil {
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
func withAdmin(ctx context.Context, cfg storeConfig, stderr io.Writer, fn func(*app.Admin) error, options ...func(*app.AdminDeps)) (err error) {
	log, err := newLogger(cfg.logLevel, stderr)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	// A failed close (a connection lost, a WAL not checkpointed) is the command's failure too.
	defer func() { err = errors.Join(err, store.Close()) }()
	deps := app.AdminDeps{Organizations: store, Workspaces: store, Users: store, Tokens: store, Audit: store.Audit(), Accounts: store, Logger: log}
	for _, option := range options {
		option(&deps)
	}
	a, err := app.NewAdmin(deps)
	if err != nil {
		return err
	}
	return fn(a)
}

// withPasswords gives withAdmin's Admin the password hasher, which only the commands that set
// passwords need: building one hashes once.
func withPasswords(hasher ports.PasswordHasher) func(*app.AdminDeps) {
	return func(d *app.AdminDeps) { d.Hasher = hasher }
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
