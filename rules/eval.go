package rules

import (
	"context"
	"fmt"
	"reflect"
	"runtime/debug"
	"slices"
	"time"

	"github.com/acmeproxy/acmeproxy/internal/ruleexpr"
)

// EvalContext is what a lint knows about the recording as a whole.
type EvalContext struct {
	// Now is the injected clock: the recording's time when linting a file
	// (its last exchange), the wall clock when linting live. It is the
	// `now` of expressions and decides the effective dates (a zero Now
	// is before every effective date: dated rules do not apply).
	Now time.Time
	// CA is the id of the CA the recording talked to ("letsencrypt",
	// "letsencrypt-staging", "pebble", "boulder-v1-test"; "" unknown). It
	// is the `ca` of expressions and decides CA scopes.
	CA string
	// LintTime is when the lint runs, against which suppression expiry
	// dates are judged (an administrative deadline, not a property of the
	// recording). Zero means Now.
	LintTime time.Time
}

// Subjects holds the subjects to evaluate, by kind. Each value's dynamic
// type must be the type the Schema registered for its kind.
type Subjects map[Kind][]Subject

// ctxCheckEvery is how many subjects are evaluated between two looks at
// the context.
const ctxCheckEvery = 256

// Evaluate runs every enabled rule that applies to ec over the subjects
// of its kind. It returns the findings (suppressed ones included, marked)
// in rule-id order, then subject order; and every rule that failed on a
// subject as an EngineError, never silently dropping it. When ctx is done
// it stops and reports ctx.Err() as an engine error.
//
// Evaluate may be called concurrently; it does not modify the Set.
func (s *Set) Evaluate(ctx context.Context, ec EvalContext, subjects Subjects) ([]Finding, []EngineError) {
	if ec.LintTime.IsZero() {
		ec.LintTime = ec.Now
	}
	ev := &evaluator{set: s, ec: ec}
	for _, e := range s.entries {
		if !e.enabled {
			continue
		}
		if err := ctx.Err(); err != nil {
			ev.errs = append(ev.errs, EngineError{Rule: e.rule.ID, Err: err})
			break
		}
		if e.rule.ID == MetaExpiredSuppression {
			ev.reportExpired(e)
			continue
		}
		if e.rule.prog != nil && e.rule.AppliesTo(ec) {
			ev.runRule(ctx, e, subjects[e.rule.Subject])
		}
	}
	return ev.findings, ev.errs
}

// evaluator holds the state of one Evaluate call.
type evaluator struct {
	set      *Set
	ec       EvalContext
	vm       ruleexpr.VM
	findings []Finding
	errs     []EngineError
}

// reportExpired adds a meta finding per expired suppression.
func (ev *evaluator) reportExpired(e *entry) {
	for _, sp := range ev.set.supps {
		if sp.expired(ev.ec.LintTime) {
			f := expiredFinding(sp, e.severity)
			ev.applyBaseline(&f)
			ev.findings = append(ev.findings, f)
		}
	}
}

// runRule evaluates one rule over its subjects.
func (ev *evaluator) runRule(ctx context.Context, e *entry, subjects []Subject) {
	p := e.rule.prog
	env := make(ruleexpr.Env, len(p.funcs)+4)
	for name, fn := range p.funcs {
		env[name] = fn
	}
	env[varParams] = e.params
	env[varNow] = ev.ec.Now
	env[varCA] = ev.ec.CA
	for i, subj := range subjects {
		if i%ctxCheckEvery == ctxCheckEvery-1 && ctx.Err() != nil {
			ev.errs = append(ev.errs, EngineError{Rule: e.rule.ID, Kind: e.rule.Subject, Err: ctx.Err()})
			return
		}
		if f, ok := ev.runOne(e, env, subj); ok {
			ev.findings = append(ev.findings, f)
		}
	}
}

// runOne evaluates rule e on one subject. A failure anywhere, including a
// panic in a subject's methods, becomes an EngineError.
func (ev *evaluator) runOne(e *entry, env ruleexpr.Env, subj Subject) (f Finding, fired bool) {
	r := e.rule
	defer func() {
		if x := recover(); x != nil {
			ev.fail(r, subj, Pos{}, fmt.Errorf("panic: %v", x))
			ev.errs[len(ev.errs)-1].Stack = debug.Stack()
			f, fired = Finding{}, false
		}
	}()
	if t := reflect.TypeOf(subj); t != r.prog.subject {
		ev.fail(r, subj, r.Pos, fmt.Errorf("subject is a %v, the schema registered %v for %s", t, r.prog.subject, r.Subject))
		return Finding{}, false
	}
	env[r.Subject.Var()] = subj
	out, err := ev.vm.Run(r.prog.cond, env)
	if err != nil {
		ev.fail(r, subj, r.prog.condAt.pos(err), fmt.Errorf("condition: %w", err))
		return Finding{}, false
	}
	if hit, _ := out.(bool); !hit {
		return Finding{}, false
	}
	f, ok := ev.finding(e, env, subj)
	if !ok {
		return Finding{}, false
	}
	ev.suppress(e, env, subj, &f)
	return f, true
}

// finding builds the finding of rule e firing on subj: evidence, message,
// fingerprint.
func (ev *evaluator) finding(e *entry, env ruleexpr.Env, subj Subject) (Finding, bool) {
	r := e.rule
	refs, err := ev.evidence(r, env, subj)
	if err != nil {
		ev.fail(r, subj, r.prog.evidenceAt.pos(err), fmt.Errorf("evidence: %w", err))
		return Finding{}, false
	}
	msg, at, err := r.prog.message.render(&ev.vm, env)
	if err != nil {
		ev.fail(r, subj, at, fmt.Errorf("message: %w", err))
		return Finding{}, false
	}
	key, account := subj.SubjectKey(), r.prog.accountOf(subj)
	return Finding{
		Rule:        r.ID,
		Severity:    e.severity,
		Kind:        r.Subject,
		Subject:     key,
		Account:     account,
		Message:     msg,
		Remediation: r.Remediation,
		Citations:   r.Citations,
		Evidence:    refs,
		Fingerprint: Fingerprint(r.ID, key, account),
	}, true
}

// evidence returns the refs a finding cites: the evidence expression's, or
// the subject's own, without duplicates.
func (ev *evaluator) evidence(r *Rule, env ruleexpr.Env, subj Subject) ([]Ref, error) {
	var v any = subj
	if r.prog.evidence != nil {
		var err error
		if v, err = ev.vm.Run(r.prog.evidence, env); err != nil {
			return nil, err
		}
	}
	refs, err := r.prog.refs(v)
	if err != nil {
		return nil, err
	}
	return dedupeRefs(refs), nil
}

// dedupeRefs drops repeated refs, keeping the first of each, into a new
// slice (the input may belong to the subject). Evidence lists are short,
// so a quadratic scan beats a map.
func dedupeRefs(refs []Ref) []Ref {
	out := make([]Ref, 0, len(refs))
	for _, ref := range refs {
		if !slices.Contains(out, ref) {
			out = append(out, ref)
		}
	}
	return out
}

// suppress marks f when an unexpired suppression of its rule matches the
// subject, or else when the baseline holds its fingerprint. A match
// expression that fails is an engine error and does not suppress.
func (ev *evaluator) suppress(e *entry, env ruleexpr.Env, subj Subject, f *Finding) {
	for _, sp := range e.supps {
		if sp.expired(ev.ec.LintTime) {
			continue
		}
		if sp.match != nil {
			out, err := ev.vm.Run(sp.match, env)
			if err != nil {
				ev.fail(e.rule, subj, sp.at.pos(err), fmt.Errorf("suppression match: %w", err))
				continue
			}
			if hit, _ := out.(bool); !hit {
				continue
			}
		}
		f.Suppression = &Suppression{Source: SuppressedByConfig, Reason: sp.cfg.Reason,
			Expires: sp.cfg.Expires, Pos: sp.cfg.Pos}
		return
	}
	ev.applyBaseline(f)
}

// applyBaseline marks f when the baseline accepts its fingerprint.
func (ev *evaluator) applyBaseline(f *Finding) {
	if ev.set.baseline.Contains(f.Fingerprint) {
		f.Suppression = &Suppression{Source: SuppressedByBaseline, Pos: ev.set.basePos}
	}
}

// fail records an engine error of rule r on subj. SubjectKey is called
// with its own guard: a subject whose SubjectKey panics is still reported.
func (ev *evaluator) fail(r *Rule, subj Subject, at Pos, err error) {
	ev.errs = append(ev.errs, EngineError{Rule: r.ID, Kind: r.Subject, Subject: safeKey(subj), Pos: at, Err: err})
}

// safeKey returns subj.Key(), or a placeholder when it panics.
func safeKey(subj Subject) (key string) {
	defer func() {
		if recover() != nil {
			key = fmt.Sprintf("(%T with a panicking SubjectKey)", subj)
		}
	}()
	if subj == nil {
		return "(nil subject)"
	}
	return subj.SubjectKey()
}
