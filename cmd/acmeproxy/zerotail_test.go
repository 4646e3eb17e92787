package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// killedJournal copies a recording and appends zero bytes to it, as a
// proxy killed while it kept space reserved ahead of its records leaves
// its journal.
func killedJournal(t *testing.T, name string, zeros int) string {
	t.Helper()
	b, err := os.ReadFile(rec(name))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name+".jsonl")
	if err := os.WriteFile(path, append(b, make([]byte, zeros)...), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLintKilledJournal: the zero bytes are skipped, the findings are
// those of the closed journal, and the report says the journal was not
// closed.
func TestLintKilledJournal(t *testing.T) {
	path := killedJournal(t, "v2-order-abandoned", 300<<10)
	wantCode, want, _ := runCLI(t, nil, "lint", rec("v2-order-abandoned"), "--format", "json")
	code, got, stderr := runCLI(t, nil, "lint", path, "--format", "json")
	if code != wantCode {
		t.Fatalf("exit %d, want %d as for the closed journal; stderr %q", code, wantCode, stderr)
	}
	if n, m := strings.Count(got, `"fingerprint"`), strings.Count(want, `"fingerprint"`); n != m || n == 0 {
		t.Fatalf("%d findings, want the closed journal's %d", n, m)
	}
	if !strings.Contains(got, "was not closed") || !strings.Contains(got, "307200 zero bytes") {
		t.Errorf("the report does not say the journal was not closed:\n%s", got)
	}
	if strings.Contains(want, "was not closed") {
		t.Error("the closed journal's report says it was not closed")
	}
}

// TestConvertKilledJournal: convert writes the exchanges without the
// zero bytes and notes them.
func TestConvertKilledJournal(t *testing.T) {
	path := killedJournal(t, "v2-order-abandoned", 70<<10)
	out := filepath.Join(t.TempDir(), "clean.jsonl")
	code, stdout, stderr := runCLI(t, nil, "convert", path, out)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if !strings.Contains(stderr, "was not closed by its proxy: 71680 zero bytes") {
		t.Errorf("stderr = %q, want a note on the zero bytes", stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.IndexByte(b, 0) >= 0 {
		t.Fatal("the converted journal holds zero bytes")
	}
	orig, _ := os.ReadFile(rec("v2-order-abandoned"))
	if n, m := bytes.Count(b, []byte("\n")), bytes.Count(orig, []byte("\n")); n != m {
		t.Fatalf("converted journal has %d lines, want %d", n, m)
	}
	if !strings.Contains(stdout, "converted") {
		t.Errorf("stdout = %q", stdout)
	}
}

// TestDecodeKilledJournal: decode prints the same timeline as for the
// closed journal and notes the zero bytes.
func TestDecodeKilledJournal(t *testing.T) {
	path := killedJournal(t, "v2-order-abandoned", 5000)
	_, want, _ := runCLI(t, nil, "decode", rec("v2-order-abandoned"))
	code, got, stderr := runCLI(t, nil, "decode", path)
	if code != exitOK || got != want || want == "" {
		t.Fatalf("exit %d; timeline equal to the closed journal's: %v; stderr %q", code, got == want, stderr)
	}
	if !strings.Contains(stderr, "was not closed by its proxy: 5000 zero bytes") {
		t.Errorf("stderr = %q, want a note on the zero bytes", stderr)
	}
}
