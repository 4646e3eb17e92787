package telemetry_test

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/internal/journaltest"
	"github.com/acmeproxy/acmeproxy/journal"
	"github.com/acmeproxy/acmeproxy/telemetry"
)

// tally is what a recording holds, counted straight from the journal.
type tally struct {
	modes      map[string]int
	errors     int
	latencies  []float64
	operations map[string]int // "operation status" → count
}

// feedRecordings reads every example recording with journal's reader,
// passes each exchange through m.Recorded and, decoded one recording per
// Decoder as lint does, through m.Decoded, and tallies what the journals
// hold on the side.
func feedRecordings(t *testing.T, m *telemetry.Metrics) tally {
	t.Helper()
	paths, err := filepath.Glob("../examples/recordings/*.jsonl")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no recordings: %v", err)
	}
	want := tally{modes: map[string]int{}, operations: map[string]int{}}
	for _, path := range paths {
		d := decode.NewDecoder()
		journaltest.Each(t, path, func(x *journal.Exchange) {
			m.Recorded(x)
			msg := d.Decode(x)
			status := 0
			if msg.Response != nil {
				status = msg.Response.Status
			}
			m.Decoded(string(msg.Operation), status)

			want.modes[x.Mode]++
			if x.Error != "" {
				want.errors++
			}
			want.latencies = append(want.latencies, x.End.Sub(x.Start).Seconds())
			label := "error"
			if x.Response != nil { // from the journal, not the decoder
				label = strconv.Itoa(x.Response.Status)
			}
			want.operations[string(msg.Operation)+" "+label]++
		})
	}
	return want
}

func TestScrapeCountsRecordings(t *testing.T) {
	m := telemetry.NewMetrics()
	want := feedRecordings(t, m)
	fams := scrape(t, m)

	total := 0
	for mode, n := range want.modes {
		label := mode
		if mode == "" {
			label = "imported"
		}
		if got := counter(fams, "acmeproxy_recorded_exchanges_total", "mode", label); got != float64(n) {
			t.Errorf("recorded_exchanges_total{mode=%q} = %v, want %d", label, got, n)
		}
		total += n
	}
	if want.modes["mitm"] == 0 || want.modes["http"] == 0 {
		t.Fatalf("recordings lack mitm or http exchanges: %v", want.modes)
	}
	if got := counter(fams, "acmeproxy_upstream_errors_total"); got != float64(want.errors) || want.errors == 0 {
		t.Errorf("upstream_errors_total = %v, want %d (> 0)", got, want.errors)
	}

	h := series(fams, "acmeproxy_upstream_latency_seconds").GetHistogram()
	if h.GetSampleCount() != uint64(total) {
		t.Errorf("latency sample count = %d, want %d", h.GetSampleCount(), total)
	}
	var sum float64
	for _, l := range want.latencies {
		sum += l
	}
	if math.Abs(h.GetSampleSum()-sum) > 1e-6*math.Max(1, sum) {
		t.Errorf("latency sum = %v, want %v", h.GetSampleSum(), sum)
	}
	checkBuckets(t, h, want.latencies, 0.001, 30)

	var ops float64
	for key, n := range want.operations {
		op, status, _ := strings.Cut(key, " ")
		if got := counter(fams, "acmeproxy_exchanges_total", "operation", op, "status", status); got != float64(n) {
			t.Errorf("exchanges_total{operation=%q,status=%q} = %v, want %d", op, status, got, n)
		}
	}
	for _, s := range fams["acmeproxy_exchanges_total"].GetMetric() {
		ops += s.GetCounter().GetValue()
	}
	if ops != float64(total) {
		t.Errorf("exchanges_total sums to %v, want %d", ops, total)
	}
	if got := counter(fams, "acmeproxy_exchanges_total", "operation", "order.finalize", "status", "200"); got == 0 {
		t.Error(`no exchanges_total{operation="order.finalize",status="200"}: decoding did not reach the metrics`)
	}
}

// checkBuckets checks that every bucket of h counts the values at or
// below its bound, and that the buckets span lo to hi.
func checkBuckets(t *testing.T, h *dto.Histogram, values []float64, lo, hi float64) {
	t.Helper()
	bs := h.GetBucket()
	if n := len(bs); n > 0 && math.IsInf(bs[n-1].GetUpperBound(), 1) {
		bs = bs[:n-1] // the text format lists +Inf too
	}
	if len(bs) == 0 || bs[0].GetUpperBound() != lo || bs[len(bs)-1].GetUpperBound() != hi {
		t.Errorf("buckets %v do not run from %v to %v", bs, lo, hi)
	}
	for _, b := range bs {
		n := 0
		for _, v := range values {
			if v <= b.GetUpperBound() {
				n++
			}
		}
		if b.GetCumulativeCount() != uint64(n) {
			t.Errorf("bucket le=%v counts %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), n)
		}
	}
}

func TestRecordedLabelsAndEdgeCases(t *testing.T) {
	m := telemetry.NewMetrics()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m.Recorded(&journal.Exchange{Mode: "carrier-pigeon", Start: t0, End: t0.Add(2 * time.Second)})
	m.Recorded(&journal.Exchange{Mode: "mitm", Start: t0, End: t0.Add(-time.Second)}) // clock went back: no latency
	m.Recorded(&journal.Exchange{Mode: "http"})                                       // no times: no latency
	m.Recorded(nil)
	m.Decoded("", 0)
	m.Decoded("nonce", 1000)
	fams := scrape(t, m)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"acmeproxy_recorded_exchanges_total", []string{"mode", "other"}, 1},
		{"acmeproxy_recorded_exchanges_total", []string{"mode", "mitm"}, 1},
		{"acmeproxy_recorded_exchanges_total", []string{"mode", "http"}, 1},
		{"acmeproxy_recorded_exchanges_total", []string{"mode", "imported"}, 0},
		{"acmeproxy_exchanges_total", []string{"operation", "unknown", "status", "error"}, 1},
		{"acmeproxy_exchanges_total", []string{"operation", "nonce", "status", "invalid"}, 1},
	} {
		if s := series(fams, c.name, c.labels...); s == nil || s.GetCounter().GetValue() != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, s.GetCounter().GetValue(), c.want)
		}
	}
	h := series(fams, "acmeproxy_upstream_latency_seconds").GetHistogram()
	if h.GetSampleCount() != 1 || h.GetSampleSum() != 2 {
		t.Errorf("latency count %d sum %v, want 1 and 2", h.GetSampleCount(), h.GetSampleSum())
	}
}

func TestFindingsAndPendingAuthorizations(t *testing.T) {
	m := telemetry.NewMetrics()
	m.Finding("orphaned_pending_authz", "warning")
	m.Finding("orphaned_pending_authz", "warning")
	m.Finding("csr_signed_with_account_key", "error")
	m.PendingAuthorizations("acct-1a2b", 3)
	m.PendingAuthorizations("acct-3c4d", 2)
	m.PendingAuthorizations("acct-3c4d", 5)
	m.PendingAuthorizations("acct-5e6f", 1)
	m.PendingAuthorizations("acct-5e6f", 0) // none left: the series goes
	fams := scrape(t, m)
	if got := counter(fams, "acmeproxy_findings_total", "rule", "orphaned_pending_authz", "severity", "warning"); got != 2 {
		t.Errorf("findings_total{orphaned_pending_authz,warning} = %v, want 2", got)
	}
	if got := counter(fams, "acmeproxy_findings_total", "rule", "csr_signed_with_account_key", "severity", "error"); got != 1 {
		t.Errorf("findings_total{csr_signed_with_account_key,error} = %v, want 1", got)
	}
	want := map[string]float64{"acct-1a2b": 3, "acct-3c4d": 5}
	got := map[string]float64{}
	for _, s := range fams["acmeproxy_pending_authorizations"].GetMetric() {
		got[s.GetLabel()[0].GetValue()] = s.GetGauge().GetValue()
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("pending_authorizations = %v, want %v", got, want)
	}
}

// TestJournalSyncFromWriter wires a real journal's fsyncs into the
// histogram the way live mode does.
func TestJournalSyncFromWriter(t *testing.T) {
	m := telemetry.NewMetrics()
	path := filepath.Join(t.TempDir(), "j.jsonl")
	w, err := journal.Create(path, journal.Header{Tool: "acmeproxy test", Started: time.Now()}, journal.SyncBatch)
	if err != nil {
		t.Fatal(err)
	}
	w.ObserveSyncs(m.JournalSync)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			x := &journal.Exchange{Mode: "mitm", Start: time.Now(), End: time.Now(),
				Request: journal.Request{Method: "GET", URL: fmt.Sprintf("https://ca.example/%d", i)}}
			if err := w.Append(x); err != nil {
				t.Error(err)
			}
			m.Recorded(x)
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	h := series(scrape(t, m), "acmeproxy_journal_sync_seconds").GetHistogram()
	if h.GetSampleCount() != w.Syncs() || w.Syncs() == 0 {
		t.Errorf("journal_sync_seconds count = %d, writer ran %d fsyncs", h.GetSampleCount(), w.Syncs())
	}
	if d := time.Duration(h.GetSampleSum() * float64(time.Second)); d-w.SyncTime() > time.Microsecond || w.SyncTime()-d > time.Microsecond {
		t.Errorf("journal_sync_seconds sum = %v, writer spent %v", d, w.SyncTime())
	}
}

// TestExposition checks what operators rely on: the runtime and process
// collectors, HELP on every acmeproxy metric, and counter naming.
func TestExposition(t *testing.T) {
	m := telemetry.NewMetrics()
	m.Finding("r", "error")
	m.PendingAuthorizations("a", 1)
	m.Decoded("nonce", 200)
	m.Recorded(&journal.Exchange{Mode: "mitm"})
	m.JournalSync(time.Millisecond)
	fams := scrape(t, m)
	for _, name := range []string{"go_goroutines", "go_memstats_alloc_bytes", "process_cpu_seconds_total", "process_resident_memory_bytes"} {
		if fams[name] == nil {
			t.Errorf("%s missing from /metrics", name)
		}
	}
	want := map[string]dto.MetricType{
		telemetry.MetricRecordedExchanges:     dto.MetricType_COUNTER,
		telemetry.MetricUpstreamLatency:       dto.MetricType_HISTOGRAM,
		telemetry.MetricUpstreamErrors:        dto.MetricType_COUNTER,
		telemetry.MetricExchanges:             dto.MetricType_COUNTER,
		telemetry.MetricFindings:              dto.MetricType_COUNTER,
		telemetry.MetricPendingAuthorizations: dto.MetricType_GAUGE,
		telemetry.MetricJournalSync:           dto.MetricType_HISTOGRAM,
	}
	for name, typ := range want {
		f := fams[name]
		switch {
		case f == nil:
			t.Errorf("%s missing from /metrics", name)
		case f.GetType() != typ:
			t.Errorf("%s is a %v, want %v", name, f.GetType(), typ)
		case f.GetHelp() == "":
			t.Errorf("%s has no HELP", name)
		case (typ == dto.MetricType_COUNTER) != strings.HasSuffix(name, "_total"):
			t.Errorf("%s: counters and only counters end in _total", name)
		}
	}
}

func TestNilMetricsIsNoOp(t *testing.T) {
	var m *telemetry.Metrics
	m.Recorded(&journal.Exchange{Error: "x"})
	m.Decoded("nonce", 200)
	m.Finding("r", "error")
	m.PendingAuthorizations("a", 1)
	m.JournalSync(time.Second)
	if m.Registry() != nil {
		t.Error("nil Metrics has a registry")
	}
}
