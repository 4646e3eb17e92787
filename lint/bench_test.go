package lint_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/internal/bigjournal"
	"github.com/acmeproxy/acmeproxy/journal"
	"github.com/acmeproxy/acmeproxy/lint"
	"github.com/acmeproxy/acmeproxy/reports"
	"github.com/acmeproxy/acmeproxy/rules"
	"github.com/acmeproxy/acmeproxy/rules/builtin"
)

// bigJournal returns a journal of at least n exchanges of the realistic
// mix (bigjournal.DefaultMix), generated once and cached under
// $TMPDIR/acmeproxy-bigjournal: a million exchanges take about 2.3 GB
// and a few minutes to make.
func bigJournal(b *testing.B, n int) (string, bigjournal.Stats) {
	b.Helper()
	dir := filepath.Join(os.TempDir(), "acmeproxy-bigjournal")
	path, st, err := bigjournal.Cached(context.Background(), dir,
		bigjournal.Config{Dir: filepath.Join("..", "examples", "recordings"), Exchanges: n})
	if err != nil {
		b.Fatal(err)
	}
	return path, st
}

// recommendedSet is what acmeproxy lint runs without a configuration.
func recommendedSet(b *testing.B) *rules.Set {
	b.Helper()
	set, err := rules.Build(nil, rules.Options{Schema: builtin.Schema(), Builtin: builtin.FS()})
	if err != nil {
		b.Fatal(err)
	}
	return set
}

// BenchmarkLint is lint's throughput and memory on journals of the
// realistic mix, with the built-in pack: lint.Run and the report built
// from its result (Result.Report, the structure every format renders),
// as acmeproxy lint does. Besides time per exchange it reports
//
//   - exchanges/s, and the time per exchange of lint.Run and of the
//     report apart (run-ns/exchange, report-ns/exchange);
//   - cpu-ns/exchange: the process's CPU time (user and system, every
//     goroutine: reading ahead, the garbage collector) per exchange;
//   - floor-ns/exchange: verifying the mix's signatures alone (one per
//     POST; see verifyFloor, on one goroutine), measured in the same run,
//     x-floor, the ratio of the lint's time to it, and cpu-x-floor, the
//     ratio of the lint's CPU time to it (lint verifies on GOMAXPROCS
//     goroutines, so its wall time can gain from a second core where
//     the floor does not);
//   - peak-RSS-MiB: the process's peak resident set during the lint
//     (VmHWM, reset before it through /proc/self/clear_refs; on systems
//     without it, getrusage's lifetime maximum), and run-peak-RSS-MiB
//     the same up to the end of lint.Run, before the report;
//   - peak-heap-MiB: the most heap in live and unswept objects sampled
//     every 1,024 exchanges (runtime/metrics), and run-peak-heap-MiB the
//     same up to the end of lint.Run;
//   - allocs/exchange and B/exchange.
//
// The 1M case takes minutes: run it alone with -benchtime=1x.
func BenchmarkLint(b *testing.B) {
	for _, tc := range []struct {
		name string
		n    int
	}{{"100k", 100_000}, {"1M", 1_000_000}} {
		b.Run(tc.name, func(b *testing.B) {
			path, st := bigJournal(b, tc.n)
			set := recommendedSet(b)
			runtime.GC()
			debug.FreeOSMemory()
			resetPeakRSS()
			var peakHeap uint64
			sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
			progress := func(int64, int64, int) {
				metrics.Read(sample)
				peakHeap = max(peakHeap, sample[0].Value.Uint64())
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			var findings, exchanges int
			var runTime, reportTime time.Duration
			var runRSS, runHeap uint64
			cpu0 := cpuTime()
			b.ResetTimer()
			for b.Loop() {
				start := time.Now()
				res, err := lint.Run(b.Context(), []string{path}, lint.Options{Set: set, Progress: progress,
					LintTime: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)})
				if err != nil {
					b.Fatal(err)
				}
				if len(res.EngineErrors) > 0 {
					b.Fatalf("engine errors: %v", res.EngineErrors[0])
				}
				progress(0, 0, 0)
				runRSS, runHeap = peakRSS(), peakHeap
				mid := time.Now()
				rep, err := res.Report(lint.ReportOptions{Tool: reports.Tool{Name: "acmeproxy", Version: "bench"},
					Generated: time.Now(), FailOn: rules.Error, Set: set})
				if err != nil {
					b.Fatal(err)
				}
				progress(0, 0, 0)
				runTime += mid.Sub(start)
				reportTime += time.Since(mid)
				findings, exchanges = len(res.Findings), res.Exchanges
				runtime.KeepAlive(rep)
			}
			b.StopTimer()
			cpu := cpuTime() - cpu0
			runtime.ReadMemStats(&after)
			rss := peakRSS()
			total := float64(b.N) * float64(exchanges)
			nsPer := float64(b.Elapsed().Nanoseconds()) / total
			b.ReportMetric(float64(runTime.Nanoseconds())/total, "run-ns/exchange")
			b.ReportMetric(float64(reportTime.Nanoseconds())/total, "report-ns/exchange")
			b.ReportMetric(float64(cpu.Nanoseconds())/total, "cpu-ns/exchange")
			floor := verifyFloor(b, path, min(exchanges, 50_000))
			b.ReportMetric(nsPer, "ns/exchange")
			b.ReportMetric(1e9/nsPer, "exchanges/s")
			b.ReportMetric(floor, "floor-ns/exchange")
			b.ReportMetric(nsPer/floor, "x-floor")
			// The floor runs on one goroutine while lint verifies on
			// GOMAXPROCS of them: the CPU ratio is the one parallelism
			// cannot improve.
			b.ReportMetric(float64(cpu.Nanoseconds())/total/floor, "cpu-x-floor")
			b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MiB")
			b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(runRSS)/(1<<20), "run-peak-RSS-MiB")
			b.ReportMetric(float64(runHeap)/(1<<20), "run-peak-heap-MiB")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/total, "allocs/exchange")
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/total, "B/exchange")
			b.ReportMetric(float64(findings), "findings")
			b.ReportMetric(float64(st.Posts)/float64(st.Exchanges), "posts/exchange")
		})
	}
}

// verifyFloor is the floor under lint: the time to verify the signatures
// of the first n exchanges of the journal at path — one ECDSA or RSA
// verification (with its SHA-256) per POST, with keys already parsed —
// divided by n. The exchanges are decoded first, untimed, 4,096 at a
// time.
func verifyFloor(b *testing.B, path string, n int) float64 {
	b.Helper()
	r, err := journal.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	type job struct {
		pub   crypto.PublicKey
		input []byte
		sig   []byte
	}
	d := decode.NewDecoder()
	var spent time.Duration
	jobs := make([]job, 0, 4096)
	verify := func() {
		start := time.Now()
		for _, j := range jobs {
			h := sha256.Sum256(j.input)
			ok := false
			switch pub := j.pub.(type) {
			case *ecdsa.PublicKey:
				half := len(j.sig) / 2
				ok = ecdsa.Verify(pub, h[:], new(big.Int).SetBytes(j.sig[:half]), new(big.Int).SetBytes(j.sig[half:]))
			case *rsa.PublicKey:
				ok = rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], j.sig) == nil
			}
			if !ok {
				b.Fatal("a signature of the mix does not verify")
			}
		}
		spent += time.Since(start)
		jobs = jobs[:0]
	}
	for range n {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		m := d.Decode(e)
		if j := m.JWS; j != nil && j.Verification == decode.VerifyValid {
			jobs = append(jobs, job{j.Key.Public, []byte(j.RawProtected + "." + j.RawPayload), j.Signature})
		}
		if len(jobs) == cap(jobs) {
			verify()
		}
	}
	verify()
	return float64(spent.Nanoseconds()) / float64(n)
}

// cpuTime returns the user and system CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// resetPeakRSS resets the kernel's record of the process's peak resident
// set (Linux ≥ 4.0), so that peakRSS measures what follows.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS returns the process's peak resident set in bytes: VmHWM from
// /proc/self/status, or getrusage's lifetime maximum without it.
func peakRSS() uint64 {
	if f, err := os.Open("/proc/self/status"); err == nil {
		defer f.Close()
		s := bufio.NewScanner(f)
		for s.Scan() {
			if rest, ok := bytes.CutPrefix(s.Bytes(), []byte("VmHWM:")); ok {
				kb, err := strconv.ParseUint(string(bytes.Fields(rest)[0]), 10, 64)
				if err == nil {
					return kb << 10
				}
			}
		}
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return uint64(ru.Maxrss) << 10
}
