package lint

import (
	"context"
	"time"

	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/flow"
	"github.com/acmeproxy/acmeproxy/rules"
)

// batchSize is how many exchange subjects are evaluated at once.
const batchSize = 1024

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
}

// Result is what a run found.
type Result struct {
	Recordings   []*Recording
	Ledger       *flow.Ledger
	Context      rules.EvalContext
	Exchanges    int
	Findings     []rules.Finding
	EngineErrors []rules.EngineError
}

// Run lints the recordings at paths. The recordings are closed when it
// returns. An error means an input could not be read (it names the file
// and line); findings and engine errors are in the Result.
func Run(ctx context.Context, paths []string, opts Options) (*Result, error) {
	res := &Result{Ledger: flow.New()}
	defer func() {
		for _, r := range res.Recordings {
			r.Close()
		}
	}()
	var sources []flow.Source
	var total int64
	for _, p := range paths {
		r, err := Open(p)
		if err != nil {
			return nil, err
		}
		res.Recordings = append(res.Recordings, r)
		sources = append(sources, r.Source())
		total += r.Size
	}
	var batch []rules.Subject
	var last time.Time
	flush := func() {
		if len(batch) == 0 {
			return
		}
		f, e := opts.Set.Evaluate(ctx, res.context(opts, last), rules.Subjects{rules.KindExchange: batch})
		res.Findings, res.EngineErrors = append(res.Findings, f...), append(res.EngineErrors, e...)
		batch = batch[:0]
	}
	err := flow.Feed(res.Ledger, decode.NewDecoder(), sources, func(x *flow.Exchange) error {
		res.Exchanges++
		if x.End.After(last) {
			last = x.End
		}
		batch = append(batch, x)
		if len(batch) == batchSize {
			flush()
			if opts.Progress != nil {
				opts.Progress(res.read(), total, res.Exchanges)
			}
		}
		return ctx.Err()
	})
	if err != nil {
		return nil, err
	}
	flush()
	res.Ledger.Finish(last)
	res.Context = res.context(opts, last)
	f, e := opts.Set.Evaluate(ctx, res.Context, Subjects(res.Ledger))
	res.Findings, res.EngineErrors = append(res.Findings, f...), append(res.EngineErrors, e...)
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
	for _, ss := range l.Sessions() {
		s[rules.KindSession] = append(s[rules.KindSession], ss)
	}
	return s
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
