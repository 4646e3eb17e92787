package decode_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/internal/journaltest"
	"github.com/acmeproxy/acmeproxy/journal"
)

// The real corpus: journals recorded through the proxy from real clients
// against real servers (internal/scenarios: x/crypto/acme, lego and
// hand-built requests against in-process Pebble, the acme-tiny-style client
// against the v1 test CA; internal/legacyca/v1client: the pinned pre-RFC
// x/crypto/acme against the v1 test CA). Each has a golden of its decoded
// messages under testdata/golden.
const (
	recordingsDir = "../examples/recordings"
	goldenDir     = "testdata/golden"
	goldenSuffix  = ".decoded.golden.jsonl"
	coverageFile  = "COVERAGE.md"
)

// TestGoldenRecordings decodes every examples/recordings/*.jsonl with one
// Decoder and compares the messages, one compact JSON object per line,
// with testdata/golden/<name>.decoded.golden.jsonl. The golden is the
// decoder's output as is: a journal is a fixed file, so nothing in its
// decoding varies between runs and nothing is normalised. With -update,
// goldens that differ are rewritten, missing ones created and those whose
// recording is gone removed; the others are left untouched.
func TestGoldenRecordings(t *testing.T) {
	recordings := corpus(t)
	want := map[string]bool{}
	for _, rec := range recordings {
		name := strings.TrimSuffix(filepath.Base(rec), ".jsonl")
		golden := filepath.Join(goldenDir, name+goldenSuffix)
		want[golden] = true
		t.Run(name, func(t *testing.T) {
			got := decodeJournalLines(t, rec)
			old, err := os.ReadFile(golden)
			if err != nil && !*update {
				t.Fatalf("%v (run go test ./decode -run TestGoldenRecordings -update to create it)", err)
			}
			if bytes.Equal(got, old) {
				return
			}
			if *update {
				if err := os.MkdirAll(goldenDir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("rewrote %s", golden)
				return
			}
			t.Errorf("%s differs from the decoder's output of %s (run with -update to accept):\n%s", golden, rec, messageDiff(old, got))
		})
	}
	stale, _ := filepath.Glob(filepath.Join(goldenDir, "*"+goldenSuffix))
	for _, g := range stale {
		if want[g] {
			continue
		}
		if *update {
			if err := os.Remove(g); err != nil {
				t.Fatal(err)
			}
			t.Logf("removed %s: its recording is gone", g)
			continue
		}
		t.Errorf("%s has no recording in %s (run with -update to remove it)", g, recordingsDir)
	}
}

// corpus lists the real recordings.
func corpus(t *testing.T) []string {
	t.Helper()
	recs, err := filepath.Glob(filepath.Join(recordingsDir, "*.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) == 0 {
		t.Fatal("no recordings under " + recordingsDir)
	}
	return recs
}

// decodeJournalLines decodes a journal in order with one Decoder and
// returns one compact JSON line per message.
func decodeJournalLines(t *testing.T, path string) []byte {
	t.Helper()
	d := decode.NewDecoder()
	var out bytes.Buffer
	journaltest.Each(t, path, func(e *journal.Exchange) {
		b, err := json.Marshal(d.Decode(e))
		if err != nil {
			t.Fatal(err)
		}
		out.Write(b)
		out.WriteByte('\n')
	})
	return out.Bytes()
}

// messageDiff names the first message that differs and, inside it, the
// top-level members that differ, with both values (shortened).
func messageDiff(want, got []byte) string {
	wl := bytes.Split(bytes.TrimSuffix(want, []byte("\n")), []byte("\n"))
	gl := bytes.Split(bytes.TrimSuffix(got, []byte("\n")), []byte("\n"))
	if len(want) == 0 {
		wl = nil
	}
	for i := range max(len(wl), len(gl)) {
		if i >= len(wl) {
			return fmt.Sprintf("line %d: the golden ends; the decoder has %d more messages", i+1, len(gl)-i)
		}
		if i >= len(gl) {
			return fmt.Sprintf("line %d: the decoder's output ends; the golden has %d more messages", i+1, len(wl)-i)
		}
		if bytes.Equal(wl[i], gl[i]) {
			continue
		}
		var w, g map[string]json.RawMessage
		if json.Unmarshal(wl[i], &w) != nil || json.Unmarshal(gl[i], &g) != nil {
			return fmt.Sprintf("line %d:\n  want: %s\n  got:  %s", i+1, short(wl[i]), short(gl[i]))
		}
		var keys []string
		for k := range w {
			keys = append(keys, k)
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		var b strings.Builder
		fmt.Fprintf(&b, "line %d (seq %s, %s %s):", i+1, g["seq"], g["operation"], g["url"])
		for _, k := range keys {
			if !bytes.Equal(w[k], g[k]) {
				fmt.Fprintf(&b, "\n  %s:\n    want: %s\n    got:  %s", k, short(w[k]), short(g[k]))
			}
		}
		return b.String()
	}
	return "(no message differs)"
}

func short(b []byte) string {
	const n = 300
	if len(b) == 0 {
		return "(absent)"
	}
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// notInDialect lists the operations that cannot occur in a dialect, with
// the reason. TestRecordedOperationCoverage expects every other operation
// of decode.Operations() (except OpUnknown, which is not an operation to
// cover) in at least one golden recording of each dialect.
var notInDialect = map[decode.Dialect]map[decode.Operation]string{
	decode.DialectV1: {
		decode.OpNonce:         "v1 has no newNonce resource: every response carries a Replay-Nonce, and clients GET the directory for one",
		decode.OpAccountLookup: "onlyReturnExisting is RFC 8555 §7.3.1; a v1 client found its registration through new-reg's 409 (decoded as account.create)",
		decode.OpOrdersList:    "orders are RFC 8555; v1 has none",
		decode.OpOrderCreate:   "orders are RFC 8555; v1 has none",
		decode.OpOrderPoll:     "orders are RFC 8555; v1 has none",
		decode.OpOrderFinalize: "orders are RFC 8555; v1 issues with new-cert (cert.issue)",
		decode.OpRenewalInfo:   "ARI (RFC 9773) exists only for RFC 8555 servers",
	},
	decode.DialectV2: {
		decode.OpAuthzCreate: "newAuthz (pre-authorization, RFC 8555 §7.4.1) is optional and neither Pebble nor Let's Encrypt offers it, " +
			"so no real v2 recording can have it; TestV2PreAuthorization decodes one",
		decode.OpCertIssue:      "new-cert is v1 only; RFC 8555 issues through finalize",
		decode.OpIssuerDownload: "v1 only: RFC 8555 servers return the chain with the certificate, and Pebble names no issuer URL",
		decode.OpTerms: "Pebble's termsOfService is a data: URL, which no client fetches over HTTP (Let's Encrypt's is a PDF on another host); " +
			"TestV2TermsFetch decodes a fetch of a directory's https terms URL",
	},
}

// coverage maps dialect, then operation, to the recordings with it.
type coverage map[decode.Dialect]map[decode.Operation][]string

// goldenCoverage reads every golden recording and records which
// (dialect, operation) pairs each has. A message without a dialect (a
// self-check: not ACME) counts for the dialect of its recording's ACME
// messages.
func goldenCoverage(t *testing.T) coverage {
	t.Helper()
	goldens, err := filepath.Glob(filepath.Join(goldenDir, "*"+goldenSuffix))
	if err != nil {
		t.Fatal(err)
	}
	if len(goldens) == 0 {
		t.Fatal("no goldens under " + goldenDir)
	}
	cov := coverage{}
	for _, g := range goldens {
		name := strings.TrimSuffix(filepath.Base(g), goldenSuffix)
		type seen struct {
			Dialect   decode.Dialect   `json:"dialect"`
			Operation decode.Operation `json:"operation"`
		}
		var msgs []seen
		dialects := map[decode.Dialect]bool{}
		f, err := os.Open(g)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			var m seen
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatalf("%s: %v", g, err)
			}
			msgs = append(msgs, m)
			if m.Dialect == decode.DialectV1 || m.Dialect == decode.DialectV2 {
				dialects[m.Dialect] = true
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatalf("%s: %v", g, err)
		}
		for _, m := range msgs {
			d := m.Dialect
			if d != decode.DialectV1 && d != decode.DialectV2 {
				if len(dialects) != 1 {
					continue
				}
				for only := range dialects {
					d = only
				}
			}
			if cov[d] == nil {
				cov[d] = map[decode.Operation][]string{}
			}
			if !slices.Contains(cov[d][m.Operation], name) {
				cov[d][m.Operation] = append(cov[d][m.Operation], name)
			}
		}
	}
	return cov
}

// TestRecordedOperationCoverage: every operation of decode.Operations()
// appears, in each dialect, in at least one golden recording of real
// traffic, except those notInDialect explains. It also fails when an
// operation said to be impossible in a dialect shows up there (the reason
// is then wrong), and keeps testdata/golden/COVERAGE.md, the table of
// which recordings cover what, up to date (-update rewrites it).
func TestRecordedOperationCoverage(t *testing.T) {
	cov := goldenCoverage(t)
	for _, d := range []decode.Dialect{decode.DialectV1, decode.DialectV2} {
		var missing []string
		for _, op := range decode.Operations() {
			if op == decode.OpUnknown {
				continue
			}
			reason, impossible := notInDialect[d][op]
			got := cov[d][op]
			switch {
			case impossible && len(got) > 0:
				t.Errorf("%s %s is in %q, yet notInDialect says: %s", d, op, got, reason)
			case !impossible && len(got) == 0:
				missing = append(missing, string(op))
			}
		}
		if len(missing) > 0 {
			t.Errorf("%s operations in no golden recording: %s", d, strings.Join(missing, ", "))
		}
	}
	if cov[decode.DialectV1][decode.OpUnknown] != nil || cov[decode.DialectV2][decode.OpUnknown] != nil {
		t.Errorf("exchanges the decoder could not name: v1 %q, v2 %q",
			cov[decode.DialectV1][decode.OpUnknown], cov[decode.DialectV2][decode.OpUnknown])
	}

	table := coverageTable(cov)
	path := filepath.Join(goldenDir, coverageFile)
	old, err := os.ReadFile(path)
	if bytes.Equal(old, table) {
		return
	}
	if *update {
		if err := os.WriteFile(path, table, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote %s", path)
		return
	}
	if err != nil {
		t.Errorf("%v (run with -update to create it)", err)
		return
	}
	t.Errorf("%s is out of date (run with -update to rewrite it):\n%s", path, firstDiff(old, table))
}

// maxCell is how many recordings a cell of the coverage table names.
const maxCell = 4

// coverageTable renders the coverage as Markdown: one row per operation,
// one column per dialect, each cell the recordings that have it (the first
// maxCell by name, and how many more) or why none can.
func coverageTable(cov coverage) []byte {
	var b bytes.Buffer
	b.WriteString("# Operation coverage of the recorded corpus\n\n")
	b.WriteString("Generated by `go test ./decode -run TestRecordedOperationCoverage -update` from the goldens beside this\n")
	b.WriteString("file (the decoded `examples/recordings/*.jsonl`). A self-check has no dialect; it counts for its recording's.\n\n")
	b.WriteString("| operation | v1 | v2 |\n|---|---|---|\n")
	cell := func(d decode.Dialect, op decode.Operation) string {
		if reason, ok := notInDialect[d][op]; ok {
			return "— " + reason
		}
		recs := cov[d][op]
		if len(recs) == 0 {
			return "**missing**"
		}
		slices.Sort(recs)
		var parts []string
		for _, r := range recs[:min(len(recs), maxCell)] {
			parts = append(parts, "`"+r+"`")
		}
		if len(recs) > maxCell {
			parts = append(parts, fmt.Sprintf("and %d more", len(recs)-maxCell))
		}
		return strings.Join(parts, " ")
	}
	for _, op := range decode.Operations() {
		if op == decode.OpUnknown {
			continue
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", op, cell(decode.DialectV1, op), cell(decode.DialectV2, op))
	}
	return b.Bytes()
}
