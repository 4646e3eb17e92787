package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/acmeproxy/acmeproxy/internal/demo"
)

// newDemoCmd returns "acmeproxy demo".
func newDemoCmd(e *env) *cobra.Command {
	var dir string
	var formats []string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Reproduce acme-tiny's orphaned-authorization bug on this machine and lint it",
		Long: `demo needs no network and no CA: it starts acmeproxy's own ACME v1 test CA
and the recording proxy on loopback, runs a legacy client in the manner of
acme-tiny before 4.0 for two names whose second challenge file is not served,
so the client's own self-check fails and it stops, and lints the recording:
the orphaned pending authorization it leaves behind, and the fix.

The journal is kept in --dir (a new temporary directory by default), so you
can run 'acmeproxy decode' or 'acmeproxy lint --format html=…' on it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				d, err := os.MkdirTemp("", "acmeproxy-demo-")
				if err != nil {
					return &exitError{code: exitEngine, err: err}
				}
				dir = d
			}
			path, err := demo.Run(e.ctx, demo.Options{Dir: dir, Tool: "acmeproxy " + version, Log: e.stdout})
			if err != nil {
				return &exitError{code: exitEngine, err: fmt.Errorf("demo: %w", err)}
			}
			fmt.Fprintf(e.stdout, "demo: linting %s\n\n", path)
			lo := &lintOptions{formats: formats, failOn: "error"}
			err = runLint(e, lo, []string{path})
			fmt.Fprintf(e.stdout, "\ndemo: the recording is %s; try: acmeproxy decode %s\n", path, path)
			return err
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "directory for the demo's journal (default: a new temporary directory)")
	cmd.Flags().StringArrayVar(&formats, "format", nil, "report format, optionally =FILE, as for lint (repeatable)")
	return cmd
}
