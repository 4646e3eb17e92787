package lint

import (
	"context"
	"time"

	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/flow"
	"github.com/acmeproxy/acmeproxy/rules"
)

// batchSize is how many exchange subjects are evaluated at once, and how
// often idle accounts are looked for.
const batchSize = 1024

// Defaults of Options.
const (
	// DefaultEvictAfter is Options.EvictAfter when zero: an account is
	// judged and forgotten once 20,000 exchanges have gone by without one
	// that concerns it: eight seconds of the benchmark's busy proxy (which
	// then keeps some 1,600 accounts), half an hour of a proxy that sees
	// an ACME exchange every tenth of a second.
	DefaultEvictAfter = 20_000
	// DefaultMaxReportExchanges is Options.MaxReportExchanges when zero:
	// about 20 MB of exchanges in a report, and 300 accounts or so on its
	// timeline.
	DefaultMaxReportExchanges = 5_000
	// DefaultMaxReportSubjects is Options.MaxReportSubjects when zero.
	DefaultMaxReportSubjects = 20_000
)

// Options configures a run.
type Options struct {
	// Set is the rule set to evaluate.
	Set *rules.Set
	// CA, when set, judges the recordings as if they came from that CA.
	CA string
	// AsOf, when set, judges the recordings as of that time instead of
	// their own.
	AsOf time.Time
	// LintTime is the wall clock, for suppression expiry; time.Now when
	// zero.
	LintTime time.Time
	// Progress, when set, is called every few thousand exchanges.
	Progress func(read, total int64, exchanges int)
	// EvictAfter is how many exchanges may go by without one that
	// concerns an account before the account is judged and forgotten
	// (see Run); DefaultEvictAfter when zero; negative: never.
	EvictAfter int
	// MaxReportExchanges bounds the exchanges a report carries in full
	// (the findings' evidence first; any others they cite are carried
	// without headers and bodies) and those the flow timeline's lanes
	// cite (see Result.Report). DefaultMaxReportExchanges when zero.
	MaxReportExchanges int
	// MaxReportSubjects bounds Report.Subjects (JUnit's passing cases);
	// DefaultMaxReportSubjects when zero.
	MaxReportSubjects int

	// batch overrides batchSize, for tests.
	batch int
}

func (o Options) evictAfter() int { return defaulted(o.EvictAfter, DefaultEvictAfter) }

func defaulted(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// Result is what a run found.
type Result struct {
	Recordings []*Recording
	// Ledger is the flow ledger at the end. It no longer holds the
	// accounts evicted during the run (Evicted counts them); their
	// findings are in Findings all the same.
	Ledger       *flow.Ledger
	Context      rules.EvalContext
	Exchanges    int
	Findings     []rules.Finding
	EngineErrors []rules.EngineError
	// Evicted is the number of accounts judged and forgotten before the
	// end. Passes is 2 when the first pass could not be kept (see Run),
	// 3 if the second could not either and the third kept everything.
	Evicted int
	Passes  int

	facts  *factTable
	report *reportState
}

// Run lints the recordings at paths. The recordings are closed when it
// returns. An error means an input could not be read (it names the file
// and line); findings and engine errors are in the Result.
//
// Memory is bounded by the open state rather than by the recordings:
// exchange rules run in batches as the exchanges stream past, and an
// account that no exchange has concerned for Options.EvictAfter
// exchanges is closed — its authorizations and orders judged as at the
// end of the recordings, the rules about it and its objects evaluated —
// and the ledger forgets it. The findings are those of a run that keeps
// everything to the end, in the same order. Judging early needs the
// recordings' end time and CA: the first pass takes the end from the
// journals' last records and the CA as the traffic shows it. When either
// turns out different, or the traffic comes back to an evicted account,
// Run lints again, knowing the end and the CA and keeping those accounts
// to the end (Result.Passes is then 2). HAR files, whose end cannot be
// read ahead, are linted without eviction.
func Run(ctx context.Context, paths []string, opts Options) (*Result, error) {
	if opts.LintTime.IsZero() {
		opts.LintTime = time.Now() // one clock for every evaluation
	}
	p := plan{horizon: opts.evictAfter()}
	if p.horizon > 0 {
		p.end, p.evict = guessEnd(paths)
	}
	res, err := runPass(ctx, paths, opts, p)
	if err != nil || !res.needsSecondPass(p) {
		return res, err
	}
	p = plan{horizon: p.horizon, evict: true, end: res.lastEnd(), ca: res.Context.CA, caKnown: true,
		keep: res.Ledger.Revivals()}
	res, err = runPass(ctx, paths, opts, p)
	if err != nil {
		return nil, err
	}
	res.Passes = 2
	if res.needsSecondPass(p) {
		// Cannot happen (the second pass evicts what the first did, less
		// what it keeps); should it, keeping everything is still exact.
		res, err = runPass(ctx, paths, opts, plan{})
		if res != nil {
			res.Passes = 3
		}
	}
	return res, err
}

// plan says how a pass evicts.
type plan struct {
	evict   bool
	horizon int
	// end is the time accounts are judged as of (Ledger.Close); ca the
	// CA, when caKnown.
	end     time.Time
	ca      string
	caKnown bool
	keep    flow.Revivals
}

// needsSecondPass reports whether the early judgements of a pass made
// with plan p may differ from judgements at the end.
func (res *Result) needsSecondPass(p plan) bool {
	if res.Evicted == 0 {
		return false
	}
	return !p.end.Equal(res.lastEnd()) || res.report.caDiffers(res.Context.CA) || res.Ledger.Revivals().Len() > 0
}

// lastEnd is the end of the recordings: the latest exchange end.
func (res *Result) lastEnd() time.Time { return res.report.last }

func runPass(ctx context.Context, paths []string, opts Options, p plan) (*Result, error) {
	res := &Result{Ledger: flow.New(), facts: newFactTable(), Passes: 1}
	res.Ledger.KeepAlive(p.keep)
	defer func() {
		for _, r := range res.Recordings {
			r.Close()
		}
	}()
	var sources []flow.Source
	var total int64
	for _, path := range paths {
		r, err := Open(path)
		if err != nil {
			return nil, err
		}
		res.Recordings = append(res.Recordings, r)
		sources = append(sources, r.Source())
		total += r.Size
	}
	ru := newRunner(ctx, opts, p, res)
	err := flow.Feed(res.Ledger, decode.NewDecoder(), sources, func(x *flow.Exchange) error {
		ru.observe(x)
		if len(ru.batch) == defaulted(opts.batch, batchSize) {
			ru.flush()
			if opts.Progress != nil {
				opts.Progress(res.read(), total, res.Exchanges)
			}
		}
		return ctx.Err()
	})
	if err != nil {
		return nil, err
	}
	ru.finish()
	return res, nil
}

func (res *Result) read() int64 {
	var n int64
	for _, r := range res.Recordings {
		n += r.Read()
	}
	return n
}

// context is the evaluation context: the recordings' own time and CA
// unless the options override them.
func (res *Result) context(opts Options, last time.Time) rules.EvalContext {
	ec := rules.EvalContext{Now: last, CA: opts.CA, LintTime: opts.LintTime}
	if !opts.AsOf.IsZero() {
		ec.Now = opts.AsOf
	}
	if ec.CA == "" {
		for _, s := range res.Ledger.Sessions() {
			if s.CA != "" {
				ec.CA = s.CA
				break
			}
		}
	}
	if ec.LintTime.IsZero() {
		ec.LintTime = time.Now()
	}
	return ec
}

// Subjects returns the ledger's subjects other than exchanges, by kind.
func Subjects(l *flow.Ledger) rules.Subjects {
	s := rules.Subjects{}
	for _, a := range l.Accounts() {
		addAccountSubjects(s, a)
	}
	for _, ss := range l.Sessions() {
		s[rules.KindSession] = append(s[rules.KindSession], ss)
	}
	return s
}

// addAccountSubjects adds a and its objects to s.
func addAccountSubjects(s rules.Subjects, a *flow.Account) {
	s[rules.KindAccount] = append(s[rules.KindAccount], a)
	for _, z := range a.Authzs {
		s[rules.KindAuthorization] = append(s[rules.KindAuthorization], z)
	}
	for _, o := range a.Orders {
		s[rules.KindOrder] = append(s[rules.KindOrder], o)
	}
	for _, c := range a.Certificates {
		s[rules.KindCertificate] = append(s[rules.KindCertificate], c)
	}
}

// LoadExample is a rules.ExampleLoader: it lints nothing, but builds the
// ledger of the recording at path and returns every subject, exchanges
// included, with the recording's own clock and CA.
func LoadExample(path string) (rules.Recording, error) {
	r, err := Open(path)
	if err != nil {
		return rules.Recording{}, err
	}
	defer r.Close()
	l := flow.New()
	var xs []rules.Subject
	var last time.Time
	err = flow.Feed(l, decode.NewDecoder(), []flow.Source{r.Source()}, func(x *flow.Exchange) error {
		xs = append(xs, x)
		if x.End.After(last) {
			last = x.End
		}
		return nil
	})
	if err != nil {
		return rules.Recording{}, err
	}
	l.Finish(last)
	subjects := Subjects(l)
	subjects[rules.KindExchange] = xs
	res := &Result{Ledger: l}
	return rules.Recording{Context: res.context(Options{LintTime: last}, last), Subjects: subjects}, nil
}
