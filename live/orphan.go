package live

import (
	"context"
	"fmt"
	"time"

	"github.com/acmeproxy/acmeproxy/flow"
	"github.com/acmeproxy/acmeproxy/rules"
)

// settledReason says why z is no longer a likely orphan, or "" if it
// still is.
func settledReason(z *flow.Authz) string {
	if ev := z.First(flow.EventTriggered); ev != nil {
		return "a challenge was triggered (" + ev.Ref.String() + ")"
	}
	if ev := z.First(flow.EventDeactivated); ev != nil {
		return "the client deactivated it (" + ev.Ref.String() + ")"
	}
	if z.Status.Final() {
		return "a response showed it " + string(z.Status)
	}
	return ""
}

// checkOrphans looks at the pending authorizations of accounts: it
// reports each account's pending count and raises a provisional finding
// for every authorization pending for OrphanAfter or longer.
func (e *Engine) checkOrphans(accounts []*flow.Account) {
	now := e.cfg.Now()
	for _, a := range accounts {
		pending := 0
		for _, z := range a.Authzs {
			if !z.Untouched() {
				continue
			}
			pending++
			if !e.orphans || e.byURL[z.URL] != nil || e.declined[z.URL] {
				continue
			}
			if now.Sub(z.FirstSeen) < e.cfg.OrphanAfter {
				continue
			}
			e.raise(z, now)
		}
		if o := e.cfg.Observer; o != nil {
			o.PendingAuthorizations(a.Thumbprint, pending)
		}
	}
}

// raise evaluates the orphan rule on z as the end of the recording would
// judge it now (flow.Authz.JudgedAt), so that the provisional finding has
// the rule's own severity, message, evidence, suppressions and
// fingerprint. One that expired unused is left to the final lint.
func (e *Engine) raise(z *flow.Authz, now time.Time) {
	judged := z.JudgedAt(now)
	if !judged.Orphaned {
		return
	}
	fs, errs := e.cfg.Set.Evaluate(context.Background(), e.context(), rules.Subjects{rules.KindAuthorization: {judged}})
	e.engineErrors(errs)
	var f *rules.Finding
	for i := range fs {
		if fs[i].Rule == OrphanRule {
			f = &fs[i]
		}
	}
	if f == nil || f.Suppressed() {
		e.declined[z.URL] = true // not applicable here, or accepted
		return
	}
	f.Message = fmt.Sprintf("Likely orphaned (provisional): pending for %s with no trigger. %s",
		now.Sub(z.FirstSeen).Round(time.Second), f.Message)
	p := &provisional{f: *f, at: now}
	p.idx = e.add(Current{Finding: p.f, Provisional: true, State: StateOpen, Seen: now})
	e.prov = append(e.prov, p)
	e.byURL[z.URL] = p
	e.emit(Event{Kind: EventLikely, Finding: p.f, Provisional: true, At: now})
}

// withdrawSettled withdraws every open provisional finding whose
// authorization was triggered, deactivated or shown final since.
func (e *Engine) withdrawSettled() {
	for _, p := range e.prov {
		if p.closed {
			continue
		}
		z := e.ledger.Authz(p.f.Subject)
		if z == nil {
			continue
		}
		if why := settledReason(z); why != "" {
			e.settle(p, EventWithdrawn, p.f, why)
		}
	}
}

// settle closes p as withdrawn or confirmed (with f, the final finding).
func (e *Engine) settle(p *provisional, kind EventKind, f rules.Finding, why string) {
	p.closed = true
	state := StateWithdrawn
	if kind == EventConfirmed {
		state = StateConfirmed
	}
	e.mu.Lock()
	c := &e.snap.Findings[p.idx]
	c.State, c.Reason = state, why
	if kind == EventConfirmed {
		c.Finding = f
	}
	e.mu.Unlock()
	e.emit(Event{Kind: kind, Finding: f, Provisional: true, Reason: why})
}
