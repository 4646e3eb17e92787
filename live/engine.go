package live

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/flow"
	"github.com/acmeproxy/acmeproxy/journal"
	"github.com/acmeproxy/acmeproxy/lint"
	"github.com/acmeproxy/acmeproxy/rules"
)

// OrphanRule is the id of the built-in rule whose findings live mode
// anticipates with provisional "likely orphaned" findings.
const OrphanRule = "orphaned_pending_authorization"

// DefaultQueue is Config.Queue when zero.
const DefaultQueue = 4096

// maxHeld bounds the exchanges held back waiting for a missing sequence
// number; past it the engine stops waiting and goes on with the next one
// it has.
const maxHeld = 1024

// Observer receives what the engine learns, for metrics. The telemetry
// package's *telemetry.Metrics satisfies it. Its methods are called from
// the engine's goroutine, one at a time.
type Observer interface {
	// Decoded is called once per exchange decoded: its operation and the
	// response status (0 when there was none).
	Decoded(operation string, status int)
	// Finding is called once per unsuppressed finding the moment it is
	// final: exchange findings at once, flow findings at Close.
	// Provisional findings are not counted.
	Finding(rule, severity string)
	// PendingAuthorizations is called with the number of an account's
	// authorizations still pending (not triggered, deactivated or final)
	// after each exchange of the account.
	PendingAuthorizations(account string, n int)
}

// Config configures an Engine.
type Config struct {
	// Set is the rule set; required.
	Set *rules.Set
	// Journal is the path of the journal being written: the source name
	// of every evidence ref, and what Close lints. Required.
	Journal string
	// Upstream is the directory URL the journal's header names.
	Upstream string
	// CA judges the traffic as if it came from this CA (lint --ca).
	CA string
	// OrphanAfter is how long an authorization may stay pending with no
	// trigger before it is reported as likely orphaned; zero disables
	// provisional findings.
	OrphanAfter time.Duration
	// CheckEvery is how often pending authorizations are looked at
	// between exchanges; OrphanAfter/4, clamped to [10ms, 5s], when zero.
	CheckEvery time.Duration
	// Now is the clock; time.Now when nil. Provisional findings compare
	// it with the exchanges' recorded times.
	Now func() time.Time
	// OnEvent receives every event, on the engine's goroutine, in order.
	// It should return quickly.
	OnEvent func(Event)
	// OnDecoded, when set, is called on the engine's goroutine with each
	// exchange as decoded, before its rules run (for logging).
	OnDecoded func(Decoded)
	// Observer, when set, receives metrics.
	Observer Observer
	// Queue is how many exchanges may wait to be decoded before Observe
	// blocks; DefaultQueue when zero.
	Queue int
	// Lint is the options of the final lint (Set is taken from above).
	Lint lint.Options
}

// EventKind says what an Event reports.
type EventKind string

// The kinds of events.
const (
	// EventFinding: a finding that is final as soon as it is made (the
	// exchange rules), or one of the final lint's at Close.
	EventFinding EventKind = "finding"
	// EventLikely: a provisional finding (a likely orphan).
	EventLikely EventKind = "likely"
	// EventWithdrawn: a provisional finding that turned out wrong; Reason
	// says why.
	EventWithdrawn EventKind = "withdrawn"
	// EventConfirmed: a provisional finding the final lint made too;
	// Finding is the final one.
	EventConfirmed EventKind = "confirmed"
	// EventEngineError: a rule failed to evaluate; Err says how.
	EventEngineError EventKind = "engine_error"
)

// Event is something the engine found out.
type Event struct {
	Kind    EventKind
	Finding rules.Finding
	// Provisional is set on EventLikely and on the withdrawal or
	// confirmation of a provisional finding.
	Provisional bool
	// Reason explains a withdrawal or confirmation.
	Reason string
	// Err is the failure of an EventEngineError.
	Err *rules.EngineError
	// At is the engine's clock when the event happened.
	At time.Time
}

// Decoded is what OnDecoded tells about an exchange.
type Decoded struct {
	Seq       uint64
	Method    string
	URL       string
	Operation string
	// Status is the response's status, 0 when upstream gave none (Error
	// then says why).
	Status   int
	Error    string
	Duration time.Duration
}

// Engine lints exchanges as they are recorded. Observe and Skip are safe
// for concurrent use (the proxy calls its sink from many goroutines);
// everything else happens on one goroutine of the engine's, in journal
// sequence order.
type Engine struct {
	cfg  Config
	in   chan item
	stop chan struct{}
	done chan struct{}
	once sync.Once

	mu   sync.Mutex // guards snap
	snap Snapshot

	// Used only on the engine's goroutine (and by Close after it ended).
	ledger   *flow.Ledger
	dec      *decode.Decoder
	next     uint64
	held     map[uint64]*journal.Exchange
	skipped  map[uint64]bool
	last     time.Time
	orphans  bool
	prov     []*provisional
	byURL    map[string]*provisional
	declined map[string]bool // authorizations the orphan rule did not fire on
	counted  map[string]bool // fingerprints given to Observer.Finding
	emitted  map[string]bool // fingerprints of EventFinding events sent
}

// item is one exchange to observe, or a sequence number that will never
// come (Skip).
type item struct {
	x    *journal.Exchange
	skip uint64
}

// provisional is a likely orphan.
type provisional struct {
	f      rules.Finding
	at     time.Time
	closed bool // withdrawn
	idx    int  // in snap.Findings
}

// New starts an engine. Stop it with Close.
func New(cfg Config) (*Engine, error) {
	if cfg.Set == nil {
		return nil, errors.New("live: Config.Set is nil")
	}
	if cfg.Journal == "" {
		return nil, errors.New("live: Config.Journal is empty")
	}
	if cfg.OrphanAfter < 0 {
		return nil, fmt.Errorf("live: negative OrphanAfter %v", cfg.OrphanAfter)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Queue <= 0 {
		cfg.Queue = DefaultQueue
	}
	if cfg.CheckEvery <= 0 {
		cfg.CheckEvery = min(max(cfg.OrphanAfter/4, 10*time.Millisecond), 5*time.Second)
	}
	e := &Engine{
		cfg: cfg, in: make(chan item, cfg.Queue), stop: make(chan struct{}), done: make(chan struct{}),
		ledger: flow.New(), dec: decode.NewDecoder(), next: 1,
		held: map[uint64]*journal.Exchange{}, skipped: map[uint64]bool{},
		byURL: map[string]*provisional{}, declined: map[string]bool{},
		counted: map[string]bool{}, emitted: map[string]bool{},
	}
	if en, ok := cfg.Set.Lookup(OrphanRule); ok && en.Enabled && cfg.OrphanAfter > 0 {
		e.orphans = true
	}
	e.snap.Findings = []Current{}
	go e.loop()
	return e, nil
}

// Observe queues an exchange the journal has just made durable (its Seq
// set). It copies what it needs, so the caller may reuse x's byte slices
// once it returns. When the queue is full Observe blocks until the engine
// catches up: backpressure on the proxy rather than a live view that
// silently diverges from the journal. Decoding takes well under a
// millisecond per exchange, so with the default queue of 4096 only a
// burst of thousands of exchanges within a few seconds would feel it.
// Exchanges given after Close began are dropped (the final lint reads
// them from the journal all the same).
func (e *Engine) Observe(x *journal.Exchange) {
	c := cloneExchange(x)
	select {
	case <-e.stop:
	case e.in <- item{x: c}:
	}
}

// Skip says that sequence number seq was used by an exchange that will
// not be observed (its journal append failed after taking the number),
// so that the engine does not wait for it.
func (e *Engine) Skip(seq uint64) {
	select {
	case <-e.stop:
	case e.in <- item{skip: seq}:
	}
}

// cloneExchange copies x deeply enough that nothing it shares with the
// proxy's buffers survives, and points Line at its journal line (the
// header is line 1).
func cloneExchange(x *journal.Exchange) *journal.Exchange {
	c := *x
	c.Request.Headers = slices.Clone(x.Request.Headers)
	c.Request.Body.Data = bytes.Clone(x.Request.Body.Data)
	if x.Response != nil {
		r := *x.Response
		r.Headers = slices.Clone(x.Response.Headers)
		r.Body.Data = bytes.Clone(x.Response.Body.Data)
		c.Response = &r
	}
	if c.Line == 0 {
		c.Line = int(c.Seq) + 1
	}
	return &c
}

func (e *Engine) loop() {
	defer close(e.done)
	var tick <-chan time.Time
	if e.orphans {
		t := time.NewTicker(e.cfg.CheckEvery)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case it := <-e.in:
			e.take(it)
		case <-tick:
			e.checkOrphans(e.ledger.Accounts())
		case <-e.stop:
			for {
				select {
				case it := <-e.in:
					e.take(it)
					continue
				default:
				}
				break
			}
			e.flushHeld()
			return
		}
	}
}

// take puts an item in sequence order and observes every exchange that
// is next.
func (e *Engine) take(it item) {
	switch {
	case it.x == nil:
		e.skipped[it.skip] = true
	case it.x.Seq < e.next:
		e.process(it.x) // late: the engine stopped waiting for it (flushHeld)
		return
	default:
		e.held[it.x.Seq] = it.x
	}
	e.advance()
	if len(e.held) > maxHeld {
		e.flushHeld()
	}
}

func (e *Engine) advance() {
	for {
		if x, ok := e.held[e.next]; ok {
			delete(e.held, e.next)
			e.next++
			e.process(x)
			continue
		}
		if e.skipped[e.next] {
			delete(e.skipped, e.next)
			e.next++
			continue
		}
		return
	}
}

// flushHeld stops waiting for missing sequence numbers: it observes every
// exchange held, in sequence order.
func (e *Engine) flushHeld() {
	seqs := make([]uint64, 0, len(e.held))
	for s := range e.held {
		seqs = append(seqs, s)
	}
	slices.Sort(seqs)
	for _, s := range seqs {
		x := e.held[s]
		delete(e.held, s)
		e.process(x)
		e.next = s + 1
	}
	clear(e.skipped)
}

// process decodes and observes one exchange, evaluates the exchange
// rules on it and looks at what it changed.
func (e *Engine) process(x *journal.Exchange) {
	m := e.dec.Decode(x)
	fx := e.ledger.Observe(e.cfg.Journal, m)
	if e.cfg.Upstream != "" && fx.Session.Upstream == "" {
		fx.Session.Upstream = e.cfg.Upstream
	}
	if m.End.After(e.last) {
		e.last = m.End
	}
	status := 0
	if m.Response != nil {
		status = m.Response.Status
	}
	if e.cfg.OnDecoded != nil {
		e.cfg.OnDecoded(Decoded{Seq: m.Seq, Method: m.Method, URL: m.URL, Operation: string(m.Operation),
			Status: status, Error: m.Error, Duration: m.End.Sub(m.Start)})
	}
	if o := e.cfg.Observer; o != nil {
		o.Decoded(string(m.Operation), status)
	}
	fs, errs := e.cfg.Set.Evaluate(context.Background(), e.context(), rules.Subjects{rules.KindExchange: {fx}})
	for _, f := range fs {
		if f.Kind == rules.KindConfig {
			continue // configuration findings are the final lint's
		}
		e.final(f)
	}
	e.engineErrors(errs)
	e.withdrawSettled()
	if a := fx.Account; a != nil {
		e.checkOrphans([]*flow.Account{a})
	}
	e.mu.Lock()
	e.snap.Exchanges++ // last: the count says what is fully looked at
	e.mu.Unlock()
}

// context is the evaluation context: the recording's own time (its
// latest exchange end), as lint judges it, and the CA.
func (e *Engine) context() rules.EvalContext {
	ec := rules.EvalContext{Now: e.last, CA: e.cfg.CA, LintTime: e.cfg.Now()}
	if !e.cfg.Lint.AsOf.IsZero() {
		ec.Now = e.cfg.Lint.AsOf
	}
	if ec.CA == "" {
		for _, s := range e.ledger.Sessions() {
			if s.CA != "" {
				ec.CA = s.CA
				break
			}
		}
	}
	return ec
}

// final reports a finding that no later exchange can take back.
func (e *Engine) final(f rules.Finding) {
	e.count(f)
	e.emitted[f.Fingerprint] = true
	e.add(Current{Finding: f, State: StateFinal, Seen: e.cfg.Now()})
	e.emit(Event{Kind: EventFinding, Finding: f})
}

func (e *Engine) count(f rules.Finding) {
	if f.Suppressed() || e.counted[f.Fingerprint] {
		return
	}
	e.counted[f.Fingerprint] = true
	if o := e.cfg.Observer; o != nil {
		o.Finding(f.Rule, f.Severity.String())
	}
}

func (e *Engine) engineErrors(errs []rules.EngineError) {
	for i := range errs {
		e.mu.Lock()
		e.snap.EngineErrors = append(e.snap.EngineErrors, errs[i].Error())
		e.mu.Unlock()
		e.emit(Event{Kind: EventEngineError, Err: &errs[i]})
	}
}

func (e *Engine) emit(ev Event) {
	if ev.At.IsZero() {
		ev.At = e.cfg.Now()
	}
	if e.cfg.OnEvent != nil {
		e.cfg.OnEvent(ev)
	}
}

// add appends to the snapshot and returns the index.
func (e *Engine) add(c Current) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.snap.Findings = append(e.snap.Findings, c)
	return len(e.snap.Findings) - 1
}

var errClosed = errors.New("live: engine already closed")
