package reports

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/acmeproxy/acmeproxy/rules"
)

// WriteText writes the report for a terminal: the inputs, then the
// findings grouped by account and by subject (order, authorization, …),
// each with its evidence as file:line and its remediation, then suppressed
// findings, engine errors and a summary line. With o.Color, severities
// are coloured with ANSI escapes.
func WriteText(w io.Writer, r *Report, o Options) error {
	bw := bufio.NewWriter(w)
	t := textWriter{w: bw, r: r, color: o.Color}
	t.header()
	for _, g := range r.Group(r.Findings) {
		t.account(&g)
	}
	t.suppressed()
	t.engineErrors()
	t.summary()
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing text report: %w", err)
	}
	return nil
}

type textWriter struct {
	w     *bufio.Writer
	r     *Report
	color bool
}

func (t *textWriter) printf(format string, args ...any) { fmt.Fprintf(t.w, format, args...) }

// header writes the tool, the inputs and the rules line.
func (t *textWriter) header() {
	r := t.r
	t.printf("%s %s lint, %s\n", r.Tool.Name, r.Tool.Version, r.Generated.UTC().Format(time.RFC3339))
	for _, in := range r.Inputs {
		t.printf("  %s (%s): %s\n", in.Path, in.Format, inputFacts(&in))
		for _, w := range in.Warnings {
			t.printf("    warning: %s\n", w)
		}
	}
	if c := r.Client; c != nil {
		t.printf("  %s\n", c.String())
	}
	t.printf("  %s", plural(len(r.Rules), "rule", "rules"))
	if n := r.Summary.RulesSkipped; n > 0 {
		t.printf(" (%d not applicable to these recordings)", n)
	}
	t.printf(", fail on %s\n", r.FailOn)
}

// inputFacts describes an input in one line.
func inputFacts(in *Input) string {
	parts := []string{plural(in.Exchanges, "exchange", "exchanges")}
	if !in.Start.IsZero() {
		parts = append(parts, timeSpan(in.Start, in.End))
	}
	if in.Dialect != "" {
		parts = append(parts, "ACME "+in.Dialect)
	}
	if in.CA != "" {
		parts = append(parts, "CA "+in.CA)
	}
	if in.Upstream != "" {
		parts = append(parts, in.Upstream)
	}
	return strings.Join(parts, ", ")
}

// account writes one account's findings.
func (t *textWriter) account(g *AccountGroup) {
	t.printf("\n%s", g.Name())
	if a := g.Account; a != nil {
		if a.URL != "" {
			t.printf("  %s", a.URL)
		}
		if a.Dialect != "" {
			t.printf("  (ACME %s)", a.Dialect)
		}
	}
	t.printf("\n")
	for _, s := range g.Subjects {
		if s.Kind == rules.KindAccount {
			t.printf("  the account itself")
		} else {
			t.printf("  %s", s.Findings[0].Label)
		}
		if s.Lane != nil {
			if s.Lane.Key != "" && s.Lane.Key != s.Lane.Label {
				t.printf("  %s", s.Lane.Key)
			}
			for _, f := range s.Lane.Flags {
				t.printf("  [%s]", strings.ReplaceAll(string(f), "_", " "))
			}
		}
		t.printf("\n")
		for _, f := range s.Findings {
			t.finding(f)
		}
	}
}

// finding writes one finding with its evidence, fix and references.
func (t *textWriter) finding(f *Finding) {
	t.printf("    %s %s: %s\n", t.sev(f.Severity), f.Rule, oneLine(f.Message))
	for i, e := range f.Evidence {
		lead := "      evidence: "
		if i > 0 {
			lead = "                "
		}
		t.printf("%s%s\n", lead, evidenceLine(&e))
	}
	if f.Remediation != "" {
		t.printf("      fix: %s\n", oneLine(f.Remediation))
	}
	for _, c := range f.Citations {
		t.printf("      see: %s\n", citationText(c))
	}
}

// evidenceLine describes one evidence exchange: "rec.jsonl:12  POST
// https://… → 400 badNonce (order.create; created)".
func evidenceLine(e *Evidence) string {
	var b strings.Builder
	b.WriteString(e.String())
	if e.Found {
		fmt.Fprintf(&b, "  %s %s", e.Method, e.URL)
		if e.Status != 0 {
			fmt.Fprintf(&b, " → %d", e.Status)
		}
		if e.Problem != "" {
			b.WriteString(" " + e.Problem)
		}
	}
	var notes []string
	if e.Operation != "" {
		notes = append(notes, e.Operation)
	}
	if e.Note != "" {
		notes = append(notes, e.Note)
	}
	if len(notes) > 0 {
		b.WriteString(" (" + strings.Join(notes, "; ") + ")")
	}
	return b.String()
}

func (t *textWriter) suppressed() {
	if len(t.r.Suppressed) == 0 {
		return
	}
	t.printf("\nsuppressed (%d, not counted):\n", len(t.r.Suppressed))
	for i := range t.r.Suppressed {
		f := &t.r.Suppressed[i]
		t.printf("  %s %s on %s: %s\n", f.Severity, f.Rule, f.Label, oneLine(f.Message))
		t.printf("    %s\n", suppressionText(f.Suppression))
	}
}

// suppressionText says what accepted a finding.
func suppressionText(s *rules.Suppression) string {
	if s == nil {
		return ""
	}
	out := "accepted by " + string(s.Source)
	if s.Pos.File != "" {
		out += " (" + s.Pos.String() + ")"
	}
	if s.Reason != "" {
		out += ": " + oneLine(s.Reason)
	}
	if !s.Expires.IsZero() {
		out += ", until " + s.Expires.Format("2006-01-02")
	}
	return out
}

func (t *textWriter) engineErrors() {
	if len(t.r.EngineErrors) == 0 {
		return
	}
	t.printf("\nengine errors (%d): the lint is incomplete\n", len(t.r.EngineErrors))
	for _, e := range t.r.EngineErrors {
		t.printf("  %s\n", engineErrorText(&e))
	}
}

// engineErrorText describes an engine error in one line.
func engineErrorText(e *EngineError) string {
	var b strings.Builder
	if e.Pos != "" {
		b.WriteString(e.Pos + ": ")
	}
	if e.Rule != "" {
		b.WriteString("rule " + e.Rule)
		if e.Subject != "" {
			fmt.Fprintf(&b, " on %s %s", e.Kind, e.Subject)
		}
		b.WriteString(": ")
	}
	b.WriteString(oneLine(e.Message))
	return b.String()
}

func (t *textWriter) summary() {
	t.printf("\n%s\n", verdict(t.r))
}

// verdict is the one-line result: "FAIL: 3 findings (1 error, 2
// warnings), 1 at or above error; 1 suppressed; exit 1".
func verdict(r *Report) string {
	s := r.Summary
	word := "PASS"
	switch s.ExitCode {
	case ExitFindings:
		word = "FAIL"
	case ExitEngine:
		word = "INCOMPLETE"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", word, plural(s.Findings, "finding", "findings"))
	if bs := severityBreakdown(s.BySeverity); bs != "" {
		b.WriteString(" (" + bs + ")")
	}
	fmt.Fprintf(&b, ", %d at or above %s", s.Failing, r.FailOn)
	if s.Suppressed > 0 {
		fmt.Fprintf(&b, "; %d suppressed", s.Suppressed)
	}
	if s.EngineErrors > 0 {
		fmt.Fprintf(&b, "; %s", plural(s.EngineErrors, "engine error", "engine errors"))
	}
	if c := r.Client; c.Failed() {
		fmt.Fprintf(&b, "; %s", c)
	}
	fmt.Fprintf(&b, "; exit %d", s.ExitCode)
	return b.String()
}

// severityBreakdown writes "1 error, 2 warnings".
func severityBreakdown(c SeverityCounts) string {
	var parts []string
	for _, s := range []rules.Severity{rules.Error, rules.Warning, rules.Notice, rules.Info} {
		if n := c.Get(s); n > 0 {
			parts = append(parts, plural(n, s.String(), s.String()+"s"))
		}
	}
	return strings.Join(parts, ", ")
}

// sev returns the severity word, padded and coloured if asked.
func (t *textWriter) sev(s rules.Severity) string {
	word := fmt.Sprintf("%-7s", s)
	if !t.color {
		return word
	}
	code := map[rules.Severity]string{rules.Error: "31;1", rules.Warning: "33", rules.Notice: "36", rules.Info: "2"}[s]
	return "\x1b[" + code + "m" + word + "\x1b[0m"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// oneLine folds whitespace runs, newlines included, into single spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// timeSpan writes "2024-03-01 10:00:00 → 10:05:12 UTC (5m12s)".
func timeSpan(a, b time.Time) string {
	a, b = a.UTC(), b.UTC()
	end := b.Format("15:04:05")
	if a.YearDay() != b.YearDay() || a.Year() != b.Year() {
		end = b.Format("2006-01-02 15:04:05")
	}
	return fmt.Sprintf("%s → %s UTC (%s)", a.Format("2006-01-02 15:04:05"), end, b.Sub(a).Round(time.Second))
}
