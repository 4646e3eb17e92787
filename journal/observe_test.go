package journal_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/journal"
)

// syncLog collects the durations a Writer reports through ObserveSyncs.
type syncLog struct {
	mu sync.Mutex
	ds []time.Duration
}

func (l *syncLog) observe(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ds = append(l.ds, d)
}

func (l *syncLog) total() (int, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var sum time.Duration
	for _, d := range l.ds {
		sum += d
	}
	return len(l.ds), sum
}

// TestObserveSyncs checks, on a real file, that the observer sees exactly
// the fsyncs Syncs counts, with the durations SyncTime sums.
func TestObserveSyncs(t *testing.T) {
	for _, tc := range []struct {
		name      string
		mode      journal.Sync
		appenders int
		wantSyncs func(n int) bool // n = records appended
	}{
		{"ok/always-one-per-record", journal.SyncAlways, 1, func(s int) bool { return s == 20 }},
		{"ok/batch-concurrent", journal.SyncBatch, 8, func(s int) bool { return s >= 1 && s <= 20*8 }},
		{"ok/none-only-close", journal.SyncNone, 1, func(s int) bool { return s == 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, _ := create(t, tc.mode)
			var log syncLog
			w.ObserveSyncs(log.observe)
			var wg sync.WaitGroup
			for a := range tc.appenders {
				wg.Go(func() {
					for i := range 20 {
						if err := w.Append(newExchange(fmt.Sprint(a, "-", i), 10)); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			n, sum := log.total()
			if uint64(n) != w.Syncs() {
				t.Errorf("observed %d fsyncs, Syncs() = %d", n, w.Syncs())
			}
			if !tc.wantSyncs(n) {
				t.Errorf("observed %d fsyncs for %d records in mode %s", n, 20*tc.appenders, tc.mode)
			}
			if sum <= 0 {
				t.Errorf("observed durations sum to %v, want > 0", sum)
			}
			if sum != w.SyncTime() {
				t.Errorf("observed durations sum to %v, SyncTime() = %v", sum, w.SyncTime())
			}
		})
	}
}

func TestObserveSyncsNilStops(t *testing.T) {
	w, _ := create(t, journal.SyncAlways)
	var log syncLog
	w.ObserveSyncs(log.observe)
	if err := w.Append(newExchange("a", 1)); err != nil {
		t.Fatal(err)
	}
	w.ObserveSyncs(nil)
	if err := w.Append(newExchange("b", 1)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n, _ := log.total(); n != 1 || w.Syncs() != 2 {
		t.Errorf("observed %d of %d fsyncs, want 1 of 2", n, w.Syncs())
	}
}
