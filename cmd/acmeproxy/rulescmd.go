package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/acmeproxy/acmeproxy/rules"
	"github.com/acmeproxy/acmeproxy/rules/builtin"
)

// builtinSchema is the schema the built-in rules and users' rule files are
// type-checked against: the flow ledger's types.
func builtinSchema() *rules.Schema { return builtin.Schema() }

// builtinPack is the embedded rule pack that acmeproxy:recommended and
// acmeproxy:all select.
func builtinPack() fs.FS { return builtin.FS() }

// builtinName prefixes the built-in pack's files in messages.
const builtinName = "builtin"

// rulesFlags are the flags that choose which rules a command sees.
type rulesFlags struct {
	config string
	rules  []string
	json   bool
}

func (f *rulesFlags) register(cmd *cobra.Command, withJSON bool) {
	cmd.Flags().StringVar(&f.config, "config", "", "project configuration (acmeproxy.yaml) to apply")
	cmd.Flags().StringArrayVar(&f.rules, "rules", nil, "extra rule file or directory (repeatable)")
	if withJSON {
		cmd.Flags().BoolVar(&f.json, "json", false, "print JSON instead of text")
	}
}

// set builds the rule set the flags describe. Load errors are printed and
// turned into a usage error (exit 2).
func (f *rulesFlags) set(e *env) (*rules.Set, error) {
	var cfg *rules.Config
	if f.config != "" {
		c, err := rules.LoadConfig(f.config)
		if err != nil {
			return nil, loadFailed(e, err)
		}
		cfg = c
	}
	set, err := rules.Build(cfg, rules.Options{Schema: builtinSchema(), Builtin: builtinPack(),
		BuiltinName: builtinName, Rules: f.rules})
	if err != nil {
		return nil, loadFailed(e, err)
	}
	return set, nil
}

// newRulesCmd returns "acmeproxy rules list|explain|check".
func newRulesCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List, explain and check lint rules and configurations",
		Long: `rules shows the lint rules acmeproxy knows (the built-in pack, files given with
--rules, and what a configuration adds), explains one rule in full, and checks
rule files and acmeproxy.yaml configurations without linting anything.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newRulesListCmd(e), newRulesExplainCmd(e), newRulesCheckCmd(e))
	return cmd
}

func newRulesListCmd(e *env) *cobra.Command {
	var f rulesFlags
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List every known rule with its severity, subject and title",
		Long: `list prints every known rule: its id, its severity after configuration ("off"
when disabled), the kind of subject it judges and its title. With --json it
prints every field of every rule.`,
		Example: `  acmeproxy rules list
  acmeproxy rules list --config acmeproxy.yaml --rules team-rules/ --json`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			set, err := f.set(e)
			if err != nil {
				return err
			}
			if f.json {
				return writeJSON(e.stdout, ruleViews(set.Entries()))
			}
			return listText(e.stdout, set)
		},
	}
	f.register(cmd, true)
	return cmd
}

// listText prints the rules as a table.
func listText(w io.Writer, set *rules.Set) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tSUBJECT\tTITLE")
	for _, en := range set.Entries() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", en.Rule.ID, severityWord(en), en.Rule.Subject, en.Rule.Title)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%s\n", set)
	return err
}

// severityWord is the configured severity, or "off".
func severityWord(en rules.Entry) string {
	if !en.Enabled {
		return "off"
	}
	return en.Severity.String()
}

func newRulesExplainCmd(e *env) *cobra.Command {
	var f rulesFlags
	cmd := &cobra.Command{
		Use:   "explain ID",
		Short: "Show everything about one rule",
		Long: `explain prints one rule in full: its severity (configured and default), subject,
status, where it is defined, when and at which CAs it applies, its condition,
evidence and message, its parameters with their defaults and configured values,
its citations and its example recordings.`,
		Example: `  acmeproxy rules explain example_orphaned_pending_authorization`,
		Args:    cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			set, err := f.set(e)
			if err != nil {
				return err
			}
			en, ok := set.Lookup(args[0])
			if !ok {
				hint := ""
				if s := set.Suggest(args[0]); len(s) > 0 {
					hint = fmt.Sprintf(" (did you mean %s?)", strings.Join(s, ", "))
				}
				return usageErrorf("rules explain: no rule %q%s; see 'acmeproxy rules list'", args[0], hint)
			}
			if f.json {
				return writeJSON(e.stdout, ruleView(en))
			}
			return explainText(e.stdout, en)
		},
	}
	f.register(cmd, true)
	return cmd
}

func newRulesCheckCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "check FILE|DIR...",
		Short: "Load and type-check rule files and configurations",
		Long: `check loads each rule file (or directory of rule files) and each configuration
given, compiles every expression against the subject types and reports every
mistake as FILE:LINE:COLUMN. A file is a configuration when it has extends,
suppressions, baseline or a mapping under rules; configurations are checked
together with the rule files given beside them. Exit status 0 when all is
well, 2 when anything is wrong.`,
		Example: `  acmeproxy rules check my-rules.yaml
  acmeproxy rules check acmeproxy.yaml team-rules/`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error { return checkFiles(e, args) },
	}
	return cmd
}

// checkFiles is "rules check".
func checkFiles(e *env, paths []string) error {
	var configs, ruleFiles []string
	for _, p := range paths {
		if data, err := os.ReadFile(p); err == nil && rules.IsConfig(data) {
			configs = append(configs, p)
		} else {
			ruleFiles = append(ruleFiles, p) // directories, rule files and unreadable paths
		}
	}
	opts := rules.Options{Schema: builtinSchema(), Builtin: builtinPack(), BuiltinName: builtinName, Rules: ruleFiles}
	var errs []error
	set, err := rules.Build(&rules.Config{Extends: []rules.Extend{}}, opts)
	errs = append(errs, err)
	for _, p := range configs {
		cfg, err := rules.LoadConfig(p)
		errs = append(errs, err)
		if cfg != nil { // what parsed is still checked against the rules
			_, err = rules.Build(cfg, opts)
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return loadFailed(e, err)
	}
	n := 0
	for _, en := range set.Entries() {
		if en.Enabled && !en.Builtin && en.Rule.Subject != rules.KindConfig {
			n++
		}
	}
	fmt.Fprintf(e.stdout, "ok: %s in %s, %s\n", plural(n, "rule"), plural(len(ruleFiles), "rule path"),
		plural(len(configs), "configuration"))
	return nil
}

// loadFailed prints load errors, one per line with the offending source
// line and a caret under the column, and returns a usage error (exit 2)
// that is not printed again.
func loadFailed(e *env, err error) error {
	seen := map[string]bool{}
	for _, le := range flattenLoadErrors(err) {
		msg := le.Error()
		if seen[msg] {
			continue
		}
		seen[msg] = true
		fmt.Fprintf(e.stderr, "%s\n", msg)
		if le.Excerpt != "" && le.Pos.Column > 0 {
			fmt.Fprintf(e.stderr, "    %s\n    %s^\n", le.Excerpt, caretPad(le.Excerpt, le.Pos.Column))
		}
	}
	return &exitError{code: exitUsage}
}

// flattenLoadErrors returns the load errors inside err (which errors.Join
// may have combined), wrapping any other error as a position-less one.
func flattenLoadErrors(err error) []*rules.LoadError {
	switch x := err.(type) {
	case nil:
		return nil
	case rules.LoadErrors:
		return x
	case interface{ Unwrap() []error }:
		var out []*rules.LoadError
		for _, e := range x.Unwrap() {
			out = append(out, flattenLoadErrors(e)...)
		}
		return out
	}
	return []*rules.LoadError{{Msg: strings.TrimPrefix(err.Error(), "rules: ")}}
}

// caretPad returns the white space that puts a caret under 1-based rune
// column col of line, keeping tabs so that it lines up.
func caretPad(line string, col int) string {
	var b strings.Builder
	for i, r := range []rune(line) {
		if i >= col-1 {
			break
		}
		if r == '\t' {
			b.WriteRune('\t')
		} else {
			b.WriteRune(' ')
		}
	}
	return b.String()
}

// writeJSON prints v indented.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// formatDate prints a rule date, or "" for none.
func formatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

// ruleJSON is the JSON form of a rule and its configured state, printed by
// `rules list --json` and `rules explain --json`.
type ruleJSON struct {
	ID              string           `json:"id"`
	Title           string           `json:"title"`
	Description     string           `json:"description,omitempty"`
	Enabled         bool             `json:"enabled"`
	Severity        rules.Severity   `json:"severity"`
	DefaultSeverity rules.Severity   `json:"default_severity"`
	Status          rules.Status     `json:"status"`
	Subject         rules.Kind       `json:"subject"`
	Builtin         bool             `json:"builtin"`
	Source          string           `json:"source"`
	Condition       string           `json:"condition,omitempty"`
	Evidence        string           `json:"evidence,omitempty"`
	Message         string           `json:"message,omitempty"`
	Remediation     string           `json:"remediation,omitempty"`
	Citations       []rules.Citation `json:"citations,omitempty"`
	Params          []paramJSON      `json:"params,omitempty"`
	Effective       string           `json:"effective,omitempty"`
	Ineffective     string           `json:"ineffective,omitempty"`
	CA              []string         `json:"ca,omitempty"`
	Tags            []string         `json:"tags,omitempty"`
	Examples        []exampleJSON    `json:"examples,omitempty"`
}

type paramJSON struct {
	Name        string          `json:"name"`
	Type        rules.ParamType `json:"type"`
	Default     any             `json:"default"`
	Value       any             `json:"value"`
	Description string          `json:"description,omitempty"`
}

type exampleJSON struct {
	Recording string   `json:"recording"`
	Count     int      `json:"expect_count"`
	Keys      []string `json:"expect_keys,omitempty"`
}

func ruleViews(entries []rules.Entry) []ruleJSON {
	out := make([]ruleJSON, len(entries))
	for i, en := range entries {
		out[i] = ruleView(en)
	}
	return out
}

func ruleView(en rules.Entry) ruleJSON {
	r := en.Rule
	v := ruleJSON{
		ID: r.ID, Title: r.Title, Description: r.Description, Enabled: en.Enabled, Severity: en.Severity,
		DefaultSeverity: r.Severity, Status: r.Status, Subject: r.Subject, Builtin: en.Builtin,
		Source: r.Pos.String(), Condition: strings.TrimSpace(r.Condition), Evidence: strings.TrimSpace(r.Evidence),
		Message: strings.TrimSpace(r.Message), Remediation: r.Remediation, Citations: r.Citations,
		Effective: formatDate(r.Effective), Ineffective: formatDate(r.Ineffective), CA: r.CA, Tags: r.Tags,
	}
	for _, p := range r.Params {
		v.Params = append(v.Params, paramJSON{Name: p.Name, Type: p.Type, Default: paramValue(p.Default),
			Value: paramValue(en.Params[p.Name]), Description: p.Description})
	}
	for _, ex := range r.Examples {
		v.Examples = append(v.Examples, exampleJSON{Recording: ex.Recording, Count: ex.Expect.Count, Keys: ex.Expect.Keys})
	}
	return v
}

// paramValue shows durations as Go writes them ("15m0s"), not as
// nanoseconds.
func paramValue(v any) any {
	if d, ok := v.(time.Duration); ok {
		return d.String()
	}
	return v
}

// explainText prints one rule for a human.
func explainText(w io.Writer, en rules.Entry) error {
	r := en.Rule
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n\n", r.ID, r.Title)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  severity\t%s (default %s)\n", severityWord(en), r.Severity)
	if r.Subject == rules.KindConfig {
		fmt.Fprintf(tw, "  subject\t%s (a meta rule about the configuration itself)\n", r.Subject)
	} else {
		fmt.Fprintf(tw, "  subject\t%s (expression variable %s)\n", r.Subject, r.Subject.Var())
	}
	fmt.Fprintf(tw, "  status\t%s\n", r.Status)
	fmt.Fprintf(tw, "  defined at\t%s\n", r.Pos)
	fmt.Fprintf(tw, "  applies\t%s\n", appliesText(r))
	if len(r.Tags) > 0 {
		fmt.Fprintf(tw, "  tags\t%s\n", strings.Join(r.Tags, ", "))
	}
	tw.Flush()
	section(&b, "Description", r.Description)
	section(&b, "Condition", strings.TrimSpace(r.Condition))
	section(&b, "Evidence", cmp.Or(strings.TrimSpace(r.Evidence), "(the subject's own exchanges)"))
	section(&b, "Message", strings.TrimSpace(r.Message))
	section(&b, "Remediation", r.Remediation)
	explainLists(&b, en)
	_, err := io.WriteString(w, b.String())
	return err
}

// explainLists prints the parameters, citations and examples.
func explainLists(b *strings.Builder, en rules.Entry) {
	r := en.Rule
	if len(r.Params) > 0 {
		fmt.Fprintf(b, "\nParameters:\n")
		tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
		for _, p := range r.Params {
			fmt.Fprintf(tw, "  %s\t%s\tdefault %v\tvalue %v\t%s\n", p.Name, p.Type, paramValue(p.Default),
				paramValue(en.Params[p.Name]), p.Description)
		}
		tw.Flush()
	}
	if len(r.Citations) > 0 {
		fmt.Fprintf(b, "\nCitations:\n")
		for _, c := range r.Citations {
			fmt.Fprintf(b, "  %s", c.Ref)
			if c.URL != "" {
				fmt.Fprintf(b, " <%s>", c.URL)
			}
			b.WriteString("\n")
		}
	}
	if len(r.Examples) > 0 {
		fmt.Fprintf(b, "\nExamples:\n")
		for _, ex := range r.Examples {
			want := fmt.Sprintf("%d findings", ex.Expect.Count)
			if ex.Expect.Keys != nil {
				want = "findings on " + cmp.Or(strings.Join(ex.Expect.Keys, ", "), "nothing")
			}
			as := ""
			if ex.CA != "" || !ex.Date.IsZero() {
				as = " (judged as " + cmp.Or(ex.CA, "its CA")
				if !ex.Date.IsZero() {
					as += " on " + ex.Date.Format(time.DateOnly)
				}
				as += ")"
			}
			fmt.Fprintf(b, "  %s%s: %s\n", ex.Recording, as, want)
		}
	}
}

// appliesText describes a rule's dates and CA scope.
func appliesText(r *rules.Rule) string {
	when := "always"
	switch eff, ineff := formatDate(r.Effective), formatDate(r.Ineffective); {
	case eff != "" && ineff != "":
		when = fmt.Sprintf("to recordings from %s until %s (exclusive)", eff, ineff)
	case eff != "":
		when = "to recordings from " + eff
	case ineff != "":
		when = fmt.Sprintf("to recordings before %s", ineff)
	}
	if len(r.CA) == 0 {
		return when + ", at every CA"
	}
	return when + ", at " + strings.Join(r.CA, ", ")
}

// section prints a titled, indented paragraph, or nothing when text is
// empty.
func section(b *strings.Builder, title, text string) {
	if text == "" {
		return
	}
	fmt.Fprintf(b, "\n%s:\n", title)
	for _, line := range strings.Split(text, "\n") {
		fmt.Fprintf(b, "  %s\n", line)
	}
}

// plural writes "1 rule", "2 rules".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
