package reports

import (
	"fmt"
	"time"

	"github.com/acmeproxy/acmeproxy/rules"
)

// Version is the version of the Report structure, written as "version" in
// JSON. A change that renames, removes or changes the meaning of a field
// increments it; adding an optional field does not.
const Version = 1

// Exit codes of the lint command (see Report.ExitCode).
const (
	// ExitClean: no unsuppressed finding at or above FailOn.
	ExitClean = 0
	// ExitFindings: at least one unsuppressed finding at or above FailOn.
	ExitFindings = 1
	// ExitUsage: a usage or input error; no Report was produced.
	ExitUsage = 2
	// ExitEngine: a rule failed to evaluate, so the lint is incomplete.
	ExitEngine = 3
)

// Report is the result of one lint: what was read, which rules ran, what
// they found and the evidence for it. It is the one structure every
// renderer takes. Its JSON form (WriteJSON) is the canonical report format.
//
// A Report is filled by its producer (the lint command), completed with
// AddFindings and Finish, and checked with Validate. Renderers only read
// it; a Report may be rendered concurrently by several goroutines once
// Finish has returned.
type Report struct {
	// Version is the structure's version: Version.
	Version int `json:"version"`
	// Tool names the program that produced the report.
	Tool Tool `json:"tool"`
	// Generated is when the report was made. It is injected (never read
	// from the clock here) so that reports are reproducible.
	Generated time.Time `json:"generated"`
	// FailOn is the least severity that fails the lint (--fail-on). JUnit
	// marks findings at or above it as failures.
	FailOn rules.Severity `json:"fail_on"`
	// Inputs are the recordings linted, in command-line order.
	Inputs []Input `json:"inputs"`
	// Rules are the enabled rules, by id, including those that did not
	// apply to these recordings (Rule.Skipped).
	Rules []Rule `json:"rules"`
	// Findings are the unsuppressed findings, most severe first.
	Findings []Finding `json:"findings"`
	// Suppressed are the findings a configured suppression or the
	// baseline accepted. They never fail the lint.
	Suppressed []Finding `json:"suppressed"`
	// EngineErrors are the rules that failed to evaluate.
	EngineErrors []EngineError `json:"engine_errors"`
	// Summary holds counts computed by Finish.
	Summary Summary `json:"summary"`
	// Subjects lists the subjects the rules were evaluated over, so that
	// JUnit can show a passing test case per rule and subject. Optional:
	// without it JUnit shows findings and one case per rule.
	Subjects []Subject `json:"subjects,omitempty"`
	// Flow is the snapshot of the flow ledger the HTML timeline draws.
	Flow Flow `json:"flow"`
	// Exchanges are the decoded exchanges cited by any finding or lane
	// event, in recording and sequence order.
	Exchanges []Exchange `json:"exchanges"`
	// Client is the ACME client acmeproxy ran while recording, when it
	// ran one (run -- CLIENT); a client that failed fails the lint.
	Client *Client `json:"client,omitempty"`

	index map[exchangeKey]int // Exchanges by (file, seq); built by Finish
}

// Tool names the program that produced a report.
type Tool struct {
	// Name is "acmeproxy".
	Name string `json:"name"`
	// Version is the program's version ("0.3.1", "devel").
	Version string `json:"version"`
	// URI is the program's home page, if any (SARIF informationUri).
	URI string `json:"uri,omitempty"`
}

// InputFormat is the format of a recording.
type InputFormat string

// The recording formats lint reads.
const (
	// InputJournal is acmeproxy's JSON Lines journal.
	InputJournal InputFormat = "journal"
	// InputHAR is an HTTP Archive (HAR 1.2) file; Line is the entry number.
	InputHAR InputFormat = "har"
)

// Valid reports whether f is a known format.
func (f InputFormat) Valid() bool { return f == InputJournal || f == InputHAR }

// UnmarshalText accepts journal or har.
func (f *InputFormat) UnmarshalText(b []byte) error {
	v := InputFormat(b)
	if !v.Valid() {
		return fmt.Errorf("reports: unknown input format %q (want journal or har)", b)
	}
	*f = v
	return nil
}

// Input is one recording that was linted.
type Input struct {
	// Path is the recording's path as given; it is the File of every
	// evidence ref into it.
	Path string `json:"path"`
	// Format is journal or har.
	Format InputFormat `json:"format"`
	// Exchanges is the number of exchanges read.
	Exchanges int `json:"exchanges"`
	// Start and End bound the exchanges' times.
	Start time.Time `json:"start,omitzero"`
	End   time.Time `json:"end,omitzero"`
	// CA is the CA id the traffic showed ("letsencrypt", "pebble"; "" when
	// unknown); Upstream the directory URL the recording names.
	CA       string `json:"ca,omitempty"`
	Upstream string `json:"upstream,omitempty"`
	// Dialect is the ACME version most exchanges spoke ("v1", "v2").
	Dialect string `json:"dialect,omitempty"`
	// Warnings are problems reading the recording that did not stop the
	// lint, such as a torn last line.
	Warnings []string `json:"warnings,omitempty"`
}

// Rule is one enabled rule as the report shows it.
type Rule struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Description says why the rule matters.
	Description string `json:"description,omitempty"`
	// Severity is the configured severity; DefaultSeverity the rule
	// file's, when configuration changed it.
	Severity        rules.Severity `json:"severity"`
	DefaultSeverity rules.Severity `json:"default_severity,omitempty"`
	// Subject is the kind of subject the rule looks at.
	Subject rules.Kind `json:"subject"`
	// Status is stable, experimental or deprecated.
	Status string `json:"status,omitempty"`
	// Remediation tells how to fix the client.
	Remediation string           `json:"remediation,omitempty"`
	Citations   []rules.Citation `json:"citations,omitempty"`
	// HelpURI is the page that explains the rule best: the first citation
	// with a URL.
	HelpURI string   `json:"help_uri,omitempty"`
	Tags    []string `json:"tags,omitempty"`
	// Source is where the rule is defined ("builtin/core.yaml:12").
	Source string `json:"source,omitempty"`
	// Skipped says why the rule did not run on these recordings (its
	// effective dates or CA scope); empty when it ran.
	Skipped string `json:"skipped,omitempty"`
}

// Subject is one thing a rule was evaluated over.
type Subject struct {
	Kind rules.Kind `json:"kind"`
	// Key is the subject's key, as in Finding.Subject.
	Key string `json:"key"`
	// Label is a short human name ("example.com", "POST newOrder").
	Label string `json:"label,omitempty"`
	// Account is the subject's account key, "" when none.
	Account string `json:"account,omitempty"`
	// Recording is the Input.Path the subject was first seen in.
	Recording string `json:"recording,omitempty"`
}

// EngineError is a rule that failed to evaluate on a subject (or, without
// a rule, another failure that makes the lint incomplete).
type EngineError struct {
	Rule    string     `json:"rule,omitempty"`
	Kind    rules.Kind `json:"kind,omitempty"`
	Subject string     `json:"subject,omitempty"`
	// Pos is the failing expression's place in its rule file, if known.
	Pos     string `json:"pos,omitempty"`
	Message string `json:"message"`
}

// EngineErrorFrom converts the rule engine's error.
func EngineErrorFrom(e rules.EngineError) EngineError {
	out := EngineError{Rule: e.Rule, Kind: e.Kind, Subject: e.Subject}
	if e.Pos.File != "" {
		out.Pos = e.Pos.String()
	}
	if e.Err != nil {
		out.Message = e.Err.Error()
	} else {
		out.Message = "failed"
	}
	return out
}

// Summary is the counts a reader looks at first. Finish computes it.
type Summary struct {
	// Findings counts unsuppressed findings; Failing those at or above
	// FailOn.
	Findings int `json:"findings"`
	Failing  int `json:"failing"`
	// Suppressed and EngineErrors count those lists.
	Suppressed   int `json:"suppressed"`
	EngineErrors int `json:"engine_errors"`
	// BySeverity counts unsuppressed findings per severity.
	BySeverity SeverityCounts `json:"by_severity"`
	// ByRule counts findings per rule that has any, by id.
	ByRule []RuleCount `json:"by_rule"`
	// Rules is the number of enabled rules; RulesSkipped how many of them
	// did not apply.
	Rules        int `json:"rules"`
	RulesSkipped int `json:"rules_skipped"`
	// Accounts and Exchanges count the flow's accounts and the exchanges
	// read from all inputs.
	Accounts  int `json:"accounts"`
	Exchanges int `json:"exchanges"`
	// ExitCode is Report.ExitCode at the time of Finish.
	ExitCode int `json:"exit_code"`
}

// SeverityCounts counts findings per severity.
type SeverityCounts struct {
	Error   int `json:"error"`
	Warning int `json:"warning"`
	Notice  int `json:"notice"`
	Info    int `json:"info"`
}

// Get returns the count for s.
func (c SeverityCounts) Get(s rules.Severity) int {
	switch s {
	case rules.Error:
		return c.Error
	case rules.Warning:
		return c.Warning
	case rules.Notice:
		return c.Notice
	case rules.Info:
		return c.Info
	}
	return 0
}

func (c *SeverityCounts) add(s rules.Severity) {
	switch s {
	case rules.Error:
		c.Error++
	case rules.Warning:
		c.Warning++
	case rules.Notice:
		c.Notice++
	case rules.Info:
		c.Info++
	}
}

// RuleCount is the number of findings of one rule.
type RuleCount struct {
	Rule       string         `json:"rule"`
	Severity   rules.Severity `json:"severity"`
	Findings   int            `json:"findings"`
	Suppressed int            `json:"suppressed"`
}

// ExitCode returns the lint command's exit status for the report:
// ExitEngine when a rule failed to evaluate, else ExitFindings when an
// unsuppressed finding is at or above FailOn or the Client failed, else
// ExitClean.
func (r *Report) ExitCode() int {
	if len(r.EngineErrors) > 0 {
		return ExitEngine
	}
	if r.Client.Failed() {
		return ExitFindings
	}
	for i := range r.Findings {
		if r.Fails(&r.Findings[i]) {
			return ExitFindings
		}
	}
	return ExitClean
}

// Fails reports whether f fails the lint: unsuppressed and at or above
// FailOn.
func (r *Report) Fails(f *Finding) bool {
	return !f.Suppressed() && f.Severity >= r.FailOn
}

// Rule returns the rule with id, or nil.
func (r *Report) Rule(id string) *Rule {
	for i := range r.Rules {
		if r.Rules[i].ID == id {
			return &r.Rules[i]
		}
	}
	return nil
}

// Input returns the input at path, or nil.
func (r *Report) Input(path string) *Input {
	for i := range r.Inputs {
		if r.Inputs[i].Path == path {
			return &r.Inputs[i]
		}
	}
	return nil
}
