package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/acmeproxy/acmeproxy/journal"
	"github.com/acmeproxy/acmeproxy/lint"
	"github.com/acmeproxy/acmeproxy/reports"
	"github.com/acmeproxy/acmeproxy/rules"
)

// defaultConfig is the project configuration lint picks up by itself from
// the working directory, as Spectral does with .spectral.yaml.
const defaultConfig = "acmeproxy.yaml"

type lintOptions struct {
	rulesFlags
	formats       []string
	failOn        string
	ca            string
	asOf          string
	writeBaseline string
}

// newLintCmd returns "acmeproxy lint".
func newLintCmd(e *env) *cobra.Command {
	o := &lintOptions{}
	cmd := &cobra.Command{
		Use:   "lint FILE...",
		Short: "Lint recorded ACME traffic (journals or HAR files) and report what the client did wrong",
		Long: `lint decodes the recordings, follows each account's flow across them (in time
order) and evaluates the rules: the built-in pack (see 'acmeproxy rules list'),
extra rule files given with --rules, as configured by --config (or by
./acmeproxy.yaml when present).

Recordings are judged by the policy of their own date and CA; --as-of and --ca
judge them as of another day or CA instead.

--format takes a format name, optionally with a file: text (default, to
stdout), json, sarif, junit, markdown, html; for example
  --format text --format sarif=acme.sarif --format html=report.html

Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or input
error, 3 a rule failed to evaluate (the lint is incomplete).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runLint(e, o, args) },
	}
	o.register(cmd, false)
	f := cmd.Flags()
	f.StringArrayVar(&o.formats, "format", nil, "output format, optionally =FILE (repeatable; default text to stdout)")
	f.StringVar(&o.failOn, "fail-on", "error", "least severity that makes the exit code 1: error, warning, notice or info")
	f.StringVar(&o.ca, "ca", "", "judge the recordings as if they came from this CA (letsencrypt, pebble, …)")
	f.StringVar(&o.asOf, "as-of", "", "judge the recordings as of this day (YYYY-MM-DD) instead of their own")
	f.StringVar(&o.writeBaseline, "write-baseline", "", "write the fingerprints of every finding to FILE, to accept them")
	return cmd
}

// output is one requested format and where it goes.
type output struct {
	format reports.Format
	path   string // "" for stdout
}

// parseOutputs reads the FORMAT[=FILE] values of flag (--format,
// --report).
func parseOutputs(flag string, specs []string) ([]output, error) {
	var outs []output
	stdout := 0
	for _, s := range specs {
		name, path, _ := strings.Cut(s, "=")
		f, ok := reports.Lookup(name)
		if !ok {
			var names []string
			for _, f := range reports.Formats() {
				names = append(names, f.Name)
			}
			return nil, usageErrorf("%s %q: unknown format (want %s)", flag, name, strings.Join(names, ", "))
		}
		if path == "" {
			stdout++
		}
		outs = append(outs, output{format: f, path: path})
	}
	if stdout > 1 {
		return nil, usageErrorf("%[1]s: only one format can go to stdout; give the others a file (%[1]s sarif=out.sarif)", flag)
	}
	return outs, nil
}

func runLint(e *env, o *lintOptions, paths []string) error {
	formats := o.formats
	if len(formats) == 0 {
		formats = []string{"text"}
	}
	outs, err := parseOutputs("--format", formats)
	if err != nil {
		return err
	}
	failOn, err := rules.ParseSeverity(o.failOn)
	if err != nil {
		return usageErrorf("--fail-on: %v", err)
	}
	opts := lint.Options{CA: o.ca, LintTime: time.Now()}
	if o.asOf != "" {
		if opts.AsOf, err = time.Parse(time.DateOnly, o.asOf); err != nil {
			return usageErrorf("--as-of %q: want YYYY-MM-DD", o.asOf)
		}
	}
	if o.config == "" {
		if _, err := os.Stat(defaultConfig); err == nil {
			o.config = defaultConfig
			fmt.Fprintf(e.stderr, "acmeproxy: using %s\n", defaultConfig)
		}
	}
	if opts.Set, err = o.set(e); err != nil {
		return err
	}
	if isTerminal(e.stderr) {
		opts.Progress = progressPrinter(e.stderr)
	}
	res, err := lint.Run(e.ctx, paths, opts)
	if err != nil {
		return inputError(err)
	}
	rep, err := res.Report(lint.ReportOptions{Tool: reports.Tool{Name: "acmeproxy", Version: version, URI: "https://github.com/acmeproxy/acmeproxy"},
		Generated: opts.LintTime.UTC(), FailOn: failOn, Set: opts.Set})
	if err != nil {
		return inputError(err)
	}
	if err := rep.Validate(); err != nil {
		return &exitError{code: exitEngine, err: fmt.Errorf("building the report: %w", err)}
	}
	if o.writeBaseline != "" {
		err := writeFileAtomic(o.writeBaseline, func(w io.Writer) error { return rules.WriteBaseline(w, res.Findings) })
		if err != nil {
			return &exitError{code: exitEngine, err: err}
		}
	}
	if err := writeOutputs(e, rep, outs); err != nil {
		return err
	}
	if code := rep.ExitCode(); code != exitOK {
		return &exitError{code: code}
	}
	return nil
}

// inputError names the file and line of a recording that could not be
// read (exit 2).
func inputError(err error) error {
	var le *journal.LineError
	var ee *journal.EntryError
	if errors.As(err, &le) || errors.As(err, &ee) || errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) {
		return usageErrorf("%v", err)
	}
	return usageErrorf("reading recordings: %v", err)
}

func writeOutputs(e *env, rep *reports.Report, outs []output) error {
	wd, _ := os.Getwd()
	ro := reports.Options{BaseDir: wd, Color: isTerminal(e.stdout)}
	for _, out := range outs {
		if out.path == "" {
			if err := out.format.Write(e.stdout, rep, ro); err != nil {
				return &exitError{code: exitEngine, err: fmt.Errorf("writing %s: %w", out.format.Name, err)}
			}
			continue
		}
		if err := writeFileAtomic(out.path, func(w io.Writer) error { return out.format.Write(w, rep, ro) }); err != nil {
			return &exitError{code: exitEngine, err: fmt.Errorf("writing %s report to %s: %w", out.format.Name, out.path, err)}
		}
	}
	return nil
}

// writeFileAtomic writes a file through a temporary one beside it.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressPrinter shows bytes read of the total and exchanges per second.
func progressPrinter(w io.Writer) func(read, total int64, exchanges int) {
	start := time.Now()
	return func(read, total int64, exchanges int) {
		rate := float64(exchanges) / time.Since(start).Seconds()
		pct := 0.0
		if total > 0 {
			pct = 100 * float64(read) / float64(total)
		}
		fmt.Fprintf(w, "\rlint: %5.1f%% of %d MB, %d exchanges, %.0f/s", pct, total>>20, exchanges, rate)
	}
}
