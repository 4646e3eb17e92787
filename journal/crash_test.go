package journal_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/journal"
)

// crashEnv, when set, makes TestCrashChild the child of TestCrashKill: it
// appends to the journal named by the variable until it is killed.
const (
	crashEnv     = "ACMEPROXY_JOURNAL_CRASH_CHILD"
	crashModeEnv = "ACMEPROXY_JOURNAL_CRASH_MODE"
	// crashSmallEnv makes the child reserve space in small chunks, so
	// that the kill finds it extending its reserved space.
	crashSmallEnv = "ACMEPROXY_JOURNAL_CRASH_SMALL_RESERVE"
)

// TestCrashChild is not a test on its own: TestCrashKill runs the test
// binary again with crashEnv set, and this function then appends from 8
// goroutines, printing "ack SEQ ID" for every Append that returned nil.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("helper process for TestCrashKill")
	}
	mode, err := journal.ParseSync(os.Getenv(crashModeEnv))
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv(crashSmallEnv) != "" {
		defer journal.SetReserveChunks(8<<10, 16<<10)()
	}
	w, err := journal.Create(path, journal.Header{Tool: "acmeproxy crash-test"}, mode)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	for g := range 8 {
		go func() {
			for i := 0; ; i++ {
				id := fmt.Sprintf("g%d-%d", g, i)
				e := newExchange(id, 2000)
				if err := w.Append(e); err != nil {
					fmt.Fprintf(os.Stderr, "append: %v\n", err)
					os.Exit(1)
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "ack %d %s\n", e.Seq, id)
				mu.Unlock()
			}
		}()
	}
	select {} // until killed
}

// TestCrashKill runs a writer in a child process, SIGKILLs it while it
// appends, and checks that every acknowledged record is in the journal,
// intact, with dense sequence numbers and at most one torn line.
func TestCrashKill(t *testing.T) {
	if os.Getenv(crashEnv) != "" {
		t.Skip("in the child")
	}
	for _, mode := range []journal.Sync{journal.SyncBatch, journal.SyncAlways, journal.SyncNone} {
		t.Run("ok/"+mode.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "crash.jsonl")
			acked := runAndKill(t, path, mode, 400, false)
			checkAfterCrash(t, path, acked)
		})
	}
	t.Run("ok/batch-small-reserve", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "crash.jsonl")
		acked := runAndKill(t, path, journal.SyncBatch, 400, true)
		checkAfterCrash(t, path, acked)
	})
}

// runAndKill starts the child, kills it after n acknowledgements and
// returns every acknowledgement it printed (seq → id).
func runAndKill(t *testing.T, path string, mode journal.Sync, n int, smallReserve bool) map[uint64]string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path, crashModeEnv+"="+mode.String())
	if smallReserve {
		cmd.Env = append(cmd.Env, crashSmallEnv+"=1")
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	defer timer.Stop()
	acked := map[uint64]string{}
	sc := bufio.NewScanner(out)
	killed := false
	for sc.Scan() {
		var seq uint64
		var id string
		if _, err := fmt.Sscanf(sc.Text(), "ack %d %s", &seq, &id); err != nil {
			continue // test framework output
		}
		acked[seq] = id
		if len(acked) == n && !killed {
			cmd.Process.Kill() // SIGKILL, mid-stream
			killed = true
		}
	}
	werr := cmd.Wait()
	if !killed {
		t.Fatalf("child ended after %d acks (%v): %s", len(acked), werr, stderr.String())
	}
	t.Logf("%s: %d appends acknowledged before the kill", mode, len(acked))
	return acked
}

// checkAfterCrash reads the journal left by a killed writer.
func checkAfterCrash(t *testing.T, path string, acked map[uint64]string) {
	t.Helper()
	r, err := journal.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	found := map[uint64]bool{}
	for e, err := range r.All() {
		if err != nil {
			t.Fatalf("a killed writer left a corrupt line before the end: %v", err)
		}
		if e.Seq != uint64(len(found)+1) {
			t.Fatalf("line %d has seq %d, want %d", e.Line, e.Seq, len(found)+1)
		}
		found[e.Seq] = true
		if id, ok := acked[e.Seq]; ok && !strings.HasSuffix(e.Request.URL, "/"+id) {
			t.Fatalf("seq %d: URL %s, acknowledged as %s", e.Seq, e.Request.URL, id)
		}
		sum := sha256.Sum256(e.Request.Body.Data)
		if hex.EncodeToString(sum[:]) != e.Request.Body.SHA256 {
			t.Fatalf("seq %d: body does not match its sha256", e.Seq)
		}
	}
	for seq := range acked {
		if !found[seq] {
			t.Fatalf("acknowledged seq %d is not in the journal (%d records)", seq, len(found))
		}
	}
	if r.Torn != nil {
		t.Logf("torn last line: %v", r.Torn)
	}
	t.Logf("%d records in the journal, %d acknowledged", len(found), len(acked))
}
