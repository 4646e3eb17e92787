package journal_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/journal"

	"github.com/acmeproxy/acmeproxy/internal/citest"
)

// needReserving fails the test in CI, and skips it elsewhere, when the
// writer does not reserve space: its journal is not on ext4 or XFS.
func needReserving(t *testing.T, reserving bool, path string) {
	t.Helper()
	if !reserving {
		citest.Missing(t, "the writer does not reserve space in %s: not on ext4 or XFS", path)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestReserveAndCut: a durable writer keeps zero bytes past its records
// while it runs, and Close cuts the file at the last record.
func TestReserveAndCut(t *testing.T) {
	for _, mode := range []journal.Sync{journal.SyncBatch, journal.SyncAlways} {
		t.Run(mode.String(), func(t *testing.T) {
			w, path := create(t, mode)
			needReserving(t, w.Reserving(), path)
			var want bytes.Buffer
			head, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want.Write(head[:bytes.IndexByte(head, '\n')+1])
			for i := range 20 {
				e := newExchange(fmt.Sprint(i), 500)
				if err := w.Append(e); err != nil {
					t.Fatal(err)
				}
				want.WriteString(recordLine(t, e, e.Seq))
			}
			if size := fileSize(t, path); size <= int64(want.Len()) {
				t.Fatalf("open journal is %d bytes, its records %d: nothing reserved", size, want.Len())
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got[:want.Len()], want.Bytes()) || strings.Trim(string(got[want.Len():]), "\x00") != "" {
				t.Fatal("open journal: want the records, then zero bytes only")
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got, err = os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("closed journal is %d bytes, want exactly its %d bytes of records", len(got), want.Len())
			}
		})
	}
}

// TestReserveNotForSyncNone: without syncs there is nothing to gain.
func TestReserveNotForSyncNone(t *testing.T) {
	w, _ := create(t, journal.SyncNone)
	if w.Reserving() {
		t.Fatal("a SyncNone writer reserves space")
	}
}

// TestReserveExtends: with small chunks, 16 goroutines make the writer
// extend its space many times, some records larger than a chunk; every
// acknowledged record is intact, in order, with no zero byte left.
func TestReserveExtends(t *testing.T) {
	defer journal.SetReserveChunks(8<<10, 16<<10)()
	w, path := create(t, journal.SyncBatch)
	needReserving(t, w.Reserving(), path)
	var mu sync.Mutex
	want := map[uint64]string{}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 40 {
				size := 300 + 97*i
				if i%13 == 0 {
					size = 40 << 10 // over two chunks
				}
				e := newExchange(fmt.Sprintf("g%d-%d", g, i), size)
				if err := w.Append(e); err != nil {
					t.Error(err)
					return
				}
				line := recordLine(t, e, e.Seq)
				mu.Lock()
				want[e.Seq] = line
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.IndexByte(data, 0) >= 0 {
		t.Fatal("closed journal holds zero bytes")
	}
	lines := strings.SplitAfter(string(data), "\n")
	lines = lines[1 : len(lines)-1] // header; the empty string after the last newline
	if len(lines) != len(want) {
		t.Fatalf("%d record lines, want %d", len(lines), len(want))
	}
	for i, line := range lines {
		if line != want[uint64(i+1)] {
			t.Fatalf("line %d is not record %d as appended", i+2, i+1)
		}
	}
}

// reserveFullEnv makes TestReserveFullChild the child of TestReserveFull.
const reserveFullEnv = "ACMEPROXY_JOURNAL_RESERVE_FULL"

// TestReserveFullChild runs with a file size limit (RLIMIT_FSIZE) that
// lets Create reserve its first space but makes the first extension fail,
// as a full disk would; it prints what the writer did.
func TestReserveFullChild(t *testing.T) {
	path := os.Getenv(reserveFullEnv)
	if path == "" {
		t.Skip("helper process for TestReserveFull")
	}
	signal.Ignore(syscall.SIGXFSZ) // make the write fail with EFBIG instead
	defer journal.SetReserveChunks(16<<10, 64<<10)()
	lim := syscall.Rlimit{Cur: 40 << 10, Max: 40 << 10}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
	w, err := journal.Create(path, journal.Header{Tool: "acmeproxy reserve-test"}, journal.SyncBatch)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("reserving %v\n", w.Reserving())
	acked := 0
	var appendErr error
	for i := 0; appendErr == nil && i < 100; i++ {
		if appendErr = w.Append(newExchange(fmt.Sprint(i), 1000)); appendErr == nil {
			acked++
		}
	}
	fmt.Printf("acked %d\nappend error: %v\nreserve error: %v\nclose error: %v\n", acked, appendErr, w.ReserveError(), w.Close())
}

// TestReserveFull: when reserving more space fails, the writer goes on
// appending its records, which fail only when the disk itself refuses
// them; Close cuts the file at the last acknowledged record.
func TestReserveFull(t *testing.T) {
	if os.Getenv(reserveFullEnv) != "" {
		t.Skip("in the child")
	}
	path := filepath.Join(t.TempDir(), "full.jsonl")
	cmd := exec.Command(os.Args[0], "-test.run=^TestReserveFullChild$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), reserveFullEnv+"="+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	needReserving(t, !strings.Contains(string(out), "reserving false"), path)
	var acked int
	if _, err := fmt.Sscanf(string(out[bytes.Index(out, []byte("acked ")):]), "acked %d", &acked); err != nil {
		t.Fatalf("child output: %s", out)
	}
	for _, want := range []string{"append error: journal: writing " + path, "file too large", "reserve error: journal: reserving space in " + path} {
		if !strings.Contains(string(out), want) {
			t.Errorf("child output lacks %q:\n%s", want, out)
		}
	}
	// The records after the failed extension went past the reserved end
	// until the limit: more than fit in the first reservation.
	if acked*1000 < 16<<10 {
		t.Errorf("only %d records acknowledged: appending stopped with the reservation", acked)
	}
	got, r := readAll(t, path)
	if len(got) != acked || r.Torn != nil {
		t.Fatalf("read %d records (torn %v), want the %d acknowledged and nothing else", len(got), r.Torn, acked)
	}
}

// TestReserveCloseWhileExtending closes the writer while appenders wait
// for room: each Append either succeeded, and its record is in the file,
// or failed because the writer was closed; the file ends at the last
// record and holds no zero byte.
func TestReserveCloseWhileExtending(t *testing.T) {
	defer journal.SetReserveChunks(8<<10, 16<<10)()
	for round := range 5 {
		w, path := create(t, journal.SyncBatch)
		needReserving(t, w.Reserving(), path)
		var mu sync.Mutex
		acked := map[uint64]string{}
		var closedErrs int
		var wg sync.WaitGroup
		start := make(chan struct{})
		for g := range 16 {
			wg.Go(func() {
				<-start
				for i := 0; ; i++ {
					e := newExchange(fmt.Sprintf("r%d-g%d-%d", round, g, i), 20<<10)
					if err := w.Append(e); err != nil {
						if !strings.Contains(err.Error(), "append to closed") {
							t.Errorf("Append: %v, want only an append to a closed writer to fail", err)
						}
						mu.Lock()
						closedErrs++
						mu.Unlock()
						return
					}
					mu.Lock()
					acked[e.Seq] = recordLine(t, e, e.Seq)
					mu.Unlock()
				}
			})
		}
		close(start)
		for deadline := time.Now().Add(10 * time.Second); w.Count() < 50; runtime.Gosched() {
			if time.Now().After(deadline) {
				w.Close()
				wg.Wait()
				t.Fatalf("round %d: only %d records appended in 10 s", round, w.Count())
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.IndexByte(data, 0) >= 0 {
			t.Fatalf("round %d: the closed journal holds zero bytes", round)
		}
		lines := strings.SplitAfter(string(data), "\n")
		lines = lines[1 : len(lines)-1]
		if len(lines) != len(acked) || closedErrs != 16 {
			t.Fatalf("round %d: %d record lines, %d acknowledged, %d appenders stopped by Close (want 16)", round, len(lines), len(acked), closedErrs)
		}
		for i, line := range lines {
			if line != acked[uint64(i+1)] {
				t.Fatalf("round %d: line %d is not record %d as appended", round, i+2, i+1)
			}
		}
	}
}
