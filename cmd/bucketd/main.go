// Command bucketd is the composition root: it reads configuration, wires every adapter to the
// application service and runs one of its sub-commands (commands.go holds the tree; `bucketd -h`
// prints it).
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

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp): // help was asked for and printed on stdout
	case err != nil:
		fmt.Fprintln(os.Stderr, "bucketd:", err)
		os.Exit(2)
	}
}

// run dispatches a command line; it is main without the process exits, so tests can call it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-version") {
		return printVersion(ctx, args[1:], stdout, stderr)
	}
	return dispatch(ctx, commands(), nil, args, stdout, stderr)
}
