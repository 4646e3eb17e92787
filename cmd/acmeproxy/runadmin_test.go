package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/internal/journaltest"
	"github.com/acmeproxy/acmeproxy/journal"
	"github.com/acmeproxy/acmeproxy/live"
	"github.com/acmeproxy/acmeproxy/telemetry"
)

// scrape reads /metrics with the Prometheus text parser.
func scrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/metrics", nil)
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// journalOperations decodes a journal and counts its exchanges by
// operation and status, as the metrics label them.
func journalOperations(t *testing.T, path string) map[[2]string]int {
	t.Helper()
	d := decode.NewDecoder()
	out := map[[2]string]int{}
	journaltest.Each(t, path, func(x *journal.Exchange) {
		m := d.Decode(x)
		status := "error"
		if m.Response != nil {
			status = strconv.Itoa(m.Response.Status)
		}
		out[[2]string{string(m.Operation), status}]++
	})
	return out
}

// TestWrapAdminMetrics scrapes /metrics while a wrapped client waits with
// an authorization pending: the exchange counters equal the journal's
// exchanges by operation and status, the account has one pending
// authorization, and /findings shows the likely orphan.
func TestWrapAdminMetrics(t *testing.T) {
	t.Parallel()
	p := startPebble(t)
	release := filepath.Join(t.TempDir(), "release")
	r := startRun(t, p, append([]string{"--admin", "127.0.0.1:0", "--orphan-after", "100ms", "--fail-on", "error"},
		client("abandon", p.DirectoryURL, release)...)...)
	r.waitStderr(t, "likely orphaned authorization (provisional)")
	waitForFile(t, release+".waiting") // the client is done until released
	addr := adminAddr(t, r)
	want := journalOperations(t, r.journal)
	total := 0
	for _, n := range want {
		total += n
	}
	waitFor(t, func() bool { return getFindings(t, addr).Exchanges == total }) // the engine caught up
	if snap := getFindings(t, addr); len(snap.Findings) != 1 || snap.Findings[0].Finding.Rule != live.OrphanRule {
		t.Errorf("/findings: %+v", snap.Findings)
	}
	fams := scrape(t, addr)
	got := map[[2]string]int{}
	for _, m := range fams[telemetry.MetricExchanges].GetMetric() {
		got[[2]string{label(m, "operation"), label(m, "status")}] = int(m.GetCounter().GetValue())
	}
	if len(want) < 4 || len(got) != len(want) {
		t.Errorf("exchanges by operation and status: /metrics %v, journal %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s{operation=%q,status=%q} = %d, journal has %d", telemetry.MetricExchanges, k[0], k[1], got[k], n)
		}
	}
	recorded := 0
	for _, m := range fams[telemetry.MetricRecordedExchanges].GetMetric() {
		recorded += int(m.GetCounter().GetValue())
	}
	if recorded != total {
		t.Errorf("%s sums to %d, journal has %d", telemetry.MetricRecordedExchanges, recorded, total)
	}
	if fam := fams[telemetry.MetricUpstreamLatency]; fam == nil || len(fam.GetMetric()) != 1 ||
		int(fam.GetMetric()[0].GetHistogram().GetSampleCount()) != total {
		t.Errorf("%s: want one histogram with %d samples, got %v", telemetry.MetricUpstreamLatency, total, fam)
	}
	if fam := fams[telemetry.MetricUpstreamErrors]; fam == nil || fam.GetMetric()[0].GetCounter().GetValue() != 0 {
		t.Errorf("%s: want 0, got %v", telemetry.MetricUpstreamErrors, fam)
	}
	// --sync=batch: every record waited for a sync, one sync serving one
	// record or more.
	if fam := fams[telemetry.MetricJournalSync]; fam == nil ||
		fam.GetMetric()[0].GetHistogram().GetSampleCount() < 1 ||
		int(fam.GetMetric()[0].GetHistogram().GetSampleCount()) > total {
		t.Errorf("%s: want between 1 and %d syncs, got %v", telemetry.MetricJournalSync, total, fam)
	}
	pending := fams[telemetry.MetricPendingAuthorizations].GetMetric()
	if len(pending) != 1 || pending[0].GetGauge().GetValue() != 1 {
		t.Errorf("%s = %v, want one account with 1", telemetry.MetricPendingAuthorizations, pending)
	}
	if err := os.WriteFile(release, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if code := r.wait(t); code != exitOK { // the orphan is a warning; --fail-on error
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, r.stderr)
	}
}

func waitForFile(t *testing.T, path string) {
	t.Helper()
	waitFor(t, func() bool { _, err := os.Stat(path); return err == nil })
}

// waitFor polls cond for up to 30s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 30s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
