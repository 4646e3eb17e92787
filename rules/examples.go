package rules

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Recording is what an example loader returns: the subjects the flow
// ledger built from one recording, and the recording's clock and CA.
type Recording struct {
	Context  EvalContext
	Subjects Subjects
}

// ExampleLoader turns an example's recording path (Example.Path) into
// subjects. The flow package provides the real one (journal → decode →
// ledger); tests of this package use synthetic subjects.
type ExampleLoader func(path string) (Recording, error)

// ExampleResult is the outcome of one example.
type ExampleResult struct {
	Rule    *Rule
	Example Example
	// Got are the keys of the subjects the rule fired on.
	Got []string
	// Err is set when the recording could not be loaded or the rule
	// failed on it (engine errors joined).
	Err error
}

// OK reports whether the example produced what it expects.
func (r ExampleResult) OK() bool {
	if r.Err != nil || len(r.Got) != r.Example.Expect.Count {
		return false
	}
	if r.Example.Expect.Keys == nil {
		return true
	}
	return slices.Equal(slices.Sorted(slices.Values(r.Got)), slices.Sorted(slices.Values(r.Example.Expect.Keys)))
}

// String describes a failed example for a test log.
func (r ExampleResult) String() string {
	where := fmt.Sprintf("%s: rule %s: example %s", r.Example.Pos, r.Rule.ID, r.Example.Recording)
	switch {
	case r.Err != nil:
		return fmt.Sprintf("%s: %v", where, r.Err)
	case r.OK():
		return where + ": ok"
	case r.Example.Expect.Keys != nil:
		return fmt.Sprintf("%s: fired on %q, want %q", where, r.Got, r.Example.Expect.Keys)
	}
	return fmt.Sprintf("%s: fired %d times (%q), want %d", where, len(r.Got), r.Got, r.Example.Expect.Count)
}

// RunExamples runs every example of every rule: each rule alone, at its
// default severity and parameters, with no configuration, over the
// subjects load returns for the example's recording. A recording used by
// several examples is loaded once.
func RunExamples(ctx context.Context, rules []*Rule, load ExampleLoader) []ExampleResult {
	type loaded struct {
		rec Recording
		err error
	}
	cache := map[string]loaded{}
	var out []ExampleResult
	for _, r := range rules {
		set, err := NewSet([]*Rule{r})
		for _, ex := range r.Examples {
			res := ExampleResult{Rule: r, Example: ex, Err: err}
			l, ok := cache[ex.Path]
			if !ok {
				l.rec, l.err = load(ex.Path)
				cache[ex.Path] = l
			}
			if res.Err == nil && l.err != nil {
				res.Err = fmt.Errorf("loading recording: %w", l.err)
			}
			if res.Err == nil {
				rec := l.rec
				if ex.CA != "" {
					rec.Context.CA = ex.CA
				}
				if !ex.Date.IsZero() {
					rec.Context.Now = ex.Date
				}
				res.Got, res.Err = fired(ctx, set, rec)
			}
			out = append(out, res)
		}
	}
	return out
}

// fired evaluates set over rec and returns the subject keys of the
// findings, or the engine errors.
func fired(ctx context.Context, set *Set, rec Recording) ([]string, error) {
	findings, errs := set.Evaluate(ctx, rec.Context, rec.Subjects)
	if len(errs) > 0 {
		joined := make([]error, len(errs))
		for i, e := range errs {
			joined[i] = e
		}
		return nil, errors.Join(joined...)
	}
	keys := []string{}
	for _, f := range findings {
		keys = append(keys, f.Subject)
	}
	return keys, nil
}

// Audit is the meta-test of a rule pack: every rule must have a title, a
// remediation, at least one citation, at least one example where it fires
// and one where it stays silent, and every example must pass. It returns
// one error per problem (nil when the pack is sound); a test reports them
// with t.Error.
func Audit(ctx context.Context, rules []*Rule, load ExampleLoader) []error {
	var errs []error
	for _, r := range rules {
		var missing []string
		if r.Remediation == "" {
			missing = append(missing, "a remediation")
		}
		if len(r.Citations) == 0 {
			missing = append(missing, "a citation")
		}
		if !slices.ContainsFunc(r.Examples, func(e Example) bool { return e.Expect.Fires() }) {
			missing = append(missing, "an example where it fires")
		}
		if !slices.ContainsFunc(r.Examples, func(e Example) bool { return !e.Expect.Fires() }) {
			missing = append(missing, "an example where it stays silent")
		}
		if len(missing) > 0 {
			errs = append(errs, fmt.Errorf("%s: rule %s lacks %s", r.Pos, r.ID, strings.Join(missing, ", ")))
		}
	}
	for _, res := range RunExamples(ctx, rules, load) {
		if !res.OK() {
			errs = append(errs, errors.New(res.String()))
		}
	}
	return errs
}
