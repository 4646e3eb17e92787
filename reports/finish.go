package reports

import (
	"cmp"
	"slices"
	"strings"

	"github.com/acmeproxy/acmeproxy/rules"
)

// Finish completes a filled Report: it sets Version, orders rules,
// findings and exchanges deterministically, replaces nil lists by empty
// ones (so JSON shows [] rather than null) and computes Summary. Call it
// once after AddFindings and before Validate and the renderers.
func (r *Report) Finish() {
	r.Version = Version
	r.Inputs = nonNil(r.Inputs)
	r.Rules = nonNil(r.Rules)
	r.Findings = nonNil(r.Findings)
	r.Suppressed = nonNil(r.Suppressed)
	r.EngineErrors = nonNil(r.EngineErrors)
	r.Exchanges = nonNil(r.Exchanges)
	r.Flow.Accounts = nonNil(r.Flow.Accounts)
	for i := range r.Flow.Accounts {
		a := &r.Flow.Accounts[i]
		a.Lanes = nonNil(a.Lanes)
		for j := range a.Lanes {
			a.Lanes[j].Events = nonNil(a.Lanes[j].Events)
		}
	}
	for i := range r.Findings {
		r.Findings[i].Evidence = nonNil(r.Findings[i].Evidence)
	}
	for i := range r.Suppressed {
		r.Suppressed[i].Evidence = nonNil(r.Suppressed[i].Evidence)
	}
	slices.SortStableFunc(r.Rules, func(a, b Rule) int { return strings.Compare(a.ID, b.ID) })
	for i := range r.Rules {
		r.Rules[i].Citations = nonNil(r.Rules[i].Citations)
		if r.Rules[i].HelpURI == "" {
			r.Rules[i].HelpURI = firstURL(r.Rules[i].Citations)
		}
	}
	r.sortExchanges()
	order := r.inputOrder()
	sortFindings(r.Findings, order)
	sortFindings(r.Suppressed, order)
	r.Summary = r.summarize()
}

// firstURL returns the first citation URL, or "".
func firstURL(cs []rules.Citation) string {
	for _, c := range cs {
		if c.URL != "" {
			return c.URL
		}
	}
	return ""
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// inputOrder maps each input path to its position.
func (r *Report) inputOrder() map[string]int {
	m := make(map[string]int, len(r.Inputs))
	for i, in := range r.Inputs {
		m[in.Path] = i
	}
	return m
}

// sortFindings orders findings most severe first, then by rule id, then by
// where their anchor is, then by subject.
func sortFindings(fs []Finding, order map[string]int) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(b.Severity, a.Severity),
			strings.Compare(a.Rule, b.Rule),
			cmp.Compare(order[a.Recording], order[b.Recording]),
			cmp.Compare(anchorLine(&a), anchorLine(&b)),
			strings.Compare(a.Subject, b.Subject),
		)
	})
}

func anchorLine(f *Finding) int {
	if a := f.Anchor(); a != nil {
		return a.Line
	}
	return 0
}

// summarize computes the summary from the lists.
func (r *Report) summarize() Summary {
	s := Summary{
		Findings:     len(r.Findings),
		Suppressed:   len(r.Suppressed),
		EngineErrors: len(r.EngineErrors),
		Rules:        len(r.Rules),
		Accounts:     len(r.Flow.Accounts),
		ByRule:       []RuleCount{},
	}
	for _, in := range r.Inputs {
		s.Exchanges += in.Exchanges
	}
	for _, ru := range r.Rules {
		if ru.Skipped != "" {
			s.RulesSkipped++
		}
	}
	counts := map[string]*RuleCount{}
	count := func(f *Finding) *RuleCount {
		c := counts[f.Rule]
		if c == nil {
			c = &RuleCount{Rule: f.Rule, Severity: f.Severity}
			counts[f.Rule] = c
		}
		return c
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		s.BySeverity.add(f.Severity)
		if r.Fails(f) {
			s.Failing++
		}
		count(f).Findings++
	}
	for i := range r.Suppressed {
		count(&r.Suppressed[i]).Suppressed++
	}
	for _, c := range counts {
		s.ByRule = append(s.ByRule, *c)
	}
	slices.SortFunc(s.ByRule, func(a, b RuleCount) int { return strings.Compare(a.Rule, b.Rule) })
	s.ExitCode = r.ExitCode()
	return s
}
