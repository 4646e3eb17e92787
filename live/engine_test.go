package live_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/internal/journaltest"
	"github.com/acmeproxy/acmeproxy/journal"
	"github.com/acmeproxy/acmeproxy/live"
	"github.com/acmeproxy/acmeproxy/rules"
	"github.com/acmeproxy/acmeproxy/rules/builtin"
)

func builtinSet(t *testing.T) *rules.Set {
	t.Helper()
	set, err := rules.Build(nil, rules.Options{Schema: builtin.Schema(), Builtin: builtin.FS()})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// events collects an engine's events; safe for concurrent use.
type events struct {
	mu  sync.Mutex
	all []live.Event
}

func (ev *events) add(e live.Event) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	ev.all = append(ev.all, e)
}

func (ev *events) of(kind live.EventKind) []live.Event {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	var out []live.Event
	for _, e := range ev.all {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// findingKey identifies a finding with what it says and cites.
func findingKey(f rules.Finding) string {
	return fmt.Sprintf("%s|%s|%s|%v", f.Fingerprint, f.Severity, f.Message, f.Evidence)
}

// TestExchangeFindingsMatchLint feeds every recording through the engine,
// with the exchanges handed over out of order from several goroutines as
// the proxy's sink does, and checks that the exchange findings made live
// are exactly those the final lint makes.
func TestExchangeFindingsMatchLint(t *testing.T) {
	paths, err := filepath.Glob("../examples/recordings/*.jsonl")
	if err != nil || len(paths) < 10 {
		t.Fatalf("recordings: %v, %d", err, len(paths))
	}
	set := builtinSet(t)
	total := 0
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			var ev events
			e, err := live.New(live.Config{Set: set, Journal: path, OnEvent: ev.add})
			if err != nil {
				t.Fatal(err)
			}
			xs := journaltest.ReadAll(t, path)
			var wg sync.WaitGroup
			for w := range 4 {
				wg.Go(func() {
					for i := len(xs) - 1 - w; i >= 0; i -= 4 { // backwards: the worst order
						e.Observe(xs[i])
					}
				})
			}
			wg.Wait()
			res, err := e.Close(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var want, got []string
			for _, f := range res.Lint.Findings {
				if f.Kind == rules.KindExchange {
					want = append(want, findingKey(f))
				}
			}
			for _, x := range ev.of(live.EventFinding) {
				if x.Finding.Kind == rules.KindExchange {
					got = append(got, findingKey(x.Finding))
				}
			}
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("live exchange findings differ from lint's:\nlive: %q\nlint: %q", got, want)
			}
			if snap := e.Snapshot(); !snap.Final || snap.Exchanges != len(xs) || len(snap.Findings) != len(res.Lint.Findings) {
				t.Errorf("final snapshot: final %v, %d exchanges (want %d), %d findings (want %d)",
					snap.Final, snap.Exchanges, len(xs), len(snap.Findings), len(res.Lint.Findings))
			}
			totalMu.Lock()
			total += len(want)
			totalMu.Unlock()
		})
	}
	t.Cleanup(func() {
		if total == 0 {
			t.Error("no recording has an exchange finding: the comparison proves nothing")
		}
	})
}

// totalMu guards TestExchangeFindingsMatchLint's total across its
// parallel subtests.
var totalMu sync.Mutex

// clockAt returns a settable clock.
func clockAt(t0 time.Time) (func() time.Time, func(time.Time)) {
	var at atomic.Pointer[time.Time]
	at.Store(&t0)
	return func() time.Time { return *at.Load() }, func(t time.Time) { at.Store(&t) }
}

// feed observes xs one by one, setting the clock to each exchange's end
// plus skew first, and waits until the engine saw them all.
func feed(t *testing.T, e *live.Engine, xs []*journal.Exchange, set func(time.Time), skew time.Duration) {
	t.Helper()
	for i, x := range xs {
		set(x.End.Add(skew))
		e.Observe(x)
		waitFor(t, func() bool { return e.Snapshot().Exchanges == i+1 })
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestOrphanConfirmed: the client of v2-order-abandoned creates an order
// and stops. Ten minutes later by the clock each of its authorizations is
// a likely orphan, and the final lint confirms both.
func TestOrphanConfirmed(t *testing.T) {
	path := "../examples/recordings/v2-order-abandoned.jsonl"
	xs := journaltest.ReadAll(t, path)
	now, set := clockAt(xs[0].Start)
	var ev events
	e, err := live.New(live.Config{Set: builtinSet(t), Journal: path, OrphanAfter: time.Minute, Now: now, OnEvent: ev.add})
	if err != nil {
		t.Fatal(err)
	}
	feed(t, e, xs, set, 10*time.Minute)
	likely := ev.of(live.EventLikely)
	if len(likely) != 2 {
		t.Fatalf("%d likely orphans while running, want 2: %+v", len(likely), ev.all)
	}
	for _, l := range likely {
		if l.Finding.Rule != live.OrphanRule || !l.Provisional || !strings.Contains(l.Finding.Message, "Likely orphaned") {
			t.Errorf("likely orphan %+v", l)
		}
	}
	snap := e.Snapshot()
	if snap.Final || len(snap.Findings) < 2 || snap.Findings[len(snap.Findings)-1].State != live.StateOpen {
		t.Errorf("snapshot while running: %+v", snap)
	}
	res, err := e.Close(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Reconciled) != 2 {
		t.Fatalf("reconciled %+v", res.Reconciled)
	}
	for i, r := range res.Reconciled {
		if r.Kind != live.EventConfirmed || r.Finding.Subject != likely[i].Finding.Subject || r.Finding.Fingerprint != likely[i].Finding.Fingerprint {
			t.Errorf("reconciled[%d] = %s %s, want confirmed %s", i, r.Kind, r.Finding.Subject, likely[i].Finding.Subject)
		}
	}
	confirmed := 0
	for _, c := range e.Snapshot().Findings {
		if c.State == live.StateConfirmed {
			confirmed++
		}
	}
	if confirmed != 2 {
		t.Errorf("final snapshot has %d confirmed findings, want 2", confirmed)
	}
}

// TestOrphanWithdrawnByTrigger: in v2-happy the clock runs ten minutes
// ahead, so the authorizations (two names) are likely orphans as soon as the order
// lists them; the trigger that follows withdraws each at once, naming the
// exchange, and nothing is left to reconcile.
func TestOrphanWithdrawnByTrigger(t *testing.T) {
	path := "../examples/recordings/v2-happy.jsonl"
	xs := journaltest.ReadAll(t, path)
	now, set := clockAt(xs[0].Start)
	var ev events
	e, err := live.New(live.Config{Set: builtinSet(t), Journal: path, OrphanAfter: time.Minute, Now: now, OnEvent: ev.add})
	if err != nil {
		t.Fatal(err)
	}
	trigger := -1
	for i, x := range xs {
		set(x.End.Add(10 * time.Minute))
		e.Observe(x)
		waitFor(t, func() bool { return e.Snapshot().Exchanges == i+1 })
		if len(ev.of(live.EventWithdrawn)) > 0 && trigger < 0 {
			trigger = i
		}
	}
	if n := len(ev.of(live.EventLikely)); n != 2 || len(ev.of(live.EventWithdrawn)) != n || trigger < 0 {
		t.Fatalf("want two likely orphans (two names) then their withdrawal; events %+v", ev.all)
	}
	for _, l := range ev.of(live.EventLikely) {
		if strings.Contains(l.Finding.Message, "not seen") {
			t.Errorf("likely orphan does not name its candidates: %q", l.Finding.Message)
		}
	}
	w := ev.of(live.EventWithdrawn)[0]
	if !strings.Contains(w.Reason, "triggered") || !strings.Contains(w.Reason, fmt.Sprintf(":%d)", trigger+2)) {
		t.Errorf("withdrawal reason %q, want the trigger at line %d", w.Reason, trigger+2)
	}
	res, err := e.Close(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Reconciled) != 0 {
		t.Errorf("reconciled %+v, want nothing left open", res.Reconciled)
	}
	for _, f := range res.Lint.Findings {
		if f.Rule == live.OrphanRule {
			t.Errorf("final lint found an orphan in v2-happy: %+v", f)
		}
	}
}

// TestOrphanNotYet: before OrphanAfter has passed nothing is raised, and
// with OrphanAfter zero nothing ever is.
func TestOrphanNotYet(t *testing.T) {
	path := "../examples/recordings/v2-order-abandoned.jsonl"
	xs := journaltest.ReadAll(t, path)
	for _, after := range []time.Duration{time.Hour / 2, 0} {
		now, set := clockAt(xs[0].Start)
		var ev events
		e, err := live.New(live.Config{Set: builtinSet(t), Journal: path, OrphanAfter: after, Now: now, OnEvent: ev.add})
		if err != nil {
			t.Fatal(err)
		}
		feed(t, e, xs, set, time.Minute)
		if n := len(ev.of(live.EventLikely)); n != 0 {
			t.Errorf("OrphanAfter %v: %d likely orphans a minute in", after, n)
		}
		if _, err := e.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Close(context.Background()); err == nil {
			t.Error("a second Close succeeded")
		}
	}
}

// TestObserveDoesNotRetain: the proxy reuses its buffers once the sink
// returns; the engine must decode what the exchange held when observed.
func TestObserveDoesNotRetain(t *testing.T) {
	path := "../examples/recordings/v2-happy.jsonl"
	xs := journaltest.ReadAll(t, path)
	var ev events
	e, err := live.New(live.Config{Set: builtinSet(t), Journal: path, OnEvent: ev.add})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range xs {
		e.Observe(x)
		for _, b := range [][]byte{x.Request.Body.Data, responseData(x)} {
			for i := range b {
				b[i] = 'Z'
			}
		}
	}
	if _, err := e.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(ev.of(live.EventEngineError)); n != 0 {
		t.Errorf("%d engine errors", n)
	}
	// The live view saw the real traffic: its exchange findings match the
	// lint's (none in v2-happy), not those of 'Z'-filled bodies.
	for _, x := range ev.of(live.EventFinding) {
		if x.Finding.Kind == rules.KindExchange {
			t.Errorf("exchange finding from overwritten buffers: %s %s", x.Finding.Rule, x.Finding.Message)
		}
	}
}

func responseData(x *journal.Exchange) []byte {
	if x.Response == nil {
		return nil
	}
	return x.Response.Body.Data
}

// counter is an Observer that counts what it is told.
type counter struct {
	mu       sync.Mutex
	decoded  map[string]int
	findings map[string]int
	pending  map[string]int
}

func (c *counter) Decoded(op string, status int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.decoded[fmt.Sprintf("%s %d", op, status)]++
}

func (c *counter) Finding(rule, severity string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.findings[rule+" "+severity]++
}

func (c *counter) PendingAuthorizations(account string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pending[account] = n
}

// TestObserver: every exchange is reported decoded once, every final
// unsuppressed finding once (provisional ones are not counted), and the
// pending count of the account that abandoned its order ends at two.
func TestObserver(t *testing.T) {
	path := "../examples/recordings/v2-order-abandoned.jsonl"
	xs := journaltest.ReadAll(t, path)
	now, set := clockAt(xs[0].Start)
	c := &counter{decoded: map[string]int{}, findings: map[string]int{}, pending: map[string]int{}}
	e, err := live.New(live.Config{Set: builtinSet(t), Journal: path, OrphanAfter: time.Minute, Now: now, Observer: c})
	if err != nil {
		t.Fatal(err)
	}
	feed(t, e, xs, set, 10*time.Minute)
	c.mu.Lock()
	if c.findings[live.OrphanRule+" warning"] != 0 {
		t.Errorf("provisional findings counted: %v", c.findings)
	}
	c.mu.Unlock()
	res, err := e.Close(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	decoded := 0
	for _, n := range c.decoded {
		decoded += n
	}
	if decoded != len(xs) {
		t.Errorf("Decoded called %d times for %d exchanges", decoded, len(xs))
	}
	want := map[string]int{}
	for _, f := range res.Lint.Findings {
		if !f.Suppressed() {
			want[f.Rule+" "+f.Severity.String()]++
		}
	}
	if fmt.Sprint(c.findings) != fmt.Sprint(want) || c.findings[live.OrphanRule+" warning"] != 2 {
		t.Errorf("Finding counts %v, final lint %v", c.findings, want)
	}
	if len(c.pending) != 1 {
		t.Fatalf("pending counts %v, want one account", c.pending)
	}
	for _, n := range c.pending {
		if n != 2 {
			t.Errorf("pending authorizations %d, want 2", n)
		}
	}
}

// TestSkip: a sequence number whose append failed (Skip) does not hold
// back the exchanges after it.
func TestSkip(t *testing.T) {
	path := "../examples/recordings/v2-happy.jsonl"
	xs := journaltest.ReadAll(t, path)
	e, err := live.New(live.Config{Set: builtinSet(t), Journal: path})
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range xs {
		if i == 2 {
			e.Skip(x.Seq)
			continue
		}
		e.Observe(x)
	}
	waitFor(t, func() bool { return e.Snapshot().Exchanges == len(xs)-1 })
	if _, err := e.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}
