package journal_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/journal"
)

func TestRoundTrip(t *testing.T) {
	for _, mode := range []journal.Sync{journal.SyncBatch, journal.SyncAlways, journal.SyncNone} {
		t.Run("ok/"+mode.String(), func(t *testing.T) {
			w, path := create(t, mode)
			var want []string
			for i := range 5 {
				e := newExchange(fmt.Sprint(i), 100*i)
				if i == 3 { // an upstream failure: no response
					e.Response, e.Error = nil, "dial tcp 127.0.0.1:1: connection refused"
				}
				if i == 4 { // a body over the cap
					e.Response.Body = journal.Body{Data: []byte("abc"), Size: 1 << 21, SHA256: strings.Repeat("ab", 32), Truncated: true}
				}
				if err := w.Append(e); err != nil {
					t.Fatal(err)
				}
				if e.Seq != uint64(i+1) {
					t.Fatalf("Seq = %d, want %d", e.Seq, i+1)
				}
				want = append(want, encode(t, e))
			}
			if w.Count() != 5 {
				t.Fatalf("Count = %d", w.Count())
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got, r := readAll(t, path)
			if len(got) != len(want) {
				t.Fatalf("read %d exchanges, want %d", len(got), len(want))
			}
			for i, e := range got {
				if e.Line != i+2 {
					t.Errorf("exchange %d: Line = %d, want %d", i, e.Line, i+2)
				}
				if s := encode(t, e); s != want[i] {
					t.Errorf("exchange %d:\n got %s\nwant %s", i, s, want[i])
				}
			}
			h := r.Header()
			if h.Format != journal.Format || h.Version != journal.Version || h.Upstream != "https://ca.example/dir" || !h.Started.Equal(t0) {
				t.Errorf("header = %+v", h)
			}
		})
	}
}

func TestHeadersKeepOrderAndRepeats(t *testing.T) {
	w, path := create(t, journal.SyncNone)
	e := newExchange("h", 10)
	e.Request.Headers = journal.Headers{
		{Name: "b-lower", Value: "1"}, {Name: "A-Upper", Value: "2"},
		{Name: "Set-Cookie", Value: "x=1"}, {Name: "b-lower", Value: "3"},
		{Name: "Empty", Value: ""}, {Name: "Set-Cookie", Value: "y=2; Path=/"},
	}
	if err := w.Append(e); err != nil {
		t.Fatal(err)
	}
	w.Close()
	got, _ := readAll(t, path)
	h := got[0].Request.Headers
	if fmt.Sprint(h) != fmt.Sprint(e.Request.Headers) {
		t.Fatalf("headers = %v, want %v", h, e.Request.Headers)
	}
	if v := h.Values("set-cookie"); len(v) != 2 || v[1] != "y=2; Path=/" {
		t.Errorf("Values(set-cookie) = %q", v)
	}
	if h.Get("B-LOWER") != "1" {
		t.Errorf("Get(B-LOWER) = %q", h.Get("B-LOWER"))
	}
}

func TestCreateRefusesExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.jsonl")
	if err := os.WriteFile(path, []byte("precious\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := journal.Create(path, journal.Header{}, journal.SyncBatch)
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("Create over an existing file: err = %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "precious\n" {
		t.Fatalf("existing file changed: %q", b)
	}
}

func TestCreateFileMode(t *testing.T) {
	_, path := create(t, journal.SyncNone)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, want 0600", st.Mode().Perm())
	}
}

// TestSyncModes counts fsyncs: SyncAlways one per record, SyncNone none
// until Close, SyncBatch one per record when appends come one at a time.
func TestSyncModes(t *testing.T) {
	tests := []struct {
		mode                           journal.Sync
		wantSyncs, wantSyncsAfterClose int64
	}{
		{journal.SyncAlways, 10, 10},
		{journal.SyncNone, 0, 1},
		{journal.SyncBatch, 10, 10},
	}
	for _, tc := range tests {
		t.Run("ok/"+tc.mode.String(), func(t *testing.T) {
			w, _ := create(t, tc.mode)
			f := wrap(w, &fakeFile{})
			for i := range 10 {
				if err := w.Append(newExchange(fmt.Sprint(i), 10)); err != nil {
					t.Fatal(err)
				}
			}
			if got := f.syncs.Load(); got != tc.wantSyncs {
				t.Errorf("fsyncs after 10 appends = %d, want %d", got, tc.wantSyncs)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if got := f.syncs.Load(); got != tc.wantSyncsAfterClose {
				t.Errorf("fsyncs after Close = %d, want %d", got, tc.wantSyncsAfterClose)
			}
		})
	}
}

func TestParseSync(t *testing.T) {
	for _, m := range []journal.Sync{journal.SyncBatch, journal.SyncAlways, journal.SyncNone} {
		got, err := journal.ParseSync(m.String())
		if err != nil || got != m {
			t.Errorf("ParseSync(%q) = %v, %v", m.String(), got, err)
		}
	}
	if _, err := journal.ParseSync("sometimes"); err == nil {
		t.Error("ParseSync(sometimes) succeeded")
	}
}

// TestGroupCommitConcurrent has 16 goroutines append at once under real
// fsyncs: every Append that returned nil is in the file, intact, and the
// sequence numbers are unique and dense.
func TestGroupCommitConcurrent(t *testing.T) {
	const goroutines, each = 16, 80
	w, path := create(t, journal.SyncBatch)
	f := wrap(w, &fakeFile{})
	var (
		mu    sync.Mutex
		acked = map[uint64]string{}
		wg    sync.WaitGroup
	)
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				e := newExchange(fmt.Sprintf("g%d-%d", g, i), 2000)
				if err := w.Append(e); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if _, dup := acked[e.Seq]; dup {
					t.Errorf("seq %d given twice", e.Seq)
				}
				acked[e.Seq] = encode(t, e)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, r := readAll(t, path)
	if r.Torn != nil {
		t.Fatalf("torn line in a cleanly closed journal: %v", r.Torn)
	}
	if len(got) != goroutines*each {
		t.Fatalf("read %d records, want %d", len(got), goroutines*each)
	}
	for i, e := range got {
		if e.Seq != uint64(i+1) {
			t.Fatalf("record %d has seq %d: not dense and in order", i+1, e.Seq)
		}
		if encode(t, e) != acked[e.Seq] {
			t.Fatalf("seq %d differs from what was appended", e.Seq)
		}
	}
	syncs := f.syncs.Load()
	t.Logf("%d appends, %d fsyncs (%.1f records per fsync)", len(got), syncs, float64(len(got))/float64(syncs))
	if syncs >= int64(len(got)) {
		t.Errorf("%d fsyncs for %d concurrent appends: no group commit", syncs, len(got))
	}
}

// TestGroupCommitTakesEverythingQueued holds the first fsync until 15
// more records have been written behind it: all 15 must share the second
// fsync, started as soon as the first ends.
func TestGroupCommitTakesEverythingQueued(t *testing.T) {
	w, _ := create(t, journal.SyncBatch)
	started, release := make(chan struct{}), make(chan struct{})
	f := wrap(w, &fakeFile{noDisk: true, onSync: func(n int) {
		if n == 1 {
			close(started)
			<-release
		}
	}})
	var wg sync.WaitGroup
	appendOne := func(id string) {
		if err := w.Append(newExchange(id, 2000)); err != nil {
			t.Error(err)
		}
	}
	wg.Go(func() { appendOne("first") })
	<-started
	for g := range 15 {
		wg.Go(func() { appendOne(fmt.Sprint(g)) })
	}
	for f.writeCount() < 16 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	if got := f.syncs.Load(); got != 2 {
		t.Errorf("fsyncs = %d, want 2 (one for the first append, one for the 15 queued behind it)", got)
	}
}

// TestGroupCommitHasNoTimer appends one record at a time: each must get
// its own fsync at once. A 10 ms flush timer would make 300 appends take
// 3 s; here fsync itself is free.
func TestGroupCommitHasNoTimer(t *testing.T) {
	w, _ := create(t, journal.SyncBatch)
	f := wrap(w, &fakeFile{noDisk: true})
	begin := time.Now()
	for i := range 300 {
		if err := w.Append(newExchange(fmt.Sprint(i), 2000)); err != nil {
			t.Fatal(err)
		}
	}
	elapsed := time.Since(begin)
	if got := f.syncs.Load(); got != 300 {
		t.Errorf("fsyncs = %d, want 300", got)
	}
	if elapsed > 2*time.Second {
		t.Errorf("300 serial appends took %v: is something waiting on a timer?", elapsed)
	}
}

func TestStickyWriteError(t *testing.T) {
	w, path := create(t, journal.SyncBatch)
	reserving := w.Reserving()
	diskFull := fmt.Errorf("write: %w", syscall.ENOSPC)
	wrap(w, &fakeFile{failWrite: func(n int) error {
		if n >= 3 {
			return diskFull
		}
		return nil
	}})
	for i := range 2 {
		if err := w.Append(newExchange(fmt.Sprint(i), 10)); err != nil {
			t.Fatal(err)
		}
	}
	err := w.Append(newExchange("2", 10))
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Append on a full disk: err = %v, want ENOSPC", err)
	}
	if err := w.Append(newExchange("3", 10)); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Append after a failed write: err = %v, want the sticky ENOSPC", err)
	}
	if err := w.Close(); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Close after a failed write: err = %v, want the sticky ENOSPC", err)
	}
	if w.Count() != 2 {
		t.Errorf("Count = %d, want 2", w.Count())
	}
	// The two acknowledged records are intact. A writer that reserves
	// space cuts the file after them at Close; one that appends leaves the
	// half-written line, a torn last line.
	got, r := readAll(t, path)
	if len(got) != 2 || (r.Torn == nil) == !reserving {
		t.Fatalf("read %d records, torn %v (reserving %v); want 2 and a torn line only when appending", len(got), r.Torn, reserving)
	}
}

// TestStickySyncError: after a failed fsync nothing is acknowledged again,
// even if a retried fsync would succeed (the kernel may have dropped the
// dirty pages).
func TestStickySyncError(t *testing.T) {
	w, _ := create(t, journal.SyncBatch)
	eio := fmt.Errorf("fsync: %w", syscall.EIO)
	wrap(w, &fakeFile{failSync: func(n int) error {
		if n == 2 {
			return eio
		}
		return nil
	}})
	if err := w.Append(newExchange("0", 10)); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < 4; i++ {
		if err := w.Append(newExchange(fmt.Sprint(i), 10)); !errors.Is(err, syscall.EIO) {
			t.Fatalf("append %d: err = %v, want the sticky EIO", i, err)
		}
	}
	if err := w.Close(); !errors.Is(err, syscall.EIO) {
		t.Fatalf("Close: err = %v, want EIO", err)
	}
}

func TestAppendAfterClose(t *testing.T) {
	w, _ := create(t, journal.SyncBatch)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := w.Append(newExchange("late", 10)); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("Append after Close: err = %v", err)
	}
}

// TestCloseReleasesWaiters closes the writer while appends wait for a slow
// fsync: they all succeed and their records are in the file.
func TestCloseReleasesWaiters(t *testing.T) {
	w, path := create(t, journal.SyncBatch)
	wrap(w, &fakeFile{syncDelay: 30 * time.Millisecond})
	var (
		wg sync.WaitGroup
		ok atomic.Int64
	)
	for g := range 8 {
		wg.Go(func() {
			err := w.Append(newExchange(fmt.Sprint(g), 100))
			switch {
			case err == nil:
				ok.Add(1)
			case !strings.Contains(err.Error(), "closed"): // too late is fine
				t.Error(err)
			}
		})
	}
	time.Sleep(10 * time.Millisecond)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	got, _ := readAll(t, path)
	if len(got) != int(ok.Load()) || len(got) != int(w.Count()) {
		t.Fatalf("read %d, acknowledged %d, Count %d", len(got), ok.Load(), w.Count())
	}
}
