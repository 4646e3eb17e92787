package main

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/journal"
)

// convertExchanges are a few exchanges of an ACME flow, with what HAR
// cannot hold natively: a binary request body, a failed exchange.
func convertExchanges() []*journal.Exchange {
	start := time.Date(2026, 3, 1, 12, 0, 0, 987654321, time.UTC)
	jws := []byte(`{"protected":"eyJhbGciOiJFUzI1NiJ9","payload":"e30","signature":"c2ln"}`)
	return []*journal.Exchange{
		{Conn: 1, Mode: "mitm", Start: start, End: start.Add(time.Millisecond),
			Request: journal.Request{Method: "HEAD", URL: "https://ca.example/acme/new-nonce", Proto: "HTTP/1.1",
				Headers: journal.Headers{{Name: "User-Agent", Value: "lego"}}},
			Response: &journal.Response{Status: 200, Proto: "HTTP/1.1",
				Headers: journal.Headers{{Name: "Replay-Nonce", Value: "n1"}, {Name: "Cache-Control", Value: "no-store"}}}},
		{Conn: 1, Mode: "mitm", Start: start.Add(time.Second), End: start.Add(time.Second + 3*time.Millisecond),
			Request: journal.Request{Method: "POST", URL: "https://ca.example/acme/new-acct", Proto: "HTTP/1.1",
				Headers: journal.Headers{{Name: "Content-Type", Value: "application/jose+json"}}, Body: journal.NewBody(jws)},
			Response: &journal.Response{Status: 201, Proto: "HTTP/1.1",
				Headers: journal.Headers{{Name: "Location", Value: "https://ca.example/acme/acct/1"}, {Name: "Link", Value: "<a>;rel=index"}, {Name: "Link", Value: "<b>;rel=terms-of-service"}},
				Body:    journal.NewBody([]byte(`{"status":"valid"}`))}},
		{Conn: 2, Mode: "mitm", Start: start.Add(2 * time.Second), End: start.Add(2 * time.Second),
			Request: journal.Request{Method: "POST", URL: "https://ca.example/acme/cert/1", Body: journal.NewBody([]byte{0xff, 0x00, 0xfe})},
			Error:   "dial tcp 192.0.2.1:443: connect: connection refused"},
		{Conn: 3, Mode: "http", Start: start.Add(3 * time.Second), End: start.Add(3 * time.Second),
			Request:  journal.Request{Method: "GET", URL: "http://www.example.org/.well-known/acme-challenge/tok"},
			Response: &journal.Response{Status: 200, Body: journal.NewBody([]byte{0x30, 0x82, 0x01})}},
	}
}

// writeJournal writes a journal with the exchanges into dir.
func writeTestJournal(t *testing.T, path string, es []*journal.Exchange) journal.Header {
	t.Helper()
	h := journal.Header{Tool: "acmeproxy test", Started: es[0].Start, Upstream: "https://ca.example/dir", CAFingerprint: "00ff"}
	w, err := journal.Create(path, h, journal.SyncNone)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if err := w.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	h.Format, h.Version = journal.Format, journal.Version
	return h
}

// readJournalLines returns a journal's header and its record lines as
// written, failing on any error.
func readJournalLines(t *testing.T, path string) (journal.Header, []string) {
	t.Helper()
	r, err := journal.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var lines []string
	for e, err := range r.All() {
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(e)
		lines = append(lines, string(b))
	}
	return r.Header(), lines
}

// convertOK runs convert and fails unless it succeeds quietly.
func convertOK(t *testing.T, args ...string) string {
	t.Helper()
	code, stdout, stderr := runCLI(t, nil, append([]string{"convert"}, args...)...)
	if code != exitOK || stderr != "" {
		t.Fatalf("convert %v: exit %d, stderr %q", args, code, stderr)
	}
	return stdout
}

// convertFails runs convert and checks it fails with exit 2 and one line
// on stderr containing want.
func convertFails(t *testing.T, want string, args ...string) {
	t.Helper()
	code, _, stderr := runCLI(t, nil, append([]string{"convert"}, args...)...)
	if code != exitUsage {
		t.Fatalf("convert %v: exit %d, want %d (stderr %q)", args, code, exitUsage, stderr)
	}
	if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, want) {
		t.Fatalf("stderr = %q, want one line containing %q", stderr, want)
	}
}

func TestConvertJournalToHARAndBack(t *testing.T) {
	dir := t.TempDir()
	orig, har, back := filepath.Join(dir, "orig.jsonl"), filepath.Join(dir, "x.har"), filepath.Join(dir, "back.jsonl")
	writeTestJournal(t, orig, convertExchanges())

	out := convertOK(t, orig, har)
	if !strings.Contains(out, "converted 4 exchanges") || !strings.Contains(out, "(journal)") {
		t.Errorf("stdout = %q", out)
	}
	convertOK(t, har, back)

	h1, l1 := readJournalLines(t, orig)
	h2, l2 := readJournalLines(t, back)
	if h1 != h2 {
		t.Errorf("header changed:\n got %+v\nwant %+v", h2, h1)
	}
	if strings.Join(l1, "\n") != strings.Join(l2, "\n") {
		t.Errorf("exchanges changed:\n got %s\nwant %s", strings.Join(l2, "\n"), strings.Join(l1, "\n"))
	}
	b1, _ := os.ReadFile(orig)
	b2, _ := os.ReadFile(back)
	if !bytes.Equal(b1, b2) {
		t.Errorf("journal → HAR → journal is not byte-identical")
	}
}

// TestConvertImportsToolHARs imports the constructed Chrome, Firefox,
// mitmproxy and ZAP exports of package journal's testdata.
func TestConvertImportsToolHARs(t *testing.T) {
	want := map[string]int{"chrome.har": 3, "firefox.har": 3, "mitmproxy.har": 3, "zap.har": 2}
	for name, n := range want {
		t.Run("ok/"+name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "imported.jsonl")
			convertOK(t, filepath.Join("..", "..", "journal", "testdata", "har", name), out)
			h, lines := readJournalLines(t, out)
			if len(lines) != n {
				t.Fatalf("%d exchanges, want %d", len(lines), n)
			}
			if !strings.HasPrefix(h.Source, "har:") || h.Tool != "acmeproxy "+version || h.Started.IsZero() {
				t.Errorf("header = %+v", h)
			}
		})
	}
}

func TestConvertZlibHAR(t *testing.T) {
	dir := t.TempDir()
	raw, err := os.ReadFile(filepath.Join("..", "..", "journal", "testdata", "har", "mitmproxy.har"))
	if err != nil {
		t.Fatal(err)
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(raw)
	zw.Close()
	in := filepath.Join(dir, "flows.zhar")
	os.WriteFile(in, z.Bytes(), 0o600)
	if out := convertOK(t, in, filepath.Join(dir, "out.jsonl")); !strings.Contains(out, "converted 3 exchanges") {
		t.Fatalf("stdout = %q", out)
	}
}

func TestConvertNotHAR(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "cert.pem")
	os.WriteFile(in, []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), 0o600)
	out := filepath.Join(dir, "out.jsonl")
	convertFails(t, in+": not a HAR file", in, out)
	if _, err := os.Stat(out); err == nil {
		t.Error("OUT was created for bad input")
	}
}

func TestConvertCorruptJournalLine(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	writeTestJournal(t, in, convertExchanges())
	b, _ := os.ReadFile(in)
	lines := strings.SplitAfter(string(b), "\n")
	lines[2] = `{"seq":2,"conn":1,"request":{"method":"PO` + "\n" // line 3
	os.WriteFile(in, []byte(strings.Join(lines, "")), 0o600)
	for _, out := range []string{"out.har", "out.jsonl"} {
		t.Run("fail/to-"+out, func(t *testing.T) {
			convertFails(t, in+":3: corrupt record", in, filepath.Join(dir, out))
			if m, _ := filepath.Glob(filepath.Join(dir, "*out*")); len(m) != 0 {
				t.Errorf("left behind %v", m)
			}
		})
	}
}

func TestConvertBadHAREntry(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.har")
	os.WriteFile(in, []byte(`{"log":{"entries":[{"request":{"method":"GET","url":"https://a.example/"},"response":{"status":200}},
		{"request":{"method":"GET","url":"/relative"},"response":{"status":200}}]}}`), 0o600)
	convertFails(t, in+": entry 2: bad HAR entry: request.url \"/relative\" is not absolute", in, filepath.Join(dir, "out.jsonl"))
}

func TestConvertTornJournal(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	writeTestJournal(t, in, convertExchanges())
	b, _ := os.ReadFile(in)
	os.WriteFile(in, b[:len(b)-20], 0o600) // the writer was killed mid-record
	code, stdout, stderr := runCLI(t, nil, "convert", in, filepath.Join(dir, "out.har"))
	if code != exitOK || !strings.Contains(stdout, "converted 3 exchanges") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "warning: "+in+":5:") || !strings.Contains(stderr, "torn last line skipped") {
		t.Errorf("stderr = %q, want a warning naming line 5", stderr)
	}
}

func TestConvertRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.jsonl"), filepath.Join(dir, "out.har")
	writeTestJournal(t, in, convertExchanges())
	os.WriteFile(out, []byte("keep me"), 0o600)
	convertFails(t, out+" exists; use --force", in, out)
	if b, _ := os.ReadFile(out); string(b) != "keep me" {
		t.Fatal("OUT was changed without --force")
	}
	convertOK(t, "--force", in, out)
	if b, _ := os.ReadFile(out); !bytes.HasPrefix(b, []byte(`{"log":`)) {
		t.Fatalf("OUT after --force = %.40q", b)
	}
}

func TestConvertUsageErrors(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	writeTestJournal(t, in, convertExchanges())
	tests := []struct {
		name, want string
		args       []string
	}{
		{"fail/unknown-extension", "use .har or .jsonl", []string{in, filepath.Join(dir, "out.txt")}},
		{"fail/missing-input", "nope.har: no such file", []string{filepath.Join(dir, "nope.har"), filepath.Join(dir, "o.jsonl")}},
		{"fail/one-argument", "accepts 2 arg(s)", []string{in}},
		{"fail/output-dir-missing", "cannot write", []string{in, filepath.Join(dir, "no", "such", "o.har")}},
		{"fail/empty-input", "not a HAR file", []string{emptyFile(t, dir), filepath.Join(dir, "o.jsonl")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { convertFails(t, tc.want, tc.args...) })
	}
}

func emptyFile(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "empty")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
