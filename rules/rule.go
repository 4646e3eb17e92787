package rules

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"time"

	"github.com/acmeproxy/acmeproxy/internal/ruleexpr"
)

// Rule is one rule as loaded from a rule file and compiled against a
// Schema. A Rule is immutable after loading and may be shared by several
// Sets; the severity, enablement and parameter values that a project
// configuration changes live in the Set, not here.
type Rule struct {
	// ID is the stable snake_case identity of the rule, never reused for a
	// different meaning (it keys configs, suppressions and fingerprints).
	ID string
	// Title is a one-line summary.
	Title string
	// Description is optional longer prose: why the rule matters.
	Description string
	// Severity is the default severity, before configuration.
	Severity Severity
	// Status is stable (the default), experimental or deprecated; it
	// decides membership of acmeproxy:recommended and acmeproxy:all.
	Status Status
	// Subject is the kind of subject the rule is evaluated over.
	Subject Kind
	// Condition is the boolean expression that makes the rule fire.
	Condition string
	// Evidence is an optional expression selecting the refs a finding
	// cites; empty means the subject's own Refs.
	Evidence string
	// Message is the template of a finding's message ({{ expr }} parts).
	Message string
	// Remediation tells the user how to fix the client.
	Remediation string
	// Citations are the RFC sections and CA documents the rule rests on.
	Citations []Citation
	// Params are the declared parameters, sorted by name.
	Params []Param
	// Effective and Ineffective bound the recording dates the rule
	// applies to: Effective <= Now < Ineffective (UTC days). Zero means
	// unbounded.
	Effective, Ineffective time.Time
	// CA lists the CA ids the rule applies to; empty means every CA.
	CA []string
	// Tags are free-form labels (for selection and reports).
	Tags []string
	// Examples are recordings with the expected outcome: the rule's tests.
	Examples []Example
	// Pos is where the rule starts (its id).
	Pos Pos

	prog *program
}

// program is the compiled form of a rule's expressions.
type program struct {
	subject    reflect.Type // registered Go type of the subject
	params     reflect.Type // struct type of the params variable
	defaults   any          // params value holding the defaults
	cond       *ruleexpr.Program
	condAt     exprLoc
	evidence   *ruleexpr.Program // nil: the subject's Refs
	evidenceAt exprLoc
	message    *template
	adapters
}

// Status is a rule's maturity.
type Status string

// The rule statuses.
const (
	// StatusStable rules belong to acmeproxy:recommended.
	StatusStable Status = "stable"
	// StatusExperimental rules are enabled by acmeproxy:all or by name.
	StatusExperimental Status = "experimental"
	// StatusDeprecated rules run only when a configuration names them.
	StatusDeprecated Status = "deprecated"
)

// UnmarshalText accepts stable, experimental or deprecated.
func (s *Status) UnmarshalText(b []byte) error {
	switch v := Status(b); v {
	case StatusStable, StatusExperimental, StatusDeprecated:
		*s = v
		return nil
	}
	return fmt.Errorf("rules: unknown status %q (want stable, experimental or deprecated)", b)
}

// Citation is a reference a rule rests on: "RFC 8555 §7.5.1" and an
// optional URL.
type Citation struct {
	Ref string `yaml:"ref" json:"ref"`
	URL string `yaml:"url" json:"url,omitempty"`
}

// Example is a recording together with what the rule must report on it.
type Example struct {
	// Recording is the path as written in the rule file.
	Recording string
	// Path is Recording resolved against the rule file's directory: an
	// OS path for rule files read from disk, a slash path inside the file
	// system for rules loaded with LoadFS.
	Path string
	// Expect is the expected outcome.
	Expect Expect
	// CA and Date, when set, judge the recording as if it came from that
	// CA on that day (UTC midnight), overriding what the recording says:
	// how a policy rule of another CA or era would have judged the flow.
	CA   string
	Date time.Time
	// Pos is where the example is written.
	Pos Pos
}

// Expect is an example's expected outcome: Count findings, and when Keys
// is not nil, exactly the subjects with those keys (in any order).
type Expect struct {
	Count int
	Keys  []string
}

// Fires reports whether the example expects at least one finding.
func (e Expect) Fires() bool { return e.Count > 0 }

var (
	ruleIDRE = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	caIDRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
)

// maxIDLen bounds rule ids; they appear in SARIF and JUnit names.
const maxIDLen = 64

// AppliesTo reports whether the rule is in force for a recording with the
// given clock and CA: within its effective dates, and its CA scope either
// empty or naming ec.CA (an unknown CA, "", matches only unscoped rules).
func (r *Rule) AppliesTo(ec EvalContext) bool {
	if !r.Effective.IsZero() && ec.Now.Before(r.Effective) {
		return false
	}
	if !r.Ineffective.IsZero() && !ec.Now.Before(r.Ineffective) {
		return false
	}
	return len(r.CA) == 0 || slices.Contains(r.CA, ec.CA)
}

// Param returns the declared parameter called name.
func (r *Rule) Param(name string) (Param, bool) {
	for _, p := range r.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}
