// Command bucketd is the composition root: it reads configuration, wires every adapter to the
// application service and runs one of its sub-commands.
//
//	bucketd serve [--dev]                         run the HTTP API
//	bucketd migrate                               apply database migrations, report colliding names, exit
//	bucketd admin bootstrap --org NAME --email E  create an organization, its admin and a token
//	bucketd admin org|workspace|user|member ...   list and change organizations, workspaces, users
//	bucketd admin token create|list|revoke ...    issue, list and revoke a user's tokens
//	bucketd keys status [--json]                  count the stored values under each master key
//	bucketd keys rotate [--batch N]               re-seal every stored value under the active key
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: bucketd <command> [flags]

commands:
  serve                 run the HTTP API (--dev for a local development server)
  migrate               apply database migrations and exit; report bucket names that collide
  admin bootstrap       create an organization with a workspace, an admin user and a token
  admin org             list organizations; set an organization's plan and bucket limit
  admin workspace       create and list an organization's workspaces
  admin user            add and list users; change a user's role
  admin member          add a user to a workspace or remove it
  admin token           create, list and revoke a user's API tokens
  keys status           count the stored values sealed under each master key
  keys rotate           re-seal every stored value under the active master key

Run "bucketd <command> -h" for the flags of a command. Every flag also reads an environment
variable (BUCKETD_*), listed with the flag.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp): // -h asked for the usage, which is printed
	case err != nil:
		fmt.Fprintln(os.Stderr, "bucketd:", err)
		os.Exit(2)
	}
}

// run dispatches a command line; it is main without the process exits, so tests can call it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		return serve(ctx, rest, stdout, stderr)
	case "migrate":
		return migrate(ctx, rest, stdout, stderr)
	case "admin":
		return admin(ctx, rest, stdout, stderr)
	case "keys":
		return keys(ctx, rest, stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}
