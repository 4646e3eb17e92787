package main

import (
	"bufio"
	"context"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/internal/mitmca"
	"github.com/acmeproxy/acmeproxy/journal"
)

// writeCertPEM writes srv's TLS certificate as a PEM file, for
// --upstream-ca.
func writeCertPEM(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "upstream.pem")
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRunBadInput(t *testing.T) {
	tmp := t.TempDir()
	notDir := filepath.Join(tmp, "file")
	existing := filepath.Join(tmp, "existing.jsonl")
	noCerts := filepath.Join(tmp, "empty.pem")
	for _, f := range []string{notDir, existing, noCerts} {
		if err := os.WriteFile(f, []byte("x\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	if _, _, err := mitmca.LoadOrCreate(filepath.Join(tmp, "ca"), mitmca.Options{}); err != nil {
		t.Fatal(err)
	}
	up := "https://ca.example/dir"
	good := []string{"--ca-dir", filepath.Join(tmp, "ca"), "--listen", "127.0.0.1:0"}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"fail/unknown-flag", []string{"--upstream", up, "--no-such-flag"}, "no-such-flag"},
		{"fail/no-upstream", nil, `"upstream"`},
		{"fail/upstream-not-url", []string{"--upstream", "ca.example/dir"}, "--upstream"},
		{"fail/upstream-ftp", []string{"--upstream", "ftp://ca.example/dir"}, "--upstream"},
		{"fail/upstream-ca-missing", []string{"--upstream", up, "--upstream-ca", filepath.Join(tmp, "nope.pem")}, "nope.pem"},
		{"fail/upstream-ca-not-pem", []string{"--upstream", up, "--upstream-ca", noCerts}, "no PEM certificates"},
		{"fail/bad-sync", []string{"--upstream", up, "--sync", "sometimes"}, "--sync"},
		{"fail/bad-body-cap", []string{"--upstream", up, "--body-cap", "0"}, "--body-cap"},
		{"fail/ca-dir-unusable", []string{"--upstream", up, "--ca-dir", filepath.Join(notDir, "ca")}, notDir},
		{"fail/port-in-use", []string{"--upstream", up, "--listen", busy.Addr().String()}, "--listen " + busy.Addr().String()},
		{"fail/journal-unwritable", []string{"--upstream", up, "--journal", filepath.Join(notDir, "j.jsonl")}, "--journal"},
		{"fail/journal-exists", []string{"--upstream", up, "--journal", existing}, "already exists"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{"run"}, good...), tc.args...)
			code, _, stderr := runCLI(t, nil, args...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
				t.Fatalf("exit %d, stderr %q; want exit %d and one line naming %q", code, stderr, exitUsage, tc.want)
			}
		})
	}
	if b, _ := os.ReadFile(existing); string(b) != "x\n" {
		t.Errorf("an existing journal was modified: %q", b)
	}
}

// TestRunRecordsAndStops runs the command in-process against a local TLS
// upstream: one request through it, then cancellation, which must flush
// the journal and print the summary.
func TestRunRecordsAndStops(t *testing.T) {
	up := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"newNonce":"x"}`)
	}))
	t.Cleanup(up.Close)
	tmp := t.TempDir()
	jpath := filepath.Join(tmp, "rec.jsonl")
	ctx, cancel := context.WithCancel(t.Context())
	stdout, stdoutW := io.Pipe()
	var stderr strings.Builder
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"run", "--upstream", up.URL + "/dir", "--upstream-ca", writeCertPEM(t, up),
			"--upstream-insecure", "--listen", "127.0.0.1:0", "--journal", jpath, "--ca-dir", filepath.Join(tmp, "ca")},
			func(string) string { return "" }, strings.NewReader(""), stdoutW, &stderr)
		stdoutW.Close()
	}()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	addr := waitListening(t, lines)
	ca, err := mitmca.Load(filepath.Join(tmp, "ca"))
	if err != nil {
		t.Fatal(err)
	}
	proxyURL, _ := url.Parse("http://" + addr)
	c := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL), TLSClientConfig: tlsTrusting(ca)}}
	resp, err := c.Get(up.URL + "/dir")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	var rest strings.Builder
	for l := range lines {
		rest.WriteString(l + "\n")
	}
	if code := <-done; code != exitOK {
		t.Fatalf("exit %d; stderr %q", code, stderr.String())
	}
	if !strings.Contains(rest.String(), "1 exchanges (0 upstream errors)") || !strings.Contains(stderr.String(), "--upstream-insecure") {
		t.Errorf("summary %q, stderr %q", rest.String(), stderr.String())
	}
	r, err := journal.Open(jpath)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	h := r.Header()
	if !h.UpstreamInsecure || h.CAFingerprint != ca.Fingerprint() || h.Upstream != up.URL+"/dir" || !strings.Contains(h.Tool, version) {
		t.Errorf("journal header %+v", h)
	}
	if e, err := r.Next(); err != nil || e.Response == nil || e.Response.Status != http.StatusOK {
		t.Errorf("first exchange: %+v, %v", e, err)
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("want exactly one exchange, Next: %v", err)
	}
}

var listeningRE = regexp.MustCompile(`listening on (\S+)`)

// waitListening reads the proxy's output lines up to its listen address.
// The caller must keep draining lines afterwards.
func waitListening(t testing.TB, lines <-chan string) string {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("proxy output ended before 'listening on'")
			}
			if m := listeningRE.FindStringSubmatch(l); m != nil {
				return m[1]
			}
		case <-timeout:
			t.Fatal("no 'listening on' line within 30s")
		}
	}
}
