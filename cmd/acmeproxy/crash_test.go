package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/internal/mitmca"
	"github.com/acmeproxy/acmeproxy/journal"

	"github.com/acmeproxy/acmeproxy/internal/citest"
)

// buildBinary builds acmeproxy into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "acmeproxy")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestCrashKeepsAcknowledgedExchanges runs the proxy binary as a child,
// drives concurrent exchanges through it, SIGKILLs it mid-stream and
// reopens the journal: every response a client received is there, intact;
// at most the last line is torn.
func TestCrashKeepsAcknowledgedExchanges(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	up := uniqueUpstream(t)
	tmp := t.TempDir()
	caDir, jpath := filepath.Join(tmp, "ca"), filepath.Join(tmp, "rec.jsonl")
	ca, _, err := mitmca.LoadOrCreate(caDir, mitmca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	child := exec.Command(buildBinary(t), "run", "--upstream", up.URL+"/dir", "--upstream-ca", writeCertPEM(t, up),
		"--listen", "127.0.0.1:0", "--journal", jpath, "--ca-dir", caDir)
	child.Env = []string{"HOME=" + tmp}
	dieWithParent(child)
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = child.Process.Kill(); _ = child.Wait() })
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	addr := waitListening(t, lines)

	got := driveUntilKilled(t, addr, ca, up.URL, child.Process)
	if len(got) < 100 {
		t.Fatalf("only %d responses before the kill; the test needs more", len(got))
	}
	checkJournalHolds(t, jpath, got)
	checkKilledJournalLints(t, jpath)
}

// checkKilledJournalLints lints the journal of the killed proxy. A proxy
// that reserved space ahead of its records (ext4, XFS) left zero bytes at
// the end: lint reads past nothing of them and says the journal was not
// closed.
func checkKilledJournalLints(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zeros := len(b) - len(bytes.TrimRight(b, "\x00"))
	if zeros == 0 {
		citest.Missing(t, "the killed proxy's journal %s does not end with reserved zero bytes: not on ext4 or XFS", path)
	}
	code, out, stderr := runCLI(t, nil, "lint", path, "--format", "json")
	if code != exitOK && code != exitFindings {
		t.Fatalf("lint of the killed proxy's journal: exit %d, stderr %q", code, stderr)
	}
	if want := fmt.Sprintf("%d zero bytes reserved after its last record", zeros); !strings.Contains(out, want) {
		t.Errorf("lint's report lacks %q", want)
	}
}

// uniqueUpstream answers every request with a distinct ACME-sized JSON body.
func uniqueUpstream(t *testing.T) *httptest.Server {
	t.Helper()
	var n atomic.Int64
	pad := strings.Repeat("p", 700)
	up := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		i := n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Replay-Nonce", "nonce-"+strconv.FormatInt(i, 10))
		fmt.Fprintf(w, `{"n":%d,"pad":"%s"}`, i, pad)
	}))
	t.Cleanup(up.Close)
	return up
}

// driveUntilKilled runs 8 clients (half with one connection per request)
// until about 300 responses arrived, kills the proxy while they keep
// going, and returns the sha256 of every response body received whole.
func driveUntilKilled(t *testing.T, addr string, ca *mitmca.CA, upURL string, proc *os.Process) map[string]bool {
	t.Helper()
	proxyURL, _ := url.Parse("http://" + addr)
	var (
		mu   sync.Mutex
		got  = map[string]bool{}
		wg   sync.WaitGroup
		done atomic.Bool
	)
	body := bytes.Repeat([]byte("j"), 1200)
	for i := range 8 {
		tr := &http.Transport{Proxy: http.ProxyURL(proxyURL), TLSClientConfig: tlsTrusting(ca), DisableKeepAlives: i%2 == 0}
		c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
		wg.Go(func() {
			defer tr.CloseIdleConnections()
			for !done.Load() {
				resp, err := c.Post(upURL+"/acme/new-order", "application/jose+json", bytes.NewReader(body))
				if err != nil {
					return // the proxy is gone
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK || !bytes.HasPrefix(b, []byte(`{"n":`)) {
					continue // a partial or synthetic response does not count
				}
				sum := sha256.Sum256(b)
				mu.Lock()
				got[hex.EncodeToString(sum[:])] = true
				mu.Unlock()
			}
		})
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= 300 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := proc.Kill(); err != nil { // SIGKILL, with clients mid-request
		t.Fatal(err)
	}
	done.Store(true)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	return got
}

// checkJournalHolds reads the journal of a killed proxy.
func checkJournalHolds(t *testing.T, path string, received map[string]bool) {
	t.Helper()
	r, err := journal.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	recorded := map[string]bool{}
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("journal of a killed proxy has a corrupt line before its end: %v", err)
		}
		if e.Response == nil {
			continue
		}
		b := e.Response.Body
		sum := sha256.Sum256(b.Data)
		if hex.EncodeToString(sum[:]) != b.SHA256 || b.Truncated {
			t.Fatalf("exchange %d: body does not match its sha256", e.Seq)
		}
		recorded[b.SHA256] = true
	}
	missing := 0
	for sha := range received {
		if !recorded[sha] {
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d responses the clients received are not in the journal", missing, len(received))
	}
	t.Logf("%d responses received, %d exchanges recorded, torn last line: %v", len(received), len(recorded), r.Torn != nil)
}
