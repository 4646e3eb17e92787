package reports

import (
	"bufio"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/acmeproxy/acmeproxy/rules"
)

var (
	//go:embed html/report.tmpl
	htmlTemplateText string
	//go:embed html/report.css
	htmlCSS string
	//go:embed html/report.js
	htmlJS string
)

// WriteHTML writes the report as one self-contained HTML page: inline CSS
// and a small inline script, no network access (a Content-Security-Policy
// forbids it), no external assets. It shows the verdict and counts, the
// findings grouped by account and subject with links to the exchanges that
// prove them, a timeline per account in which every authorization, order
// and certificate is a lane of lifecycle markers, and every cited exchange
// with its decoded request and response, opened in place.
//
// Everything from the report is escaped by html/template. Bodies are cut
// to o.MaxBodyBytes each and o.MaxHTMLBodyBytes in all (exchanges cited
// by findings first); the page says when it cut. Accounts without
// findings are collapsed, so that hundreds of accounts stay readable.
func WriteHTML(w io.Writer, r *Report, o Options) error {
	o = o.withDefaults()
	t, err := htmlTemplate()
	if err != nil {
		return err
	}
	v := newHTMLView(r, o)
	bw := bufio.NewWriter(w)
	if err := t.Execute(bw, v); err != nil {
		return fmt.Errorf("writing HTML report: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing HTML report: %w", err)
	}
	return nil
}

// htmlTemplate parses the page template. The CSS and script are our own
// embedded files, passed as trusted CSS and JS; every value from the
// report goes through html/template's contextual escaping.
func htmlTemplate() (*template.Template, error) {
	t, err := template.New("report").Funcs(template.FuncMap{
		"css":      func() template.CSS { return template.CSS(htmlCSS + markerCSS()) },
		"js":       func() template.JS { return template.JS(htmlJS) },
		"csp":      htmlCSP,
		"sev":      func(s rules.Severity) string { return s.String() },
		"plural":   plural,
		"clock":    func(t time.Time) string { return t.UTC().Format("15:04:05") },
		"stamp":    func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
		"size":     func(n int64) string { return groupDigits(n) },
		"duration": duration,
	}).Parse(htmlTemplateText)
	if err != nil {
		return nil, fmt.Errorf("reports: parsing the HTML template: %w", err)
	}
	return t, nil
}

// htmlCSP is the page's Content-Security-Policy: nothing may be loaded;
// only our inline style and our one script (by hash) may run.
func htmlCSP() string {
	sum := sha256.Sum256([]byte(htmlJS))
	return "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-" +
		base64.StdEncoding.EncodeToString(sum[:]) + "'; base-uri 'none'; form-action 'none'"
}

// maxOpenGroups is how many accounts' findings the page shows expanded.
const maxOpenGroups = 10

// htmlView is what the template renders.
type htmlView struct {
	R            *Report
	Verdict      string // pass, fail or incomplete
	VerdictText  string
	Severities   []htmlCount
	ByRule       []htmlRuleRow
	Groups       []htmlGroup
	Suppressed   []*htmlFinding
	EngineErrors []string
	Accounts     []*htmlAccount
	HiddenAccts  int // accounts collapsed to a line because there are many
	Exchanges    []*htmlExchange
	Rules        []*Rule
	Notes        []string
	Legend       []htmlLegend
}

type htmlCount struct {
	Severity string
	N        int
}

type htmlRuleRow struct {
	Rule       *Rule
	Findings   int
	Suppressed int
}

type htmlGroup struct {
	Name     string
	Open     bool
	Worst    string
	Count    int
	Anchor   string // "#acct-N", "" when the account has no lane view
	URL      string
	Subjects []htmlSubject
}

type htmlSubject struct {
	Label    string
	Key      string
	Anchor   string // "#lane-N"
	Flags    []Flag
	Findings []*htmlFinding
}

type htmlFinding struct {
	ID        string
	F         *Finding
	RuleTitle string
	Evidence  []htmlEvidence
	Lane      string // "#lane-N"
	Fails     bool
}

type htmlEvidence struct {
	Where string
	Href  string // "#x-N", "" when the exchange is not in the report
	Text  string
	Bad   bool
}

type htmlLegend struct {
	Kind  EventKind
	Class string
}

// newHTMLView builds the view of r.
func newHTMLView(r *Report, o Options) *htmlView {
	v := &htmlView{R: r, Rules: make([]*Rule, len(r.Rules))}
	for i := range r.Rules {
		v.Rules[i] = &r.Rules[i]
	}
	v.Verdict, v.VerdictText = htmlVerdict(r)
	for _, s := range []rules.Severity{rules.Error, rules.Warning, rules.Notice, rules.Info} {
		v.Severities = append(v.Severities, htmlCount{s.String(), r.Summary.BySeverity.Get(s)})
	}
	for _, c := range r.Summary.ByRule {
		v.ByRule = append(v.ByRule, htmlRuleRow{Rule: r.Rule(c.Rule), Findings: c.Findings, Suppressed: c.Suppressed})
	}
	xs := newExchangeIDs(r)
	tl := newTimeline(r, xs)
	v.Accounts, v.HiddenAccts = tl.accounts, tl.hidden
	findings := htmlFindings(r, r.Findings, "f", xs, tl)
	v.Groups = htmlGroups(r, findings, tl)
	v.Suppressed = htmlFindings(r, r.Suppressed, "s", xs, tl)
	for _, e := range r.EngineErrors {
		v.EngineErrors = append(v.EngineErrors, engineErrorText(&e))
	}
	v.Exchanges, v.Notes = htmlExchanges(r, o, xs, append(findings, v.Suppressed...), tl)
	for _, k := range EventKinds() {
		m := markerStyle(k)
		v.Legend = append(v.Legend, htmlLegend{Kind: k, Class: m.class})
	}
	return v
}

// htmlVerdict returns the verdict's class and sentence; the sentence ends
// with how the client ended when acmeproxy ran it.
func htmlVerdict(r *Report) (string, string) {
	class, text := htmlVerdictOfFindings(r)
	if c := r.Client; c != nil {
		text += "; " + c.String()
	}
	return class, text
}

func htmlVerdictOfFindings(r *Report) (string, string) {
	s := r.Summary
	switch s.ExitCode {
	case ExitFindings:
		return "fail", fmt.Sprintf("FAIL: %s at or above %s", plural(s.Failing, "finding", "findings"), r.FailOn)
	case ExitEngine:
		return "incomplete", fmt.Sprintf("INCOMPLETE: %s, so some rules did not run; %s at or above %s",
			plural(s.EngineErrors, "engine error", "engine errors"), plural(s.Failing, "finding", "findings"), r.FailOn)
	}
	if s.Findings > 0 {
		return "pass", fmt.Sprintf("PASS: no finding at or above %s (%s below it)", r.FailOn,
			plural(s.Findings, "finding", "findings"))
	}
	return "pass", "PASS: no findings"
}

// exchangeIDs gives each exchange of the report its element id.
type exchangeIDs struct {
	r *Report
}

func newExchangeIDs(r *Report) exchangeIDs { return exchangeIDs{r: r} }

// href returns "#x-N" for the exchange at file and seq, "" when absent.
func (x exchangeIDs) href(file string, seq uint64) string {
	if i, ok := x.index(file, seq); ok {
		return fmt.Sprintf("#x-%d", i)
	}
	return ""
}

func (x exchangeIDs) index(file string, seq uint64) (int, bool) {
	if x.r.index == nil {
		x.r.buildIndex()
	}
	i, ok := x.r.index[exchangeKey{file, seq}]
	return i, ok
}

// htmlFindings builds the view of a list of findings, with ids prefix-N.
func htmlFindings(r *Report, fs []Finding, prefix string, xs exchangeIDs, tl *timeline) []*htmlFinding {
	out := make([]*htmlFinding, 0, len(fs))
	for i := range fs {
		f := &fs[i]
		h := &htmlFinding{ID: fmt.Sprintf("%s-%d", prefix, i+1), F: f, Fails: r.Fails(f)}
		if ru := r.Rule(f.Rule); ru != nil {
			h.RuleTitle = ru.Title
		}
		for _, e := range f.Evidence {
			h.Evidence = append(h.Evidence, htmlEvidence{
				Where: e.String(), Href: xs.href(e.File, e.Seq), Text: relatedText(&e),
				Bad: e.Status >= 400 || e.Problem != "",
			})
		}
		h.Lane = tl.laneAnchor(f.Kind, f.Subject)
		tl.cite(f, h)
		out = append(out, h)
	}
	return out
}

// htmlGroups arranges the findings' views by account and subject.
func htmlGroups(r *Report, hs []*htmlFinding, tl *timeline) []htmlGroup {
	byPtr := make(map[*Finding]*htmlFinding, len(hs))
	for _, h := range hs {
		byPtr[h.F] = h
	}
	var out []htmlGroup
	groups := r.Group(r.Findings)
	// The accounts with the worst findings first; the first few open.
	slices.SortStableFunc(groups, func(a, b AccountGroup) int { return int(b.Worst) - int(a.Worst) })
	for i, g := range groups {
		hg := htmlGroup{Name: g.Name(), Anchor: tl.accountAnchor(g.Key), Open: i < maxOpenGroups, Worst: g.Worst.String()}
		if g.Account != nil {
			hg.URL = g.Account.URL
		}
		for _, s := range g.Subjects {
			hs := htmlSubject{Label: s.Findings[0].Label, Key: s.Key, Anchor: tl.laneAnchor(s.Kind, s.Key)}
			if s.Lane != nil {
				hs.Flags = s.Lane.Flags
			}
			for _, f := range s.Findings {
				hs.Findings = append(hs.Findings, byPtr[f])
			}
			hg.Count += len(s.Findings)
			hg.Subjects = append(hg.Subjects, hs)
		}
		out = append(out, hg)
	}
	return out
}

// statusClass is the CSS class of an HTTP status.
func statusClass(status int) string {
	switch {
	case status == 0:
		return "st0"
	case status >= 500:
		return "st5"
	case status >= 400:
		return "st4"
	case status >= 300:
		return "st3"
	}
	return "st2"
}

// oneLineCut folds whitespace and cuts s to n runes with an ellipsis.
func oneLineCut(s string, n int) string {
	s = oneLine(s)
	if r := []rune(s); len(r) > n {
		return strings.TrimSpace(string(r[:n-1])) + "…"
	}
	return s
}
