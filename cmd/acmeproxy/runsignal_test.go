package main

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/internal/journaltest"
	"github.com/acmeproxy/acmeproxy/journal"
)

// TestWrapSIGTERMMidExchange runs the acmeproxy binary wrapping a client
// that asks for nonces as fast as it can, and SIGTERMs acmeproxy while
// exchanges are in flight. acmeproxy forwards the signal, drains, lints
// and reports: every nonce the client received is in the journal, the
// journal is whole, the report counts every exchange of it, and names the
// client killed by SIGTERM (exit 1).
func TestWrapSIGTERMMidExchange(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	t.Parallel()
	p := startPebble(t)
	tmp := t.TempDir()
	pem, jpath, nonces, jsonPath := filepath.Join(tmp, "pebble.pem"), filepath.Join(tmp, "rec.jsonl"),
		filepath.Join(tmp, "nonces"), filepath.Join(tmp, "acme.json")
	if err := os.WriteFile(pem, p.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	child := exec.Command(buildBinary(t), "run", "--upstream", p.DirectoryURL, "--upstream-ca", pem,
		"--listen", "127.0.0.1:0", "--journal", jpath, "--ca-dir", filepath.Join(tmp, "ca"), "--report", "json="+jsonPath,
		"--", os.Args[0], testClientArg, "nonces", p.DirectoryURL, nonces)
	child.Env = append(os.Environ(), "HOME="+tmp)
	dieWithParent(child)
	var stderr syncBuffer
	child.Stderr = &stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()
	t.Cleanup(func() { _ = child.Process.Kill(); <-exited })
	deadline := time.Now().Add(60 * time.Second)
	for countLines(nonces) < 200 {
		if time.Now().After(deadline) {
			t.Fatalf("the client received fewer than 200 nonces in 60s; stderr:\n%s", &stderr)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := child.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-exited:
		exited <- err
	case <-time.After(60 * time.Second):
		t.Fatalf("acmeproxy did not exit within 60s of SIGTERM; stderr:\n%s", &stderr)
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitFindings {
		t.Fatalf("acmeproxy: %v, want exit 1 (client killed); stderr:\n%s", err, &stderr)
	}
	received := readLines(t, nonces)
	recorded := journalNonces(t, jpath) // fails on a torn line too
	for _, n := range received {
		if !recorded[n] {
			t.Fatalf("nonce %s reached the client but is not in the journal (%d received, %d recorded)", n, len(received), len(recorded))
		}
	}
	rep := readReport(t, jsonPath)
	if want := len(journaltest.ReadAll(t, jpath)); rep.Summary.Exchanges != want {
		t.Errorf("report counts %d exchanges, journal has %d", rep.Summary.Exchanges, want)
	}
	if rep.Client == nil || rep.Client.Signal != syscall.SIGTERM.String() {
		t.Errorf("report's client %+v, want killed by SIGTERM", rep.Client)
	}
	t.Logf("%d nonces received, %d recorded", len(received), len(recorded))
}

func countLines(path string) int {
	b, _ := os.ReadFile(path)
	return strings.Count(string(b), "\n")
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// journalNonces returns the Replay-Nonce of every response in a
// journal, which must have been closed cleanly.
func journalNonces(t *testing.T, path string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	journaltest.Each(t, path, func(x *journal.Exchange) {
		if x.Response != nil {
			if n := x.Response.Headers.Get("Replay-Nonce"); n != "" {
				out[n] = true
			}
		}
	})
	return out
}
