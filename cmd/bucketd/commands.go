package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
)

// command is one node of bucketd's command tree: a group that only holds sub-commands, or a
// leaf that runs. Help at every level is rendered from this tree, so a new command appears in
// every usage that should list it, and the tests walk the same tree.
type command struct {
	name string
	// synopsis is a leaf's required and main flags, as its usage line shows them.
	synopsis string
	summary  string
	// details, when set, follows the summary in the usage: what an operator must know before
	// running the command.
	details string
	sub     []command
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands is bucketd's command tree. It is built by a function, not held in a variable,
// because the leaves' flag sets render their usage from it.
func commands() command {
	return command{name: "", summary: "register cloud storage buckets with credentials proved to work", sub: []command{
		{name: "serve", synopsis: "[--dev]", summary: "run the HTTP API (--dev: a local development server)", run: serve},
		{name: "migrate", summary: "apply database migrations and exit; report bucket names that collide", run: migrate},
		{name: "version", summary: "print the version, the commit and the Go version", run: printVersion},
		{name: "admin", summary: "administer organizations, workspaces, users, tokens; read the audit trail", sub: []command{
			{name: "bootstrap", synopsis: "--org NAME --email EMAIL [--plan PLAN] [--bucket-limit N] [--workspace NAME]",
				summary: "create an organization with a workspace, an admin user and a token", run: adminBootstrap},
			{name: "org", summary: "list organizations; set an organization's plan and bucket limit", sub: []command{
				{name: "list", summary: "list organizations with their plans, limits and bucket counts", run: adminOrgList},
				{name: "set", synopsis: "--org ID [--plan PLAN] [--bucket-limit N | --clear-bucket-limit]",
					summary: "change an organization's plan or bucket limit", run: adminOrgSet},
			}},
			{name: "workspace", summary: "create, list, rename and delete an organization's workspaces", sub: []command{
				{name: "create", synopsis: "--org ID --name NAME", summary: "add a workspace to an organization", run: adminWorkspaceCreate},
				{name: "list", synopsis: "--org ID", summary: "list an organization's workspaces", run: adminWorkspaceList},
				{name: "rename", synopsis: "--org ID --workspace ID --name NAME", summary: "give a workspace a new name", run: adminWorkspaceRename},
				{name: "delete", synopsis: "--org ID --workspace ID",
					summary: "delete a workspace without live buckets, and its memberships", run: adminWorkspaceDelete},
			}},
			{name: "user", summary: "add and list users; change a user's role; set a user's password", sub: []command{
				{name: "add", synopsis: "--org ID --email EMAIL --role ADMIN|MEMBER [--workspace ID]...",
					summary: "add a user to an organization", run: adminUserAdd},
				{name: "list", synopsis: "--org ID", summary: "list an organization's users", run: adminUserList},
				{name: "role", synopsis: "--email EMAIL --role ADMIN|MEMBER", summary: "change a user's role", run: adminUserRole},
				{name: "password", synopsis: "--email EMAIL", run: adminUserPassword,
					summary: "set a user's password (asked for, or stdin's first line) and end the user's sessions"},
			}},
			{name: "member", summary: "add a user to a workspace, change the user's role in it, or remove it", sub: []command{
				{name: "add", synopsis: "--workspace ID --email EMAIL [--role READ|WRITE|ADMIN]", summary: "make a user a member of a workspace", run: adminMemberAdd},
				{name: "role", synopsis: "--workspace ID --email EMAIL --role READ|WRITE|ADMIN", summary: "change a member's role in a workspace", run: adminMemberRole},
				{name: "remove", synopsis: "--workspace ID --email EMAIL", summary: "end a user's membership of a workspace", run: adminMemberRemove},
			}},
			{name: "token", summary: "create, list and revoke a user's API tokens", sub: []command{
				{name: "create", synopsis: "--email EMAIL [--ttl DURATION]", summary: "issue a token, shown once", run: adminTokenCreate},
				{name: "list", synopsis: "--email EMAIL", summary: "list a user's tokens, never the tokens themselves", run: adminTokenList},
				{name: "revoke", synopsis: "--id TOKEN_ID | --email EMAIL", summary: "revoke one token or every token of a user", run: adminTokenRevoke},
			}},
			{name: "audit", synopsis: "--org ID | --system [--since 24h|RFC3339] [--limit N]",
				summary: "print the audit trail as JSON lines", run: adminAudit},
		}},
		{name: "keys", summary: "inspect and rotate the master keys that seal stored secrets", details: keysDetails, sub: []command{
			{name: "status", summary: "count the buckets' and API keys' values sealed under each master key, and those without a fingerprint", run: keysStatus},
			{name: "rotate", synopsis: "[--batch N]", summary: "re-seal every bucket's and API key's value under the active master key", run: keysRotate},
		}},
	}}
}

// keysDetails is how a rotation goes, which both keys commands serve.
const keysDetails = `
Both read the master key ring as serve does: --master-keys (BUCKETD_MASTER_KEYS) or
--master-key-file (BUCKETD_MASTER_KEY_FILE); the first key is the active one. To rotate, restart
every server with the new key first and the old ones after it, run "keys rotate" with that ring
while they serve, check "keys status", then remove the old keys under which no bucket and no
API key has a value left (keys status names them), but no sooner than 24 hours after the restart: Idempotency-Keys recorded under an old key are checked with it for 24 hours,
and a retry of one answers 503 while its key is missing.

Buckets and API keys without a secret fingerprint get one when their secret is replaced, or when "keys rotate"
is given the servers' fingerprint key, --fingerprint-key (BUCKETD_FINGERPRINT_KEY), even when
every value is under the active key already; it refuses a key that does not reproduce the
fingerprints already stored.
`

// self is how this binary was invoked (bin/bucketd from the repository root, bucketd from the
// PATH), so that every command a usage or a hint shows can be typed as it is shown.
func self() string {
	if len(os.Args) > 0 && os.Args[0] != "" {
		return os.Args[0]
	}
	return "bucketd"
}

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}

// dispatch runs the command args select below c, whose words so far are path. A group asked
// for help prints its usage on stdout and returns flag.ErrHelp; a group given no command or an
// unknown one prints its usage on stderr and returns an error naming what was wrong.
func dispatch(ctx context.Context, c command, path []string, args []string, stdout, stderr io.Writer) error {
	if c.run != nil {
		return c.run(ctx, args, stdout, stderr)
	}
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Fprint(stdout, groupUsage(c, path))
		return flag.ErrHelp
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(stderr, groupUsage(c, path))
		return fmt.Errorf("%s: name a command: %s", commandLine(path), strings.Join(names(c.sub), ", "))
	}
	for _, sub := range c.sub {
		if sub.name == args[0] {
			return dispatch(ctx, sub, append(path, sub.name), args[1:], stdout, stderr)
		}
	}
	fmt.Fprint(stderr, groupUsage(c, path))
	// Only the word that names no command is quoted: later arguments are flag values, and one
	// may be a database URL with a password.
	return fmt.Errorf("unknown command %q: %s takes %s", strings.Join(append(path, args[0]), " "),
		commandLine(path), strings.Join(names(c.sub), ", "))
}

func names(cs []command) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.name
	}
	return out
}

// commandLine is the words that select a command, as typed.
func commandLine(path []string) string {
	return strings.TrimSpace(self() + " " + strings.Join(path, " "))
}

// groupUsage lists every command below c, leaves with their synopsis.
func groupUsage(c command, path []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "usage: %s <command> [flags]\n\n%s.\n%s\ncommands:\n", commandLine(path), upperFirst(c.summary), c.details)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	var walk func(c command, words []string)
	walk = func(c command, words []string) {
		for _, sub := range c.sub {
			w := append(append([]string(nil), words...), sub.name)
			if sub.run != nil {
				fmt.Fprintf(tw, "  %s\t%s\n", strings.Join(w, " "), sub.summary)
			}
			walk(sub, w)
		}
	}
	walk(c, nil)
	_ = tw.Flush() // into a strings.Builder, which cannot fail
	fmt.Fprintf(&b, "\nRun \"%s <command> -h\" for the flags of a command. Every flag also reads an environment\nvariable (BUCKETD_*), listed with the flag.\n", commandLine(path))
	return b.String()
}

// leafUsage is the head of a leaf's usage, which its flag set's defaults follow; name is the
// flag set's name, the command's words.
func leafUsage(name string) string {
	path := strings.Fields(name)
	c, ok := find(commands(), path)
	if !ok {
		return fmt.Sprintf("usage: %s [flags]\n\nflags:\n", commandLine(path))
	}
	line := commandLine(path)
	if c.synopsis != "" {
		line += " " + c.synopsis
	}
	return fmt.Sprintf("usage: %s [flags]\n\n%s.\n%s\nflags:\n", line, upperFirst(c.summary), c.details)
}

func find(c command, path []string) (command, bool) {
	for _, word := range path {
		found := false
		for _, sub := range c.sub {
			if sub.name == word {
				c, found = sub, true
				break
			}
		}
		if !found {
			return command{}, false
		}
	}
	return c, true
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
