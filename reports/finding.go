package reports

import (
	"strconv"
	"strings"
	"time"

	"github.com/acmeproxy/acmeproxy/rules"
)

// Finding is a rule finding with its evidence resolved to exchanges, so a
// renderer needs nothing but the Report. The embedded rules.Finding's
// fields (Rule, Severity, Kind, Subject, Account, Message, Remediation,
// Citations, Fingerprint, Suppression) are promoted; its Evidence is
// shadowed by the resolved Evidence here, in Go and in JSON.
type Finding struct {
	rules.Finding
	// Evidence is the finding's refs, in the engine's order, each with
	// what the exchange was. The first is the anchor: the exchange a SARIF
	// result points at.
	Evidence []Evidence `json:"evidence"`
	// Label is a short human name of the subject ("authorization
	// example.com"); it defaults to the kind and key.
	Label string `json:"label,omitempty"`
	// Object is the ACME object URL the finding is about (the subject's
	// URL, the account URL, or the anchor exchange's URL): SARIF's
	// logical location.
	Object string `json:"object,omitempty"`
	// Recording is the Input.Path of the anchor exchange, "" without
	// evidence.
	Recording string `json:"recording,omitempty"`
}

// Evidence is one evidence ref with what the exchange it points at was.
type Evidence struct {
	// Ref is the engine's ref: file, journal line, sequence number and an
	// optional note ("created", "finalize").
	rules.Ref
	Time      time.Time `json:"time,omitzero"`
	Operation string    `json:"operation,omitempty"`
	Method    string    `json:"method,omitempty"`
	URL       string    `json:"url,omitempty"`
	// Status is the HTTP status of the answer, 0 when there was none.
	Status int `json:"status,omitempty"`
	// Problem is the problem type's name ("badNonce"), if the answer was
	// a problem document.
	Problem string `json:"problem,omitempty"`
	// Found is false when the report holds no exchange for the ref.
	Found bool `json:"found"`
}

// Anchor returns the finding's first evidence, or nil.
func (f *Finding) Anchor() *Evidence {
	if len(f.Evidence) == 0 {
		return nil
	}
	return &f.Evidence[0]
}

// Where returns "file:line" of the anchor, or "" without evidence.
func (f *Finding) Where() string {
	if a := f.Anchor(); a != nil {
		return refString(a.Ref)
	}
	return ""
}

// String returns "file:line" (the journal line), or the file alone when
// the line is unknown.
func (e Evidence) String() string { return refString(e.Ref) }

func refString(r rules.Ref) string {
	if r.Line == 0 {
		return r.File
	}
	return r.File + ":" + strconv.Itoa(r.Line)
}

// AddFindings adds the engine's findings to the report: unsuppressed ones
// to Findings, suppressed ones to Suppressed. Each ref is resolved against
// r.Exchanges, and each finding's Label, Object and Recording are taken
// from the flow snapshot and the exchanges; so add Exchanges and Flow
// first. Call Finish afterwards.
func (r *Report) AddFindings(fs []rules.Finding) {
	r.buildIndex()
	for _, f := range fs {
		out := r.resolve(f)
		if f.Suppressed() {
			r.Suppressed = append(r.Suppressed, out)
		} else {
			r.Findings = append(r.Findings, out)
		}
	}
}

// resolve builds the report form of f.
func (r *Report) resolve(f rules.Finding) Finding {
	out := Finding{Finding: f, Evidence: make([]Evidence, 0, len(f.Evidence))}
	out.Finding.Evidence = nil
	for _, ref := range f.Evidence {
		out.Evidence = append(out.Evidence, r.evidence(ref))
	}
	if len(f.Evidence) > 0 {
		out.Recording = f.Evidence[0].File
	} else {
		out.Recording = r.RecordingOf(f.Kind, f.Subject)
	}
	out.Label, out.Object = r.describe(f.Kind, f.Subject, f.Account)
	if out.Object == "" && len(out.Evidence) > 0 {
		out.Object = out.Evidence[0].URL
	}
	return out
}

// evidence resolves one ref.
func (r *Report) evidence(ref rules.Ref) Evidence {
	e := Evidence{Ref: ref}
	x := r.Exchange(ref.File, ref.Seq)
	if x == nil {
		return e
	}
	e.Found = true
	e.Time, e.Operation, e.Method, e.URL, e.Status = x.Time, x.Operation, x.Method, x.URL, x.Status
	if e.Ref.Line == 0 {
		e.Ref.Line = x.Line
	}
	if x.Problem != nil {
		e.Problem = x.Problem.Name()
	}
	return e
}

// describe returns a label and an object URL for a subject, from the flow
// snapshot and the exchanges.
func (r *Report) describe(kind rules.Kind, key, account string) (label, object string) {
	switch kind {
	case rules.KindAccount:
		if a := r.Flow.Account(key); a != nil {
			return "account " + a.Name(), a.URL
		}
		return "account " + short(key), ""
	case rules.KindAuthorization, rules.KindOrder, rules.KindCertificate:
		if l := r.Flow.Lane(kind, key); l != nil {
			return string(kind) + " " + l.Label, l.Key
		}
		if isURL(key) {
			return string(kind) + " " + key, key
		}
	case rules.KindExchange:
		if file, line, ok := splitRef(key); ok {
			for i := range r.Exchanges {
				x := &r.Exchanges[i]
				if x.File == file && x.Line == line {
					return "exchange " + x.Method + " " + x.Operation, x.URL
				}
			}
		}
	case rules.KindSession:
		return "recording " + key, ""
	}
	return string(kind) + " " + key, ""
}

// splitRef splits "file:line".
func splitRef(s string) (string, int, bool) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return "", 0, false
	}
	n := 0
	for _, c := range s[i+1:] {
		if c < '0' || c > '9' {
			return "", 0, false
		}
		n = n*10 + int(c-'0')
	}
	return s[:i], n, i+1 < len(s)
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
}

// short returns the first 8 characters of an account key.
func short(key string) string {
	if len(key) <= 8 {
		return key
	}
	return key[:8]
}

// RecordingOf returns the Input.Path a subject belongs to: from
// Subjects, from the flow account that holds it, from an exchange key
// ("file:line") or a session key (the path); "" when none says.
func (r *Report) RecordingOf(kind rules.Kind, key string) string {
	for _, s := range r.Subjects {
		if s.Kind == kind && s.Key == key && s.Recording != "" {
			return s.Recording
		}
	}
	switch kind {
	case rules.KindExchange:
		if file, _, ok := splitRef(key); ok && r.Input(file) != nil {
			return file
		}
	case rules.KindSession:
		if r.Input(key) != nil {
			return key
		}
	case rules.KindAccount:
		if a := r.Flow.Account(key); a != nil {
			return a.Recording
		}
	default:
		for i := range r.Flow.Accounts {
			a := &r.Flow.Accounts[i]
			for _, l := range a.Lanes {
				if l.Kind == kind && l.Key == key {
					return a.Recording
				}
			}
		}
	}
	return ""
}
