package lint

import (
	"cmp"
	"context"
	"math"
	"slices"
	"time"

	"github.com/acmeproxy/acmeproxy/flow"
	"github.com/acmeproxy/acmeproxy/rules"
)

// runner is one pass of Run: it evaluates exchange rules batch by batch,
// closes idle accounts as the plan says, and closes the rest at the end.
type runner struct {
	ctx  context.Context
	opts Options
	plan plan
	res  *Result

	batch []rules.Subject
	last  time.Time // latest exchange end so far
	// ords numbers the live accounts in the order the ledger made them,
	// which is the order of Ledger.Accounts and of Subjects.
	ords    map[*flow.Account]int
	nextOrd int
	// rulePos is each rule's place in the set: Evaluate reports rule by
	// rule in that order.
	rulePos map[string]int
	// flagged holds the accounts (by thumbprint) that an exchange finding
	// is about, for the report's choice of timeline lanes.
	flagged map[string]bool
	// objects and objErrors are the findings and engine errors about
	// accounts and their objects, sorted at the end into the order one
	// Evaluate over every account would give.
	objects   []keyedFinding
	objErrors []keyedError
}

// keyedFinding is a finding with its place in the final order: its rule's
// position, then its account's.
type keyedFinding struct {
	rule, account int
	f             rules.Finding
}

type keyedError struct {
	rule, account int
	e             rules.EngineError
}

func newRunner(ctx context.Context, opts Options, p plan, res *Result) *runner {
	ru := &runner{ctx: ctx, opts: opts, plan: p, res: res, ords: map[*flow.Account]int{},
		rulePos: map[string]int{}, flagged: map[string]bool{}}
	for i, e := range opts.Set.Entries() {
		ru.rulePos[e.Rule.ID] = i
	}
	res.report = newReportState(opts)
	return ru
}

// observe takes in one exchange the ledger has just observed.
func (ru *runner) observe(x *flow.Exchange) {
	ru.res.Exchanges++
	if x.End.After(ru.last) {
		ru.last = x.End
	}
	ru.res.facts.record(x)
	if a := x.Account; a != nil {
		if _, ok := ru.ords[a]; !ok {
			ru.ords[a] = ru.nextOrd
			ru.nextOrd++
		}
	}
	ru.batch = append(ru.batch, x)
}

// flush evaluates the exchange rules over the batch, then closes the
// accounts gone idle.
func (ru *runner) flush() {
	if len(ru.batch) > 0 {
		f, e := ru.opts.Set.Evaluate(ru.ctx, ru.res.context(ru.opts, ru.last), rules.Subjects{rules.KindExchange: ru.batch})
		for _, fi := range f {
			if fi.Kind == rules.KindConfig {
				continue // configuration findings are made once, at the end
			}
			ru.res.Findings = append(ru.res.Findings, fi)
			if fi.Account != "" {
				ru.flagged[fi.Account] = true
			}
		}
		ru.res.EngineErrors = append(ru.res.EngineErrors, e...)
		clear(ru.batch)
		ru.batch = ru.batch[:0]
	}
	if ru.plan.evict {
		if idle := ru.res.Ledger.Idle(uint64(ru.plan.horizon)); len(idle) > 0 {
			ru.close(idle, ru.plan.end, ru.closingContext(), true)
		}
	}
}

// closingContext is the context accounts are judged in before the end:
// the plan's end and, when known, its CA.
func (ru *runner) closingContext() rules.EvalContext {
	ec := ru.res.context(ru.opts, ru.plan.end)
	if ru.plan.caKnown && ru.opts.CA == "" {
		ec.CA = ru.plan.ca
	}
	ru.res.report.noteCA(ec.CA)
	return ec
}

// close judges accounts as of end (Ledger.Close), evaluates the rules
// about them and their objects in ec, keeps what the report needs and,
// when evict is set, makes the ledger forget them.
func (ru *runner) close(accounts []*flow.Account, end time.Time, ec rules.EvalContext, evict bool) {
	slices.SortFunc(accounts, func(a, b *flow.Account) int { return cmp.Compare(ru.ords[a], ru.ords[b]) })
	subjects := rules.Subjects{}
	byKey := make(map[string]int, len(accounts))
	for _, a := range accounts {
		ru.res.Ledger.Close(a, end)
		addAccountSubjects(subjects, a)
		byKey[a.Thumbprint] = ru.ords[a]
	}
	f, e := ru.opts.Set.Evaluate(ru.ctx, ec, subjects)
	for _, fi := range f {
		if fi.Kind == rules.KindConfig {
			continue
		}
		ru.objects = append(ru.objects, keyedFinding{ru.rulePos[fi.Rule], ru.ordOf(byKey, fi.Account), fi})
		ru.flagged[fi.Account] = true
	}
	for _, ei := range e {
		ru.objErrors = append(ru.objErrors, keyedError{ru.rulePos[ei.Rule], ru.errorAccount(accounts, ei), ei})
	}
	for _, a := range accounts {
		ru.res.report.capture(a, ru.ords[a], ru.flagged[a.Thumbprint])
		if evict {
			delete(ru.flagged, a.Thumbprint)
			delete(ru.ords, a)
			ru.res.Ledger.Evict(a)
			ru.res.Evicted++
		}
	}
}

func (ru *runner) ordOf(byKey map[string]int, account string) int {
	if o, ok := byKey[account]; ok {
		return o
	}
	return math.MaxInt
}

// errorAccount finds the account of the subject an engine error is about.
func (ru *runner) errorAccount(accounts []*flow.Account, e rules.EngineError) int {
	for _, a := range accounts {
		s := rules.Subjects{}
		addAccountSubjects(s, a)
		for _, subj := range s[e.Kind] {
			if safeSubjectKey(subj) == e.Subject {
				return ru.ords[a]
			}
		}
	}
	return math.MaxInt
}

func safeSubjectKey(s rules.Subject) (key string) {
	defer func() {
		if recover() != nil {
			key = ""
		}
	}()
	return s.SubjectKey()
}

// finish evaluates the last batch, closes the accounts still open as of
// the recordings' end, evaluates the session rules and puts the findings
// in order.
func (ru *runner) finish() {
	ru.flush()
	res := ru.res
	res.report.last = ru.last
	res.Context = res.context(ru.opts, ru.last)
	ru.close(slices.Clone(res.Ledger.Accounts()), ru.last, res.Context, false)
	sessions := res.Ledger.Sessions()
	ss := make([]rules.Subject, len(sessions))
	for i, s := range sessions {
		ss[i] = s
	}
	f, e := ru.opts.Set.Evaluate(ru.ctx, res.Context, rules.Subjects{rules.KindSession: ss})
	for _, fi := range f {
		ru.objects = append(ru.objects, keyedFinding{ru.rulePos[fi.Rule], math.MaxInt, fi})
	}
	for _, ei := range e {
		ru.objErrors = append(ru.objErrors, keyedError{ru.rulePos[ei.Rule], math.MaxInt, ei})
	}
	res.report.captureSessions(sessions)
	slices.SortStableFunc(ru.objects, func(a, b keyedFinding) int {
		return cmp.Or(cmp.Compare(a.rule, b.rule), cmp.Compare(a.account, b.account))
	})
	slices.SortStableFunc(ru.objErrors, func(a, b keyedError) int {
		return cmp.Or(cmp.Compare(a.rule, b.rule), cmp.Compare(a.account, b.account))
	})
	for _, k := range ru.objects {
		res.Findings = append(res.Findings, k.f)
	}
	for _, k := range ru.objErrors {
		res.EngineErrors = append(res.EngineErrors, k.e)
	}
	ru.objects, ru.objErrors = nil, nil
}
