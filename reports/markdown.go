package reports

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/acmeproxy/acmeproxy/rules"
)

// WriteMarkdown writes a GitHub-flavoured Markdown summary sized for a CI
// step summary ($GITHUB_STEP_SUMMARY) or a pull-request comment: the
// verdict, a table by severity and by rule, then the findings that fail
// the lint and then the others, each with its evidence and fix. The output
// stays within o.MaxMarkdownBytes (64 KiB by default): findings that do
// not fit are counted in a closing note that points at the full report.
func WriteMarkdown(w io.Writer, r *Report, o Options) error {
	o = o.withDefaults()
	var head, body bytes.Buffer
	mdHeader(&head, r)
	footer := mdFooter(r)
	budget := o.MaxMarkdownBytes - head.Len() - len(footer) - 200 // room for the truncation note
	shown, total := mdFindings(&body, r, budget)
	out := head.String() + body.String()
	if shown < total {
		out += fmt.Sprintf("\n> [!NOTE]\n> %d of %d findings are not shown: this summary is limited to %s. "+
			"The full list is in the text, JSON, SARIF or HTML report.\n",
			total-shown, total, byteSize(o.MaxMarkdownBytes))
	}
	out += footer
	if _, err := io.WriteString(w, out); err != nil {
		return fmt.Errorf("writing Markdown report: %w", err)
	}
	return nil
}

// mdHeader writes the verdict and the summary tables.
func mdHeader(b *bytes.Buffer, r *Report) {
	s := r.Summary
	icon := map[int]string{ExitClean: "✅", ExitFindings: "❌", ExitEngine: "⚠️"}[s.ExitCode]
	word := map[int]string{ExitClean: "passed", ExitFindings: "failed", ExitEngine: "incomplete"}[s.ExitCode]
	fmt.Fprintf(b, "## %s acmeproxy lint %s\n\n", icon, word)
	fmt.Fprintf(b, "%s, **%d at or above %s**", plural(s.Findings, "finding", "findings"), s.Failing, r.FailOn)
	if s.Suppressed > 0 {
		fmt.Fprintf(b, ", %d suppressed", s.Suppressed)
	}
	if s.EngineErrors > 0 {
		fmt.Fprintf(b, ", **%s**", plural(s.EngineErrors, "engine error", "engine errors"))
	}
	fmt.Fprintf(b, ". %s, %s, %s; %s",
		plural(len(r.Inputs), "recording", "recordings"), plural(s.Exchanges, "exchange", "exchanges"),
		plural(s.Accounts, "account", "accounts"), plural(s.Rules, "rule", "rules"))
	if s.RulesSkipped > 0 {
		fmt.Fprintf(b, " (%d not applicable)", s.RulesSkipped)
	}
	b.WriteString(".\n\n")
	if c := r.Client; c != nil {
		mark := ""
		if c.Failed() {
			mark = "**"
		}
		fmt.Fprintf(b, "%s%s%s.\n\n", mark, mdEscape(c.String()), mark)
	}
	b.WriteString("| Severity | Findings |\n|---|---:|\n")
	for _, sev := range []rules.Severity{rules.Error, rules.Warning, rules.Notice, rules.Info} {
		fmt.Fprintf(b, "| %s | %d |\n", sev, s.BySeverity.Get(sev))
	}
	if len(s.ByRule) > 0 {
		b.WriteString("\n| Rule | Severity | Findings | Suppressed |\n|---|---|---:|---:|\n")
		for _, c := range s.ByRule {
			title := ""
			if ru := r.Rule(c.Rule); ru != nil {
				title = " " + mdEscape(ru.Title)
			}
			fmt.Fprintf(b, "| %s%s | %s | %d | %d |\n", mdCode(c.Rule), title, c.Severity, c.Findings, c.Suppressed)
		}
	}
	if len(r.EngineErrors) > 0 {
		b.WriteString("\n### Engine errors\n\nThese rules failed to evaluate, so the lint is incomplete.\n\n")
		for _, e := range r.EngineErrors {
			fmt.Fprintf(b, "- %s\n", mdEscape(engineErrorText(&e)))
		}
	}
}

// mdFindings writes the failing findings, then the others, as long as they
// fit in budget bytes; it returns how many it wrote and how many there are.
func mdFindings(b *bytes.Buffer, r *Report, budget int) (shown, total int) {
	var failing, other []Finding
	for _, f := range r.Findings {
		if r.Fails(&f) {
			failing = append(failing, f)
		} else {
			other = append(other, f)
		}
	}
	total = len(r.Findings)
	sections := []struct {
		title string
		list  []Finding
	}{
		{fmt.Sprintf("Findings at or above %s", r.FailOn), failing},
		{fmt.Sprintf("Findings below %s", r.FailOn), other},
	}
	full := false
	for _, sec := range sections {
		if len(sec.list) == 0 || full {
			continue
		}
		var part bytes.Buffer
		fmt.Fprintf(&part, "\n### %s\n", sec.title)
		for _, g := range r.Group(sec.list) {
			fmt.Fprintf(&part, "\n**%s**", mdEscape(g.Name()))
			if g.Account != nil && g.Account.URL != "" {
				fmt.Fprintf(&part, " %s", mdEscape(g.Account.URL))
			}
			part.WriteString("\n\n")
			for _, s := range g.Subjects {
				for _, f := range s.Findings {
					item := mdFinding(f)
					if b.Len()+part.Len()+len(item) > budget {
						full = true
						break
					}
					part.WriteString(item)
					shown++
				}
				if full {
					break
				}
			}
			if full {
				break
			}
		}
		b.Write(part.Bytes())
	}
	return shown, total
}

// mdFinding is one finding as a list item.
func mdFinding(f *Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "- **%s** %s on %s: %s\n", f.Severity, mdCode(f.Rule), mdEscape(f.Label), mdEscape(oneLine(f.Message)))
	for i, e := range f.Evidence {
		if i == 5 {
			fmt.Fprintf(&b, "  - … %d more exchanges\n", len(f.Evidence)-i)
			break
		}
		fmt.Fprintf(&b, "  - %s %s\n", mdCode(e.String()), mdEscape(relatedText(&e)))
	}
	if f.Remediation != "" {
		fmt.Fprintf(&b, "  - fix: %s\n", mdEscape(oneLine(f.Remediation)))
	}
	if len(f.Citations) > 0 {
		refs := make([]string, len(f.Citations))
		for i, c := range f.Citations {
			refs[i] = mdCitation(c)
		}
		fmt.Fprintf(&b, "  - see: %s\n", strings.Join(refs, "; "))
	}
	return b.String()
}

// mdFooter names the tool and the time.
func mdFooter(r *Report) string {
	return fmt.Sprintf("\n<sub>%s %s · %s · exit %d</sub>\n", mdEscape(r.Tool.Name), mdEscape(r.Tool.Version),
		r.Generated.UTC().Format("2006-01-02 15:04:05 UTC"), r.Summary.ExitCode)
}

// mdCitation is a citation as a Markdown link, or text without a URL.
func mdCitation(c rules.Citation) string {
	if c.URL == "" {
		return mdEscape(c.Ref)
	}
	return "[" + mdEscape(c.Ref) + "](" + strings.NewReplacer("(", "%28", ")", "%29", " ", "%20").Replace(c.URL) + ")"
}

// mdEscape backslash-escapes the characters that Markdown (and GitHub's
// tables and autolinks) would interpret, and folds newlines.
func mdEscape(s string) string {
	var b strings.Builder
	for _, c := range oneLine(s) {
		if strings.ContainsRune("\\`*_{}[]()<>#+!|~&", c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// mdCode is s as a code span; backticks inside are replaced.
func mdCode(s string) string { return "`" + strings.ReplaceAll(oneLine(s), "`", "'") + "`" }

// byteSize writes 65536 as "64 KiB".
func byteSize(n int) string {
	switch {
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', -1, 64) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
