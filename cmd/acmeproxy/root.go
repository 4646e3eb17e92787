package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// version is the tool version written into journals and reports.
var version = "0.1.0-dev"

// Exit codes, as documented in the README.
const (
	exitOK       = 0 // clean
	exitFindings = 1 // findings at or above --fail-on
	exitUsage    = 2 // usage or input error
	exitEngine   = 3 // the tool itself failed
)

// env is what every command receives instead of reaching for globals.
type env struct {
	ctx    context.Context
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErrorf is an error in how the command was called or in its input
// (exit 2).
func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// run is main without the process: it parses args, runs the command and
// returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{ctx: ctx, getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRootCmd(e)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	code := exitUsage
	var xe *exitError
	if errors.As(err, &xe) {
		code = xe.code
	}
	if xe == nil || xe.err != nil {
		fmt.Fprintf(stderr, "acmeproxy: %s\n", strings.TrimSpace(err.Error()))
	}
	return code
}

func newRootCmd(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "acmeproxy",
		Short: "Record, decode and lint the traffic between an ACME client and its CA",
		Long: `acmeproxy stands as an HTTPS proxy between an unmodified ACME client and the
certificate authority, records every exchange, decodes the signed ACME
messages and lints each account's flow, so that client bugs show up as a
report instead of as a production rate limit.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageErrorf("%s: %v (see '%s --help')", c.CommandPath(), err, c.CommandPath())
	})
	root.AddCommand(
		// Each command lives in its own file: ca.go, runcmd.go, convert.go, rulescmd.go, decode.go, lint.go.
		newCACmd(e),
		newRunCmd(e),
		newConvertCmd(e),
		newRulesCmd(e),
		newDecodeCmd(e),
		newLintCmd(e),
		newDemoCmd(e),
	)
	return root
}
