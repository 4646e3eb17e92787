package lint

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"slices"
	"time"

	"github.com/acmeproxy/acmeproxy/journal"
)

// tailBytes is how much of a journal's end guessEnd reads.
const tailBytes = 256 << 10

// guessEnd returns the latest exchange end among the last records of the
// journals at paths: the recordings' end, unless an earlier exchange
// ended later than all of those (Run checks). It reports false when a
// path is not a journal or its end cannot be read.
func guessEnd(paths []string) (time.Time, bool) {
	var end time.Time
	for _, p := range paths {
		t, ok := tailEnd(p)
		if !ok {
			return time.Time{}, false
		}
		if t.After(end) {
			end = t
		}
	}
	return end, !end.IsZero()
}

func tailEnd(path string) (time.Time, bool) {
	f, err := os.Open(path)
	if err != nil {
		return time.Time{}, false
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, _ := io.ReadFull(f, head)
	if !isJournal(head[:n]) {
		return time.Time{}, false
	}
	st, err := f.Stat()
	if err != nil {
		return time.Time{}, false
	}
	off := max(0, st.Size()-tailBytes)
	buf := make([]byte, st.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
		return time.Time{}, false
	}
	lines := bytes.Split(buf, []byte("\n"))
	lines = lines[1:] // a partial line, or the header
	var end time.Time
	for _, line := range lines {
		var rec struct {
			Seq uint64    `json:"seq"`
			End time.Time `json:"end"`
		}
		if json.Unmarshal(line, &rec) == nil && rec.Seq != 0 && rec.End.After(end) {
			end = rec.End
		}
	}
	return end, !end.IsZero()
}

// readLines reads the exchanges at the given lines of the recording at
// path and calls fn with each. A journal's other lines are skipped
// without being parsed: the wanted ones are handed to a journal.Reader
// through a filter, so they are read exactly as a lint reads them.
func readLines(path string, lines map[int]bool, fn func(*journal.Exchange) error) error {
	rec, err := Open(path)
	if err != nil {
		return err
	}
	if rec.Format != FormatJournal {
		defer rec.Close()
		for {
			e, err := rec.nextFn()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if lines[e.Line] {
				if err := fn(e); err != nil {
					return err
				}
			}
		}
	}
	rec.Close()
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	want := make([]int, 0, len(lines))
	for l := range lines {
		want = append(want, l)
	}
	slices.Sort(want)
	filter := &lineFilter{br: bufio.NewReaderSize(f, 256<<10), want: want}
	r, err := journal.NewReader(filter, path)
	if err != nil {
		return err
	}
	for i := 0; ; i++ {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if i >= len(filter.passed) {
			return errors.New("lint: rereading " + path + ": more records than lines passed")
		}
		e.Line = filter.passed[i]
		if err := fn(e); err != nil {
			return err
		}
	}
}

// lineFilter passes a journal's header line and the wanted lines (by
// 1-based number, sorted) and drops the others unparsed. passed lists the
// numbers of the lines passed after the header, in order.
type lineFilter struct {
	br     *bufio.Reader
	want   []int
	line   int
	out    []byte
	passed []int
	err    error
}

func (f *lineFilter) Read(p []byte) (int, error) {
	for len(f.out) == 0 {
		if f.err != nil {
			return 0, f.err
		}
		if f.line > 0 && len(f.want) == 0 {
			return 0, io.EOF
		}
		f.next()
	}
	n := copy(p, f.out)
	f.out = f.out[n:]
	return n, nil
}

// next reads one line and keeps it in out when it is wanted.
func (f *lineFilter) next() {
	var line []byte
	for len(f.want) > 0 && f.line > 0 && f.want[0] <= f.line {
		f.want = f.want[1:] // the header's number, or one repeated: nothing more to pass
	}
	if f.line > 0 && len(f.want) == 0 {
		return
	}
	keep := f.line == 0 || f.want[0] == f.line+1
	for {
		chunk, err := f.br.ReadSlice('\n')
		if keep {
			line = append(line, chunk...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			f.err = err
		}
		break
	}
	if len(line) == 0 && f.err != nil {
		return
	}
	f.line++
	if keep {
		if f.line > 1 {
			f.passed = append(f.passed, f.line)
			f.want = f.want[1:]
		}
		if !bytes.HasSuffix(line, []byte("\n")) {
			line = append(line, '\n')
		}
		f.out = line
	}
}
