package rules

import "fmt"

// Severity ranks a finding. The zero value is not a severity; levels order
// so that a >= b means "at least as severe", which is how --fail-on
// compares.
type Severity int

// The severities, least severe first. Their YAML and JSON spelling is the
// lower-case word.
const (
	// Info is a portability or style observation.
	Info Severity = iota + 1
	// Notice is worth knowing but rarely worth failing a build for.
	Notice
	// Warning is a resource leak or rate-limit risk: the flow works today
	// but will hurt (orphaned authorizations, retry storms).
	Warning
	// Error is a guaranteed rejection by the CA or a protocol violation.
	Error
)

var severityNames = [...]string{Info: "info", Notice: "notice", Warning: "warning", Error: "error"}

// Severities lists every severity, least severe first.
func Severities() []Severity { return []Severity{Info, Notice, Warning, Error} }

// String returns the lower-case word ("warning"), or "Severity(N)" for an
// invalid value.
func (s Severity) String() string {
	if s.Valid() {
		return severityNames[s]
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// Valid reports whether s is one of the four severities.
func (s Severity) Valid() bool { return s >= Info && s <= Error }

// MarshalText returns the lower-case word; an invalid value is an error.
func (s Severity) MarshalText() ([]byte, error) {
	if !s.Valid() {
		return nil, fmt.Errorf("rules: invalid severity %d", int(s))
	}
	return []byte(severityNames[s]), nil
}

// UnmarshalText accepts exactly error, warning, notice or info.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseSeverity parses a severity word. Only the lower-case words are
// accepted: a rule file that says "Warn" or "high" is rejected, not guessed.
func ParseSeverity(word string) (Severity, error) {
	for s := Info; s <= Error; s++ {
		if severityNames[s] == word {
			return s, nil
		}
	}
	return 0, fmt.Errorf("rules: unknown severity %q (want error, warning, notice or info)", word)
}
