package proxy_test

import (
	"fmt"
	"net/http"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/journal"
)

// BenchmarkRoundTrip measures ACME-sized POST round trips against a local
// TLS upstream: direct, through a bare goproxy MITM, through acmeproxy in
// each --sync mode and, when mitmdump is on PATH, through mitmdump, at
// concurrency 1 and 16 with keep-alive on and off.
//
// Each proxied case interleaves its round trips with the same number of
// direct ones, in slices, and reports x-direct: its throughput as a
// fraction of direct throughput measured alongside it. Interleaving keeps
// the ratio meaningful on a machine whose load changes from second to
// second; ns/op is the proxied round trip alone. cpu-ns/op is the CPU time
// the whole test process (client, proxy and upstream; plus mitmdump's own
// process) spent per round trip, and cpu-x-direct the direct CPU cost over
// the proxied one: on an otherwise idle machine the CPU-bound cases
// (keep-alive at concurrency 16) approach that ratio, and unlike wall time
// it barely moves when other processes compete for the cores.
//
//	go test ./proxy -run '^$' -bench RoundTrip -benchtime 2s
func BenchmarkRoundTrip(b *testing.B) {
	up := startBenchUpstream(b, "127.0.0.1")
	direct := benchTarget{roots: up.roots}
	targets := []struct {
		name  string
		start func(*testing.B) benchTarget
	}{
		{"direct", func(*testing.B) benchTarget { return direct }},
		{"goproxy", func(b *testing.B) benchTarget { return startBareGoproxy(b, up) }},
		{"acmeproxy-batch", func(b *testing.B) benchTarget { return startAcmeproxy(b, up, journal.SyncBatch) }},
		{"acmeproxy-always", func(b *testing.B) benchTarget { return startAcmeproxy(b, up, journal.SyncAlways) }},
		{"acmeproxy-none", func(b *testing.B) benchTarget { return startAcmeproxy(b, up, journal.SyncNone) }},
	}
	if _, err := exec.LookPath("mitmdump"); err == nil {
		targets = append(targets, struct {
			name  string
			start func(*testing.B) benchTarget
		}{"mitmdump", func(b *testing.B) benchTarget { return startMitmdump(b, up) }})
	}
	target := up.url + "/acme/new-order"
	for _, conc := range []int{1, 16} {
		for _, keepAlive := range []bool{true, false} {
			for _, tg := range targets {
				b.Run(fmt.Sprintf("c=%d/keepalive=%v/%s", conc, keepAlive, tg.name), func(b *testing.B) {
					var base *benchTarget
					if tg.name != "direct" {
						base = &direct
					}
					measure(b, tg.start(b), base, target, conc, keepAlive)
				})
			}
		}
	}
}

// benchSlices is how many alternating slices a measurement is cut into.
const benchSlices = 8

// measure runs b.N round trips through t with conc concurrent clients,
// interleaved with b.N direct ones through base when base is not nil, and
// reports wall and CPU time per round trip and their ratios to direct.
func measure(b *testing.B, t benchTarget, base *benchTarget, target string, conc int, keepAlive bool) {
	c := warmClient(b, t, target, conc, keepAlive)
	var dc *http.Client
	if base != nil {
		dc = warmClient(b, *base, target, conc, keepAlive)
	}
	b.ResetTimer()
	var appends0, syncs0 uint64
	var syncTime0 time.Duration
	if t.journal != nil {
		appends0, syncs0, syncTime0 = t.journal.Count(), t.journal.Syncs(), t.journal.SyncTime()
	}
	var own, direct cost
	for i := range benchSlices {
		k := b.N / benchSlices
		if i < b.N%benchSlices {
			k++
		}
		if dc != nil {
			direct.add(b, dc, target, k, conc, 0)
		}
		own.add(b, c, target, k, conc, t.pid)
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(own.wall.Nanoseconds())/n, "ns/op")
	if own.cpu > 0 {
		b.ReportMetric(float64(own.cpu.Nanoseconds())/n, "cpu-ns/op")
	}
	if t.journal != nil && t.journal.Mode() == journal.SyncBatch {
		if syncs := t.journal.Syncs() - syncs0; syncs > 0 {
			b.ReportMetric(float64(t.journal.Count()-appends0)/float64(syncs), "appends/fsync")
			busy := t.journal.SyncTime() - syncTime0
			b.ReportMetric(float64(busy.Microseconds())/float64(syncs), "µs/fsync")
			// The share of the proxied slices' wall time during which an
			// fsync was running: near 1, the disk sets the pace.
			b.ReportMetric(busy.Seconds()/own.wall.Seconds(), "fsync-busy")
		}
	}
	if dc != nil {
		b.ReportMetric(direct.wall.Seconds()/own.wall.Seconds(), "x-direct")
		if own.cpu > 0 {
			b.ReportMetric(direct.cpu.Seconds()/own.cpu.Seconds(), "cpu-x-direct")
		}
	}
}

// cost accumulates the wall and CPU time of bursts.
type cost struct{ wall, cpu time.Duration }

func (c *cost) add(b *testing.B, client *http.Client, target string, n, conc, pid int) {
	cpu0 := cpuUsed(pid)
	c.wall += burst(b, client, target, n, conc)
	c.cpu += cpuUsed(pid) - cpu0
}

// warmClient returns a client for t after a burst of round trips at the
// measured concurrency: leaves signed, connections open.
func warmClient(b *testing.B, t benchTarget, target string, conc int, keepAlive bool) *http.Client {
	c := t.client(keepAlive)
	b.Cleanup(c.CloseIdleConnections)
	burst(b, c, target, 2*conc, conc)
	return c
}

// burst runs n round trips on conc goroutines and returns the wall time.
func burst(b *testing.B, c *http.Client, target string, n, conc int) time.Duration {
	start := time.Now()
	var left atomic.Int64
	left.Store(int64(n))
	var wg sync.WaitGroup
	for range min(conc, n) {
		wg.Go(func() {
			for left.Add(-1) >= 0 {
				if err := roundTrip(c, target); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}
