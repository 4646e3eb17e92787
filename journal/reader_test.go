package journal_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/acmeproxy/acmeproxy/journal"
)

func TestReaderCorruptMiddleLine(t *testing.T) {
	e := newExchange("a", 50)
	input := headerLine + recordLine(t, e, 1) + `{"seq":2,"request":{"method":"PO` + "\n" + recordLine(t, e, 3)
	r, got, errs := readString(t, input)
	if len(got) != 2 || got[0].Seq != 1 || got[1].Seq != 3 || got[1].Line != 4 {
		t.Fatalf("read %d exchanges (%v), want seq 1 and 3 around the corrupt line", len(got), got)
	}
	if len(errs) != 1 {
		t.Fatalf("errors = %v, want one", errs)
	}
	lerr, ok := errors.AsType[*journal.LineError](errs[0])
	if !ok || lerr.Line != 3 || !strings.HasPrefix(errs[0].Error(), "mem.jsonl:3: corrupt record") {
		t.Fatalf("error = %v, want mem.jsonl:3: corrupt record ...", errs[0])
	}
	if !errors.Is(errs[0], journal.ErrCorruptRecord) {
		t.Error("error does not wrap ErrCorruptRecord")
	}
	if r.Torn != nil {
		t.Errorf("Torn = %v for a complete journal", r.Torn)
	}
}

func TestReaderRecordShapes(t *testing.T) {
	e := newExchange("a", 50)
	good := recordLine(t, e, 1)
	tests := []struct {
		name      string
		body      string
		wantSeqs  []uint64
		wantErrs  int
		wantTorn  int // line number, 0 for none
		errSubstr string
	}{
		{name: "ok/complete-last-line-without-newline", body: good + strings.TrimSuffix(recordLine(t, e, 2), "\n"), wantSeqs: []uint64{1, 2}},
		{name: "ok/torn-last-line-skipped", body: good + recordLine(t, e, 2)[:100], wantSeqs: []uint64{1}, wantTorn: 3},
		{name: "ok/blank-lines-skipped", body: "\n" + good + "   \n\r\n" + recordLine(t, e, 2) + "\n\n", wantSeqs: []uint64{1, 2}},
		{name: "ok/crlf-line-ends", body: strings.TrimSuffix(good, "\n") + "\r\n", wantSeqs: []uint64{1}},
		{name: "ok/header-only", body: "", wantSeqs: nil},
		{name: "ok/zeros-after-power-loss", body: good + "\x00\x00\x00\x00", wantSeqs: []uint64{1}}, // a zero tail, not a torn line: see reader_zero_test.go
		{name: "fail/not-an-object", body: "null\n" + good, wantSeqs: []uint64{1}, wantErrs: 1, errSubstr: "mem.jsonl:2: corrupt record: not a JSON object"},
		{name: "fail/no-seq", body: `{"request":{}}` + "\n", wantErrs: 1, errSubstr: "no sequence number"},
		{name: "fail/corrupt-last-line-with-newline", body: good + "{oops\n", wantSeqs: []uint64{1}, wantErrs: 1, errSubstr: "mem.jsonl:3:"},
		{name: "fail/bad-base64-body", body: `{"seq":5,"request":{"body":{"data":"!!"}}}` + "\n", wantErrs: 1, errSubstr: "mem.jsonl:2: corrupt record"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, got, errs := readString(t, headerLine+tc.body)
			var seqs []uint64
			for _, e := range got {
				seqs = append(seqs, e.Seq)
			}
			if !slices.Equal(seqs, tc.wantSeqs) {
				t.Errorf("seqs = %v, want %v", seqs, tc.wantSeqs)
			}
			if len(errs) != tc.wantErrs {
				t.Fatalf("errors = %v, want %d", errs, tc.wantErrs)
			}
			if tc.errSubstr != "" && !strings.Contains(errs[0].Error(), tc.errSubstr) {
				t.Errorf("error %q does not contain %q", errs[0], tc.errSubstr)
			}
			switch {
			case tc.wantTorn == 0 && r.Torn != nil:
				t.Errorf("Torn = %v, want none", r.Torn)
			case tc.wantTorn != 0 && (r.Torn == nil || r.Torn.Line != tc.wantTorn):
				t.Errorf("Torn = %v, want line %d", r.Torn, tc.wantTorn)
			}
		})
	}
}

func TestReaderHeaderErrors(t *testing.T) {
	tests := []struct {
		name, input, want string
	}{
		{"fail/empty-file", "", "mem.jsonl:1: empty file"},
		{"fail/wrong-format", `{"format":"mitmproxy","version":1}` + "\n", `format "mitmproxy" is not "acmeproxy-journal"`},
		{"fail/future-version", `{"format":"acmeproxy-journal","version":2}` + "\n", "unsupported journal version 2"},
		{"fail/version-zero", `{"format":"acmeproxy-journal","version":0}` + "\n", "unsupported journal version 0"},
		{"fail/not-json", "-----BEGIN CERTIFICATE-----\nMIIB\n", "not an acmeproxy journal header"},
		{"fail/pretty-printed-har", "{\n  \"log\": {}\n}\n", "not an acmeproxy journal header"},
		{"fail/torn-header", `{"format":"acmeproxy-jou`, "torn header"},
		{"fail/binary-without-newline", strings.Repeat("\x89PNG", 40000), "first line longer than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := journal.NewReader(strings.NewReader(tc.input), "mem.jsonl")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "mem.jsonl:1: ") {
				t.Errorf("err = %q does not name the file and line 1", err)
			}
		})
	}
}

func TestOpenMissingFile(t *testing.T) {
	_, err := journal.Open(filepath.Join(t.TempDir(), "nope.jsonl"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want ErrNotExist", err)
	}
}

// TestReaderMaxLine skips a line over the limit with an error naming it,
// without holding it, and goes on.
func TestReaderMaxLine(t *testing.T) {
	e := newExchange("a", 50)
	big := newExchange("big", 200_000)
	input := headerLine + recordLine(t, e, 1) + recordLine(t, big, 2) + recordLine(t, e, 3)
	r, err := journal.NewReader(strings.NewReader(input), "mem.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	r.SetMaxLine(100_000)
	var seqs []uint64
	var errs []error
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		seqs = append(seqs, e.Seq)
	}
	if !slices.Equal(seqs, []uint64{1, 3}) || len(errs) != 1 || !strings.Contains(errs[0].Error(), "mem.jsonl:3: corrupt record: longer than 100000 bytes") {
		t.Fatalf("seqs %v, errs %v", seqs, errs)
	}
}

// TestReaderStreams reads a journal through a reader that fails if more
// than the first part of the input is requested before the first record
// is returned: the reader must not slurp the file.
func TestReaderStreams(t *testing.T) {
	e := newExchange("a", 1000)
	var b strings.Builder
	b.WriteString(headerLine)
	for i := range 2000 {
		b.WriteString(recordLine(t, e, uint64(i+1)))
	}
	src := &countingReader{r: strings.NewReader(b.String())}
	r, err := journal.NewReader(src, "mem.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if src.n > 256<<10 {
		t.Fatalf("read %d bytes of %d to return the first record", src.n, b.Len())
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// TestReaderAllStopsOnIOError: All goes on past corrupt records but not
// past a failing source.
func TestReaderAllStopsOnIOError(t *testing.T) {
	e := newExchange("a", 10)
	src := io.MultiReader(strings.NewReader(headerLine+recordLine(t, e, 1)+"garbage\n"), errReader{})
	r, err := journal.NewReader(src, "mem.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var n, corrupt, other int
	for e, err := range r.All() {
		switch {
		case err == nil && e != nil:
			n++
		case errors.Is(err, journal.ErrCorruptRecord):
			corrupt++
		default:
			other++
		}
	}
	if n != 1 || corrupt != 1 || other != 1 {
		t.Fatalf("records %d, corrupt %d, other errors %d; want 1, 1, 1", n, corrupt, other)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }
