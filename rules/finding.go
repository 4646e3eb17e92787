package rules

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// Finding is one rule firing on one subject. Reports render findings; the
// JSON field names are part of the versioned report structure.
type Finding struct {
	// Rule is the id of the rule that fired.
	Rule string `json:"rule"`
	// Severity is the rule's severity after configuration.
	Severity Severity `json:"severity"`
	// Kind and Subject identify the subject: its kind and Key().
	Kind    Kind   `json:"kind"`
	Subject string `json:"subject"`
	// Account is the subject's account key ("" when none).
	Account string `json:"account,omitempty"`
	// Message is the rule's message, rendered for this subject.
	Message     string `json:"message"`
	Remediation string `json:"remediation,omitempty"`
	// Citations is shared with the rule: treat it as read-only.
	Citations []Citation `json:"citations,omitempty"`
	// Evidence lists the exchanges that prove the finding.
	Evidence []Ref `json:"evidence,omitempty"`
	// Fingerprint identifies the finding across runs; see Fingerprint.
	Fingerprint string `json:"fingerprint"`
	// Suppression is set when a configured suppression or the baseline
	// accepts the finding; such findings are still returned, so reports
	// can show or count them.
	Suppression *Suppression `json:"suppression,omitempty"`
}

// Suppressed reports whether the finding is accepted by a suppression or
// the baseline.
func (f *Finding) Suppressed() bool { return f.Suppression != nil }

// SuppressionSource says what accepted a finding.
type SuppressionSource string

// The sources of a suppression.
const (
	// SuppressedByConfig: a suppressions entry of the configuration.
	SuppressedByConfig SuppressionSource = "config"
	// SuppressedByBaseline: the fingerprint is in the baseline file.
	SuppressedByBaseline SuppressionSource = "baseline"
)

// Suppression records why a finding is accepted.
type Suppression struct {
	Source SuppressionSource `json:"source"`
	// Reason is the configured justification (empty for the baseline).
	Reason string `json:"reason,omitempty"`
	// Expires is the last day the suppression holds (zero: never).
	Expires time.Time `json:"expires,omitzero"`
	// Pos is the suppression's place in the configuration, or the
	// baseline file.
	Pos Pos `json:"pos"`
}

// Fingerprint returns the stable identity of a finding: a hash of the rule
// id, the subject key and the account. It does not depend on line numbers,
// times or messages, so the same problem found in two recordings (or after
// a rule's wording changes) keeps its fingerprint; it is what baselines
// and SARIF partialFingerprints use.
func Fingerprint(rule, subject, account string) string {
	const scheme = "acmeproxy-finding/v1\x00"
	b := make([]byte, 0, len(scheme)+len(rule)+len(subject)+len(account)+2)
	b = append(append(append(append(append(append(b, scheme...), rule...), 0), subject...), 0), account...)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// EngineError is a rule that could not be evaluated on a subject: an
// expression failed at run time (a nil pointer, a bad evidence value), a
// helper panicked, or the subject was not of the registered type. It is
// not a finding about the subject, and it is never dropped: the lint
// command exits 3 when there is one.
type EngineError struct {
	Rule    string `json:"rule"`
	Kind    Kind   `json:"kind,omitempty"`
	Subject string `json:"subject,omitempty"`
	// Pos is where in the rule file the failing expression is, when known.
	Pos Pos   `json:"pos"`
	Err error `json:"-"`
	// Stack is the goroutine stack when the failure was a panic outside
	// the expression engine (in a subject's Key or Refs, say).
	Stack []byte `json:"-"`
}

// Error names the place in the rule file, the rule, the subject and the
// failure.
func (e EngineError) Error() string {
	where := ""
	if e.Pos.File != "" {
		where = e.Pos.String() + ": "
	}
	if e.Subject == "" {
		return fmt.Sprintf("%srule %s: %v", where, e.Rule, e.Err)
	}
	return fmt.Sprintf("%srule %s on %s %s: %v", where, e.Rule, e.Kind, e.Subject, e.Err)
}

// Unwrap returns the underlying error.
func (e EngineError) Unwrap() error { return e.Err }

// MarshalJSON adds the failure's text as "error".
func (e EngineError) MarshalJSON() ([]byte, error) {
	type plain EngineError // without this method
	msg := ""
	if e.Err != nil {
		msg = e.Err.Error()
	}
	return json.Marshal(struct {
		plain
		Error string `json:"error"`
	}{plain(e), msg})
}
