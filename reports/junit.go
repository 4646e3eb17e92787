package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/acmeproxy/acmeproxy/rules"
)

// WriteJUnit writes the report as JUnit XML, the dialect of Jenkins' and
// Ant's junit-10.xsd that GitLab, GitHub test-report actions and most CI
// systems read: one <testsuite> per recording and one <testcase> per rule
// and subject, named "rule_id: kind key" with classname the rule id, so
// every name is unique.
//
//   - A finding at or above FailOn is a <failure type="severity">, with the
//     message as its message attribute and the evidence, fix and references
//     as its text.
//   - A finding below FailOn, or a suppressed one, is a passing case whose
//     <system-out> says so.
//   - A rule that failed to evaluate on a subject is an <error>.
//   - A rule that does not apply to the recordings (effective dates, CA
//     scope) is one <skipped> case per recording.
//   - Every other subject in Report.Subjects is a passing case; past
//     o.MaxPassing per rule and recording the rest are counted in one
//     case. A rule with no subject in a recording gets one passing case, so
//     the number of rules stays visible.
//
// Findings and errors that belong to no recording go to a last suite named
// after the tool. When acmeproxy ran the client (Report.Client), a first
// suite "client" holds one case for it, a <failure> when it failed. There
// is no <warning> element: JUnit has none.
func WriteJUnit(w io.Writer, r *Report, o Options) error {
	o = o.withDefaults()
	doc := junitSuites{Name: r.Tool.Name, Time: "0"}
	if c := r.Client; c != nil {
		doc.add(junitClientSuite(c))
	}
	for _, in := range r.Inputs {
		doc.add(junitSuiteFor(r, o, in.Path, &in))
	}
	if extra := junitSuiteFor(r, o, "", nil); extra.Tests > 0 && hasOrphans(r) {
		extra.Name = r.Tool.Name
		doc.add(extra)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("writing JUnit report: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("writing JUnit report: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("writing JUnit report: %w", err)
	}
	return nil
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

func (d *junitSuites) add(s junitSuite) {
	d.Suites = append(d.Suites, s)
	d.Tests += s.Tests
	d.Failures += s.Failures
	d.Errors += s.Errors
	d.Skipped += s.Skipped
}

type junitSuite struct {
	Name       string           `xml:"name,attr"`
	Tests      int              `xml:"tests,attr"`
	Failures   int              `xml:"failures,attr"`
	Errors     int              `xml:"errors,attr"`
	Skipped    int              `xml:"skipped,attr"`
	Time       string           `xml:"time,attr"`
	Timestamp  string           `xml:"timestamp,attr,omitempty"`
	Properties *junitProperties `xml:"properties,omitempty"`
	Cases      []junitCase      `xml:"testcase"`
}

type junitProperties struct {
	List []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      string        `xml:"line,attr,omitempty"`
	Skipped   *junitOutcome `xml:"skipped,omitempty"`
	Error     *junitOutcome `xml:"error,omitempty"`
	Failure   *junitOutcome `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitOutcome struct {
	Message string `xml:"message,attr,omitempty"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// hasOrphans reports whether any finding or engine error belongs to no
// input.
func hasOrphans(r *Report) bool {
	for _, list := range [][]Finding{r.Findings, r.Suppressed} {
		for _, f := range list {
			if r.Input(f.Recording) == nil {
				return true
			}
		}
	}
	for _, e := range r.EngineErrors {
		if r.Input(r.RecordingOf(e.Kind, e.Subject)) == nil {
			return true
		}
	}
	return false
}

// junitSuiteFor builds the suite of one recording; with in nil, the suite
// of whatever belongs to no input.
func junitSuiteFor(r *Report, o Options, path string, in *Input) junitSuite {
	s := junitSuite{Name: path, Time: "0"}
	belongs := func(rec string) bool {
		if in == nil {
			return r.Input(rec) == nil
		}
		return rec == path
	}
	if in != nil {
		s.Properties = inputProperties(r, in)
		if !in.Start.IsZero() {
			s.Timestamp = in.Start.UTC().Format("2006-01-02T15:04:05")
		}
	}
	for i := range r.Rules {
		ru := &r.Rules[i]
		for _, c := range junitRuleCases(r, o, ru, belongs, in != nil) {
			s.addCase(c)
		}
	}
	return s
}

func (s *junitSuite) addCase(c junitCase) {
	s.Cases = append(s.Cases, c)
	s.Tests++
	switch {
	case c.Failure != nil:
		s.Failures++
	case c.Error != nil:
		s.Errors++
	case c.Skipped != nil:
		s.Skipped++
	}
}

// inputProperties describes a recording as suite properties.
func inputProperties(r *Report, in *Input) *junitProperties {
	p := &junitProperties{}
	add := func(name, value string) {
		if value != "" {
			p.List = append(p.List, junitProperty{Name: name, Value: value})
		}
	}
	add("format", string(in.Format))
	add("exchanges", strconv.Itoa(in.Exchanges))
	add("dialect", in.Dialect)
	add("ca", in.CA)
	add("upstream", in.Upstream)
	add("fail_on", r.FailOn.String())
	return p
}

// junitRuleCases returns the cases of one rule in one suite.
func junitRuleCases(r *Report, o Options, ru *Rule, belongs func(string) bool, perInput bool) []junitCase {
	if ru.Skipped != "" {
		if !perInput {
			return nil
		}
		return []junitCase{{Name: ru.ID + ": not applicable", Classname: ru.ID, Time: "0",
			Skipped: &junitOutcome{Message: ru.Skipped}}}
	}
	var cases []junitCase
	covered := map[string]bool{}
	for _, list := range [][]Finding{r.Findings, r.Suppressed} {
		for i := range list {
			f := &list[i]
			if f.Rule == ru.ID && belongs(f.Recording) {
				cases = append(cases, junitFindingCase(r, f))
				covered[string(f.Kind)+" "+f.Subject] = true
			}
		}
	}
	for i := range r.EngineErrors {
		e := &r.EngineErrors[i]
		if e.Rule == ru.ID && belongs(r.RecordingOf(e.Kind, e.Subject)) {
			cases = append(cases, junitErrorCase(e))
			covered[string(e.Kind)+" "+e.Subject] = true
		}
	}
	if !perInput {
		return cases
	}
	return append(cases, junitPassing(r, o, ru, belongs, covered, len(cases) == 0)...)
}

// junitPassing returns the passing cases of a rule's other subjects.
func junitPassing(r *Report, o Options, ru *Rule, belongs func(string) bool, covered map[string]bool, none bool) []junitCase {
	var cases []junitCase
	more := 0
	for _, sub := range r.Subjects {
		if sub.Kind != ru.Subject || !belongs(sub.Recording) || covered[string(sub.Kind)+" "+sub.Key] {
			continue
		}
		if len(cases) >= o.MaxPassing {
			more++
			continue
		}
		cases = append(cases, junitCase{Name: junitName(ru.ID, sub.Kind, sub.Key, sub.Label), Classname: ru.ID, Time: "0"})
	}
	if more > 0 {
		cases = append(cases, junitCase{Name: fmt.Sprintf("%s: %d more %s subjects", ru.ID, more, ru.Subject),
			Classname: ru.ID, Time: "0", SystemOut: fmt.Sprintf("%d more subjects passed; not listed one by one.", more)})
	}
	if none && len(cases) == 0 {
		name := ru.ID + ": no " + string(ru.Subject) + " subjects"
		if r.Subjects == nil {
			name = ru.ID + ": no findings"
		}
		cases = append(cases, junitCase{Name: name, Classname: ru.ID, Time: "0"})
	}
	return cases
}

// junitFindingCase is the case of one finding.
func junitFindingCase(r *Report, f *Finding) junitCase {
	c := junitCase{Name: junitName(f.Rule, f.Kind, f.Subject, f.Label), Classname: f.Rule, Time: "0", File: f.Recording}
	if a := f.Anchor(); a != nil && a.Line > 0 {
		c.Line = strconv.Itoa(a.Line)
	}
	text := findingText(f)
	switch {
	case f.Suppressed():
		c.SystemOut = fmt.Sprintf("%s (suppressed, %s)\n%s", f.Severity, suppressionText(f.Suppression), text)
	case r.Fails(f):
		c.Failure = &junitOutcome{Message: oneLine(f.Message), Type: f.Severity.String(), Text: text}
	default:
		c.SystemOut = fmt.Sprintf("%s (below --fail-on %s)\n%s", f.Severity, r.FailOn, text)
	}
	return c
}

// junitClientSuite is the suite of the client acmeproxy ran.
func junitClientSuite(c *Client) junitSuite {
	tc := junitCase{Name: "client: " + strings.Join(c.Command, " "), Classname: "client", Time: "0"}
	if c.Failed() {
		tc.Failure = &junitOutcome{Message: oneLine(c.String()), Type: "client", Text: c.String() + "\n"}
	} else {
		tc.SystemOut = c.String() + "\n"
	}
	s := junitSuite{Name: "client", Time: "0"}
	s.addCase(tc)
	return s
}

// junitErrorCase is the case of one engine error.
func junitErrorCase(e *EngineError) junitCase {
	name := e.Rule + ": engine error"
	if e.Subject != "" {
		name = junitName(e.Rule, e.Kind, e.Subject, "")
	}
	return junitCase{Name: name, Classname: e.Rule, Time: "0",
		Error: &junitOutcome{Message: oneLine(e.Message), Type: "engine", Text: engineErrorText(e)}}
}

// junitName is "rule: kind key (label)", the label only when it adds to
// the key.
func junitName(rule string, kind rules.Kind, key, label string) string {
	name := rule + ": " + string(kind) + " " + key
	label = strings.TrimPrefix(label, string(kind)+" ")
	if label != "" && label != key && !strings.Contains(key, label) {
		name += " (" + label + ")"
	}
	return name
}

// findingText is a finding's message, evidence, fix and references as
// plain text lines.
func findingText(f *Finding) string {
	var b strings.Builder
	b.WriteString(oneLine(f.Message) + "\n")
	for _, e := range f.Evidence {
		b.WriteString("evidence: " + evidenceLine(&e) + "\n")
	}
	if f.Remediation != "" {
		b.WriteString("fix: " + oneLine(f.Remediation) + "\n")
	}
	for _, c := range f.Citations {
		b.WriteString("see: " + citationText(c) + "\n")
	}
	return b.String()
}
