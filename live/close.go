package live

import (
	"context"
	"time"

	"github.com/acmeproxy/acmeproxy/lint"
	"github.com/acmeproxy/acmeproxy/rules"
)

// Result is the end of a live session.
type Result struct {
	// Lint is the offline lint of the journal: the final truth.
	Lint *lint.Result
	// Reconciled holds an EventConfirmed or EventWithdrawn per
	// provisional finding still open at the end, in the order they were
	// raised.
	Reconciled []Event
}

// Close stops the engine and returns the final lint. Call it after the
// proxy has stopped and the journal is closed: it lints the journal file
// with lint.Run (one engine, two feeders), then reconciles each open
// provisional finding with the final findings — confirmed when they hold
// the orphan finding for its authorization, withdrawn with the reason
// otherwise — and reports the flow findings not reported yet. A second
// Close returns an error.
func (e *Engine) Close(ctx context.Context) (*Result, error) {
	first := false
	e.once.Do(func() { first = true; close(e.stop) })
	if !first {
		return nil, errClosed
	}
	<-e.done
	opts := e.cfg.Lint
	opts.Set = e.cfg.Set
	if opts.CA == "" {
		opts.CA = e.cfg.CA
	}
	if opts.LintTime.IsZero() {
		opts.LintTime = e.cfg.Now()
	}
	res, err := lint.Run(ctx, []string{e.cfg.Journal}, opts)
	if err != nil {
		return nil, err
	}
	out := &Result{Lint: res}
	finals := map[string]rules.Finding{} // orphan findings by authorization
	for _, f := range res.Findings {
		if f.Rule == OrphanRule {
			finals[f.Subject] = f
		}
	}
	confirmed := map[string]bool{}
	for _, p := range e.prov {
		if p.closed {
			continue
		}
		if f, ok := finals[p.f.Subject]; ok {
			confirmed[f.Fingerprint] = true
			e.settle(p, EventConfirmed, f, "the final lint found it orphaned")
			out.Reconciled = append(out.Reconciled, Event{Kind: EventConfirmed, Finding: f, Provisional: true,
				Reason: "the final lint found it orphaned", At: e.cfg.Now()})
			continue
		}
		why := e.finalReason(res, p.f.Subject)
		e.settle(p, EventWithdrawn, p.f, why)
		out.Reconciled = append(out.Reconciled, Event{Kind: EventWithdrawn, Finding: p.f, Provisional: true, Reason: why, At: e.cfg.Now()})
	}
	e.finish(res, confirmed)
	return out, nil
}

// finalReason says why the final lint did not find the authorization at
// url orphaned.
func (e *Engine) finalReason(res *lint.Result, url string) string {
	z := res.Ledger.Authz(url)
	if z == nil {
		z = e.ledger.Authz(url)
	}
	if z != nil {
		if why := settledReason(z); why != "" {
			return why
		}
		if z.ExpiredUnused {
			return "it expired unused before the recording ended (expires " + z.Expires.UTC().Format(time.RFC3339) + ")"
		}
	}
	return "the final lint of the journal did not find it orphaned"
}

// finish reports the final findings not reported yet, counts them, and
// makes the snapshot final.
func (e *Engine) finish(res *lint.Result, confirmed map[string]bool) {
	now := e.cfg.Now()
	snap := Snapshot{Final: true, Exchanges: res.Exchanges, Findings: []Current{}}
	for _, f := range res.Findings {
		e.count(f)
		c := Current{Finding: f, State: StateFinal, Seen: now}
		if confirmed[f.Fingerprint] {
			c.State, c.Provisional, c.Reason = StateConfirmed, true, "the final lint found it orphaned"
		} else if !e.emitted[f.Fingerprint] {
			e.emitted[f.Fingerprint] = true
			e.emit(Event{Kind: EventFinding, Finding: f})
		}
		snap.Findings = append(snap.Findings, c)
	}
	e.mu.Lock()
	for _, c := range e.snap.Findings {
		if c.State == StateWithdrawn {
			snap.Findings = append(snap.Findings, c)
		}
	}
	for _, ee := range res.EngineErrors {
		snap.EngineErrors = append(snap.EngineErrors, ee.Error())
	}
	e.snap = snap
	e.mu.Unlock()
}
