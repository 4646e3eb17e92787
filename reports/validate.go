package reports

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/acmeproxy/acmeproxy/rules"
)

// Validate checks that the report is complete and consistent, so that
// every renderer can rely on it: the version, the tool name and FailOn are
// set; severities, kinds, flags and event kinds are known; every finding's
// rule is listed; suppressed findings are in Suppressed and only there;
// every evidence ref and lane event points at an exchange the report
// holds, in a listed input; exchanges are not repeated; and Summary is
// what Finish computes. It returns every problem found, joined.
func (r *Report) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf("reports: "+format, args...)) }
	if r.Version != Version {
		add("version %d, want %d", r.Version, Version)
	}
	if r.Tool.Name == "" {
		add("tool name is empty")
	}
	if !r.FailOn.Valid() {
		add("fail_on %v is not a severity", r.FailOn)
	}
	if r.Generated.IsZero() {
		add("generated time is not set")
	}
	r.validateInputs(add)
	r.validateRules(add)
	r.validateFindings(add)
	r.validateFlow(add)
	if !reflect.DeepEqual(r.Summary, r.summarize()) {
		add("summary does not match the findings (call Finish after changing them)")
	}
	return errors.Join(errs...)
}

type addFunc func(format string, args ...any)

func (r *Report) validateInputs(add addFunc) {
	seen := map[string]bool{}
	for _, in := range r.Inputs {
		if in.Path == "" {
			add("input with an empty path")
		}
		if seen[in.Path] {
			add("input %s listed twice", in.Path)
		}
		seen[in.Path] = true
		if !in.Format.Valid() {
			add("input %s: unknown format %q", in.Path, in.Format)
		}
	}
	keys := map[exchangeKey]bool{}
	for _, x := range r.Exchanges {
		k := exchangeKey{x.File, x.Seq}
		if keys[k] {
			add("exchange %s seq %d listed twice", x.File, x.Seq)
		}
		keys[k] = true
		if !seen[x.File] {
			add("exchange %s: file is not an input", x.Where())
		}
		if x.Line <= 0 {
			add("exchange %s seq %d: no line", x.File, x.Seq)
		}
	}
}

func (r *Report) validateRules(add addFunc) {
	seen := map[string]bool{}
	for _, ru := range r.Rules {
		if ru.ID == "" || ru.Title == "" {
			add("rule %q: id and title are required", ru.ID)
		}
		if seen[ru.ID] {
			add("rule %s listed twice", ru.ID)
		}
		seen[ru.ID] = true
		if !ru.Severity.Valid() {
			add("rule %s: invalid severity", ru.ID)
		}
		if !ru.Subject.Valid() && ru.Subject != rules.KindConfig {
			add("rule %s: invalid subject kind %q", ru.ID, ru.Subject)
		}
	}
}

func (r *Report) validateFindings(add addFunc) {
	check := func(list string, f *Finding, suppressed bool) {
		where := fmt.Sprintf("%s %s on %s %s", list, f.Rule, f.Kind, f.Subject)
		if r.Rule(f.Rule) == nil {
			add("%s: rule is not listed", where)
		}
		if !f.Severity.Valid() {
			add("%s: invalid severity", where)
		}
		if f.Suppressed() != suppressed {
			add("%s: suppression state does not match the list", where)
		}
		if f.Fingerprint == "" {
			add("%s: no fingerprint", where)
		}
		for _, e := range f.Evidence {
			if r.Exchange(e.File, e.Seq) == nil {
				add("%s: evidence %s seq %d is not among the exchanges", where, e.String(), e.Seq)
			}
		}
	}
	for i := range r.Findings {
		check("finding", &r.Findings[i], false)
	}
	for i := range r.Suppressed {
		check("suppressed finding", &r.Suppressed[i], true)
	}
}

func (r *Report) validateFlow(add addFunc) {
	checkEvents := func(where string, evs []Event) {
		for _, e := range evs {
			if !e.Kind.Valid() {
				add("%s: unknown event kind %q", where, e.Kind)
			}
			if e.Kind == EventExpired && e.Ref.Seq == 0 {
				continue // inferred from the expiry date: no exchange shows it
			}
			if r.Exchange(e.Ref.File, e.Ref.Seq) == nil {
				add("%s: %s event's exchange %s seq %d is not among the exchanges", where, e.Kind, refString(e.Ref), e.Ref.Seq)
			}
		}
	}
	for _, a := range r.Flow.Accounts {
		if a.Key == "" {
			add("flow account with an empty key")
		}
		checkEvents("account "+a.Name(), a.Events)
		for _, l := range a.Lanes {
			where := fmt.Sprintf("account %s %s %s", a.Name(), l.Kind, l.Key)
			if l.Kind != rules.KindAuthorization && l.Kind != rules.KindOrder && l.Kind != rules.KindCertificate {
				add("%s: a lane cannot be of kind %q", where, l.Kind)
			}
			for _, f := range l.Flags {
				if !f.Valid() {
					add("%s: unknown flag %q", where, f)
				}
			}
			checkEvents(where, l.Events)
		}
	}
}
