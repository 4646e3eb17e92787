package journal_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/acmeproxy/acmeproxy/journal"
)

// zeros returns n zero bytes.
func zeros(n int) string { return strings.Repeat("\x00", n) }

// gapMessage is what the line of mem.jsonl holding a gap of n zero bytes
// is reported as.
func gapMessage(line, n int) string {
	return fmt.Sprintf("mem.jsonl:%d: corrupt record: %d zero bytes: space reserved for records "+
		"that never reached the disk (the machine stopped before they were synced)", line, n)
}

// readSeqs reads the rest of r and returns the sequence numbers and lines
// of the records, and the errors, checking that every error is a
// *LineError wrapping ErrCorruptRecord and that io.EOF stays put.
func readSeqs(t *testing.T, r *journal.Reader) (seqs []uint64, lines []int, errs []error) {
	t.Helper()
	for range 1000 {
		e, err := r.Next()
		if err == io.EOF {
			if _, err := r.Next(); err != io.EOF {
				t.Fatalf("Next after io.EOF = %v, want io.EOF again", err)
			}
			return seqs, lines, errs
		}
		if err != nil {
			if _, ok := errors.AsType[*journal.LineError](err); !ok || !errors.Is(err, journal.ErrCorruptRecord) {
				t.Fatalf("error %v (%T) is not a *LineError wrapping ErrCorruptRecord", err, err)
			}
			errs = append(errs, err)
			continue
		}
		seqs = append(seqs, e.Seq)
		lines = append(lines, e.Line)
	}
	t.Fatal("Next did not reach io.EOF")
	return
}

// TestReaderZeroTail: zero bytes after the last complete line end the
// journal without an error or a torn line, and are counted in ZeroTail,
// however long the run and wherever it falls in the read buffer.
func TestReaderZeroTail(t *testing.T) {
	e := newExchange("a", 50)
	rec1, rec2 := recordLine(t, e, 1), recordLine(t, e, 2)
	tests := []struct {
		name      string
		body      string
		wantSeqs  []uint64
		wantLines []int
		wantZeros int64
	}{
		{"after-records/1", rec1 + rec2 + zeros(1), []uint64{1, 2}, []int{2, 3}, 1},
		{"after-records/4096", rec1 + rec2 + zeros(4096), []uint64{1, 2}, []int{2, 3}, 4096},
		{"after-records/over-the-read-buffer", rec1 + rec2 + zeros(200_000), []uint64{1, 2}, []int{2, 3}, 200_000},
		{"after-header", zeros(70_000), nil, nil, 70_000},
		{"after-blank-line", rec1 + "\n" + zeros(10), []uint64{1}, []int{2}, 10},
		{"after-spaces", rec1 + "  " + zeros(10), []uint64{1}, []int{2}, 10},
		{"after-crlf", strings.TrimSuffix(rec1, "\n") + "\r\n" + zeros(10), []uint64{1}, []int{2}, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := journal.NewReader(strings.NewReader(headerLine+tc.body), "mem.jsonl")
			if err != nil {
				t.Fatal(err)
			}
			seqs, lines, errs := readSeqs(t, r)
			if !slices.Equal(seqs, tc.wantSeqs) || !slices.Equal(lines, tc.wantLines) {
				t.Errorf("seqs %v at lines %v, want %v at %v", seqs, lines, tc.wantSeqs, tc.wantLines)
			}
			if len(errs) != 0 {
				t.Errorf("errors %v, want none", errs)
			}
			if r.Torn != nil {
				t.Errorf("Torn = %v, want none", r.Torn)
			}
			if r.ZeroTail != tc.wantZeros {
				t.Errorf("ZeroTail = %d, want %d", r.ZeroTail, tc.wantZeros)
			}
		})
	}
}

// TestReaderNoZeroTail: a journal without zero bytes leaves ZeroTail at 0.
func TestReaderNoZeroTail(t *testing.T) {
	e := newExchange("a", 50)
	for _, body := range []string{"", recordLine(t, e, 1), recordLine(t, e, 1) + recordLine(t, e, 2)[:60]} {
		r, _, _ := readString(t, headerLine+body)
		if r.ZeroTail != 0 {
			t.Errorf("ZeroTail = %d for %q", r.ZeroTail, body)
		}
	}
}

// TestReaderTornThenZeros: the part of a record before a zero tail is the
// torn last line, handled as an unterminated line: kept in Torn when it
// does not parse, returned when it is a whole record.
func TestReaderTornThenZeros(t *testing.T) {
	e := newExchange("a", 50)
	rec1, rec2 := recordLine(t, e, 1), recordLine(t, e, 2)

	t.Run("torn", func(t *testing.T) {
		r, err := journal.NewReader(strings.NewReader(headerLine+rec1+rec2[:100]+zeros(5000)), "mem.jsonl")
		if err != nil {
			t.Fatal(err)
		}
		seqs, lines, errs := readSeqs(t, r)
		if !slices.Equal(seqs, []uint64{1}) || !slices.Equal(lines, []int{2}) || len(errs) != 0 {
			t.Fatalf("seqs %v at lines %v, errors %v; want seq 1 at line 2 and no error", seqs, lines, errs)
		}
		if r.Torn == nil || r.Torn.Line != 3 || !errors.Is(r.Torn, journal.ErrCorruptRecord) ||
			!strings.HasPrefix(r.Torn.Error(), "mem.jsonl:3: corrupt record: unexpected end of JSON input") {
			t.Errorf("Torn = %v, want mem.jsonl:3: corrupt record: unexpected end of JSON input", r.Torn)
		}
		if r.ZeroTail != 5000 {
			t.Errorf("ZeroTail = %d, want 5000", r.ZeroTail)
		}
	})

	t.Run("whole-record-without-newline", func(t *testing.T) {
		r, err := journal.NewReader(strings.NewReader(headerLine+rec1+strings.TrimSuffix(rec2, "\n")+zeros(300_000)), "mem.jsonl")
		if err != nil {
			t.Fatal(err)
		}
		seqs, lines, errs := readSeqs(t, r)
		if !slices.Equal(seqs, []uint64{1, 2}) || !slices.Equal(lines, []int{2, 3}) || len(errs) != 0 {
			t.Fatalf("seqs %v at lines %v, errors %v; want seqs 1, 2 at lines 2, 3", seqs, lines, errs)
		}
		if r.Torn != nil || r.ZeroTail != 300_000 {
			t.Errorf("Torn = %v, ZeroTail = %d; want none and 300000", r.Torn, r.ZeroTail)
		}
	})

	t.Run("too-long", func(t *testing.T) {
		big := recordLine(t, newExchange("big", 200_000), 2)
		r, err := journal.NewReader(strings.NewReader(headerLine+rec1+big[:150_000]+zeros(1000)), "mem.jsonl")
		if err != nil {
			t.Fatal(err)
		}
		r.SetMaxLine(100_000)
		seqs, _, errs := readSeqs(t, r)
		if !slices.Equal(seqs, []uint64{1}) || len(errs) != 0 {
			t.Fatalf("seqs %v, errors %v; want seq 1 and no error", seqs, errs)
		}
		if r.Torn == nil || r.Torn.Error() != "mem.jsonl:3: corrupt record: longer than 100000 bytes" || r.ZeroTail != 1000 {
			t.Errorf("Torn = %v, ZeroTail = %d; want line 3 longer than 100000 bytes, and 1000", r.Torn, r.ZeroTail)
		}
	})
}

// TestReaderZeroGap: a line holding zero bytes followed by other data is a
// corrupt record named by its physical line number, and reading goes on.
func TestReaderZeroGap(t *testing.T) {
	e := newExchange("a", 50)
	rec := func(seq uint64) string { return recordLine(t, e, seq) }
	input := headerLine + // 1
		rec(1) + // 2
		rec(2)[:100] + zeros(5000) + rec(3)[40:] + // 3: a record torn by the gap, the end of another
		rec(4) + // 4
		zeros(100) + "\n" + // 5: a gap ending at a line end
		zeros(3) + rec(6) + // 6: a gap before a whole record, on its line
		"{" + zeros(70_000) + "}" + zeros(2) + "\n" + // 7: two gaps, over the read buffer
		rec(8) // 8
	r, err := journal.NewReader(strings.NewReader(input), "mem.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	seqs, lines, errs := readSeqs(t, r)
	if !slices.Equal(seqs, []uint64{1, 4, 8}) || !slices.Equal(lines, []int{2, 4, 8}) {
		t.Errorf("seqs %v at lines %v, want 1, 4, 8 at lines 2, 4, 8", seqs, lines)
	}
	want := []string{gapMessage(3, 5000), gapMessage(5, 100), gapMessage(6, 3), gapMessage(7, 70_002)}
	if len(errs) != len(want) {
		t.Fatalf("errors %v, want %d", errs, len(want))
	}
	for i, err := range errs {
		if err.Error() != want[i] {
			t.Errorf("error %d = %q, want %q", i, err, want[i])
		}
	}
	if r.Torn != nil || r.ZeroTail != 0 {
		t.Errorf("Torn = %v, ZeroTail = %d; want none and 0", r.Torn, r.ZeroTail)
	}
	// The line numbers are physical: line 5 of the input is the zero line.
	if got := strings.Split(input, "\n")[4]; got != zeros(100) {
		t.Errorf("physical line 5 is %q", got)
	}
}

// TestReaderZeroGapThenTail: a last line with a gap and then a zero tail
// is torn; ZeroTail counts only the run at the end.
func TestReaderZeroGapThenTail(t *testing.T) {
	e := newExchange("a", 50)
	r, err := journal.NewReader(strings.NewReader(headerLine+recordLine(t, e, 1)+zeros(10)+"tail"+zeros(20)), "mem.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	seqs, _, errs := readSeqs(t, r)
	if !slices.Equal(seqs, []uint64{1}) || len(errs) != 0 {
		t.Fatalf("seqs %v, errors %v; want seq 1 and no error", seqs, errs)
	}
	if r.Torn == nil || r.Torn.Error() != gapMessage(3, 10) {
		t.Errorf("Torn = %v, want %s", r.Torn, gapMessage(3, 10))
	}
	if r.ZeroTail != 20 {
		t.Errorf("ZeroTail = %d, want 20", r.ZeroTail)
	}
}

// TestReaderZeroHeader: a header followed by zero bytes is a journal with
// no records; a file of zero bytes, or whose header is cut by them, is not
// a journal.
func TestReaderZeroHeader(t *testing.T) {
	t.Run("ok/header-then-zeros-without-newline", func(t *testing.T) {
		r, err := journal.NewReader(strings.NewReader(strings.TrimSuffix(headerLine, "\n")+zeros(100)), "mem.jsonl")
		if err != nil {
			t.Fatal(err)
		}
		if r.Header().Format != journal.Format || r.ZeroTail != 100 {
			t.Fatalf("header %+v, ZeroTail %d; want a journal header and 100", r.Header(), r.ZeroTail)
		}
		if _, err := r.Next(); err != io.EOF {
			t.Fatalf("Next = %v, want io.EOF", err)
		}
	})
	tests := []struct {
		name, input, want string
	}{
		{"fail/zero-filled", zeros(4096), "mem.jsonl:1: zero-filled file: not an acmeproxy journal, or recording never started"},
		{"fail/zero-filled-large", zeros(1 << 20), "mem.jsonl:1: zero-filled file: not an acmeproxy journal, or recording never started"},
		{"fail/spaces-then-zeros", "  " + zeros(10), "mem.jsonl:1: zero-filled file"},
		{"fail/torn-header-then-zeros", headerLine[:20] + zeros(10), "mem.jsonl:1: torn header"},
		{"fail/zeros-then-header", zeros(10) + headerLine, "mem.jsonl:1: not an acmeproxy journal header: the first line holds 10 zero bytes"},
		{"fail/header-with-gap", headerLine[:20] + zeros(10) + headerLine[30:], "mem.jsonl:1: not an acmeproxy journal header: the first line holds 10 zero bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := journal.NewReader(strings.NewReader(tc.input), "mem.jsonl")
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to start with %q", err, tc.want)
			}
			if _, ok := errors.AsType[*journal.LineError](err); !ok {
				t.Errorf("err is a %T, want a *LineError", err)
			}
		})
	}
}

// TestReaderLargeZeroTail reads a journal ending in 64 MiB of zero bytes
// (a sparse file) with a 1 MiB line limit: the run is not an error, is not
// "too long", and is never held in memory.
func TestReaderLargeZeroTail(t *testing.T) {
	const tail = 64 << 20
	e := newExchange("a", 50)
	tests := []struct {
		name     string
		body     string
		wantSeqs []uint64
		wantTorn bool
	}{
		{"after-record", recordLine(t, e, 1), []uint64{1}, false},
		{"after-header", "", nil, false},
		{"after-torn-record", recordLine(t, e, 1) + recordLine(t, e, 2)[:100], []uint64{1}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "killed.jsonl")
			content := headerLine + tc.body
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(path, int64(len(content))+tail); err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			r, err := journal.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			r.SetMaxLine(1 << 20)
			seqs, _, errs := readSeqs(t, r)
			runtime.ReadMemStats(&after)
			if !slices.Equal(seqs, tc.wantSeqs) || len(errs) != 0 {
				t.Fatalf("seqs %v, errors %v; want %v and no error", seqs, errs, tc.wantSeqs)
			}
			if (r.Torn != nil) != tc.wantTorn {
				t.Errorf("Torn = %v, want torn %v", r.Torn, tc.wantTorn)
			}
			if r.ZeroTail != tail {
				t.Errorf("ZeroTail = %d, want %d", r.ZeroTail, tail)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
				t.Errorf("allocated %d bytes reading a %d-byte zero tail, want under 1 MiB", alloc, tail)
			}
		})
	}
}
