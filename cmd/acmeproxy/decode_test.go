package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/journal"
)

// The decoder's constructed recordings serve as CLI input.
const (
	decodeTestV2Journal = "../../decode/testdata/exchanges/constructed-v2-pebble/journal.jsonl"
	decodeTestV1Journal = "../../decode/testdata/exchanges/constructed-v1-boulder/journal.jsonl"
)

func decodeTestLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.SplitAfter(strings.TrimSuffix(string(b), "\n"), "\n")
}

func TestDecodeTimeline(t *testing.T) {
	code, stdout, stderr := runCLI(t, nil, "decode", decodeTestV2Journal)
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if want := len(decodeTestLines(t, decodeTestV2Journal)) - 1; len(lines) != want {
		t.Fatalf("%d lines, want one per exchange (%d):\n%s", len(lines), want, stdout)
	}
	for i, want := range map[int][]string{
		0:  {"1 v2", "directory", "200 v2 directory"},
		3:  {"order.create", "dns:example.com,dns:www.example.com", "201 pending"},
		9:  {"challenge.trigger", "{}", "400 badNonce"},
		12: {"order.finalize", "csr=dns:example.com,dns:www.example.com", "200 processing retry-after=3s"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("line %d %q lacks %q", i+1, lines[i], w)
			}
		}
	}
}

func TestDecodeJSONLines(t *testing.T) {
	code, stdout, _ := runCLI(t, nil, "decode", "--json", decodeTestV2Journal, decodeTestV1Journal)
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(nil, 1<<20)
	n := 0
	ops := map[decode.Operation]bool{}
	for sc.Scan() {
		var m decode.Message
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		ops[m.Operation] = true
		n++
	}
	want := len(decodeTestLines(t, decodeTestV2Journal)) + len(decodeTestLines(t, decodeTestV1Journal)) - 2
	if n != want || !ops[decode.OpCertIssue] || !ops[decode.OpOrderFinalize] {
		t.Errorf("%d messages (want %d), operations %v", n, want, ops)
	}
}

func TestDecodeCorruptLine(t *testing.T) {
	lines := decodeTestLines(t, decodeTestV2Journal)
	lines[2] = "{\"seq\": 2, this is not JSON\n"
	path := filepath.Join(t.TempDir(), "corrupt.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, nil, "decode", path)
	if code != exitUsage || !strings.Contains(stderr, path+":3:") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if got := strings.Count(stdout, "\n"); got != len(lines)-2 {
		t.Errorf("%d lines decoded, want the other %d", got, len(lines)-2)
	}
}

func TestDecodeTornLastLine(t *testing.T) {
	lines := decodeTestLines(t, decodeTestV2Journal)
	path := filepath.Join(t.TempDir(), "torn.jsonl")
	torn := strings.Join(lines, "") + "\n" + `{"seq":99,"request":{"method":"PO`
	if err := os.WriteFile(path, []byte(torn), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, nil, "decode", path)
	if code != exitOK || !strings.Contains(stderr, "warning") || !strings.Contains(stderr, "torn") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if got := strings.Count(stdout, "\n"); got != len(lines)-1 {
		t.Errorf("%d lines, want %d", got, len(lines)-1)
	}
}

func TestDecodeHAR(t *testing.T) {
	r, err := journal.Open(decodeTestV1Journal)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var buf bytes.Buffer
	if err := journal.WriteHAR(&buf, r.Header(), r.All()); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "capture.har")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	_, fromJournal, _ := runCLI(t, nil, "decode", decodeTestV1Journal)
	code, fromHAR, stderr := runCLI(t, nil, "decode", path)
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if fromHAR != fromJournal {
		t.Errorf("HAR timeline differs from the journal's:\n%s\nvs\n%s", fromHAR, fromJournal)
	}
}

func TestDecodeMissingFile(t *testing.T) {
	code, _, stderr := runCLI(t, nil, "decode", filepath.Join(t.TempDir(), "nope.jsonl"))
	if code != exitUsage || !strings.Contains(stderr, "nope.jsonl") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if code, _, _ := runCLI(t, nil, "decode"); code != exitUsage {
		t.Errorf("no file: exit %d", code)
	}
}
