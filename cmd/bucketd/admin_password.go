package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/bucketd/bucketd/app"
	"github.com/bucketd/bucketd/domain"
)

// adminUserPassword sets a user's password, read from the terminal without echo or, when stdin
// is not a terminal, from its first line; never from a flag, which would leave it in the shell
// history and the process list.
func adminUserPassword(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var email string
	fs := newAdminFlags("user password")
	fs.StringVar(&email, "email", "", "email of the user (required); the password is read from the terminal, or from stdin's first line")
	if err := fs.parse(args, stdout, stderr); err != nil {
		return err
	}
	if strings.TrimSpace(email) == "" {
		return errors.New("--email is required: the email of the user whose password to set")
	}
	password, err := readPassword(os.Stdin, stderr, email)
	if err != nil {
		return err
	}
	hasher, err := newPasswordHasher()
	if err != nil {
		return err
	}
	return withAdmin(ctx, fs.store, stderr, func(a *app.Admin) error {
		ended, err := a.SetPassword(ctx, email, password)
		if err != nil {
			return err
		}
		return printResult(stdout, fs.asJSON, struct {
			Email         string `json:"email"`
			SessionsEnded int    `json:"sessionsEnded"`
		}{email, ended}, fmt.Sprintf("the password of %s is set; %d session(s) of the user ended, API tokens unchanged\n", email, ended))
	}, withPasswords(hasher))
}

// readPassword reads a password from a terminal (asked twice, without echo) or from the first
// line of a pipe or file.
func readPassword(in *os.File, prompt io.Writer, email string) (domain.Secret, error) {
	fd := int(in.Fd()) //nolint:gosec // G115: a file descriptor fits an int
	if !term.IsTerminal(fd) {
		line, err := bufio.NewReader(io.LimitReader(in, app.MaxPasswordBytes+3)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return domain.Secret{}, fmt.Errorf("read the password from stdin: %w", err)
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if line == "" {
			return domain.Secret{}, errors.New("stdin is empty: pipe the password in as its first line, or run the command in a terminal to be asked for it")
		}
		return domain.NewSecret(line), nil
	}
	fmt.Fprintf(prompt, "New password for %s: ", email)
	first, err := term.ReadPassword(fd)
	fmt.Fprintln(prompt)
	if err != nil {
		return domain.Secret{}, fmt.Errorf("read the password: %w", err)
	}
	fmt.Fprint(prompt, "Repeat it: ")
	second, err := term.ReadPassword(fd)
	fmt.Fprintln(prompt)
	if err != nil {
		return domain.Secret{}, fmt.Errorf("read the password: %w", err)
	}
	if string(first) != string(second) {
		return domain.Secret{}, errors.New("the two passwords differ; nothing was changed")
	}
	return domain.NewSecret(string(first)), nil
}
