package main

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/acmeproxy/acmeproxy/journal"
)

// Recording formats convert reads and writes.
const (
	kindJournal = "journal"
	kindHAR     = "HAR"
)

// newConvertCmd returns "acmeproxy convert IN OUT".
func newConvertCmd(e *env) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "convert IN OUT",
		Short: "Convert a recording between journal (JSON Lines) and HAR 1.2",
		Long: `convert reads a recording and writes it in the format OUT's extension names:
.jsonl for an acmeproxy journal, .har for HAR 1.2. The input's format is read
from its content: a journal starts with an acmeproxy-journal header line;
anything else is read as HAR (as written by browsers, mitmproxy, including
zlib-compressed .zhar, and ZAP).

Exporting to HAR and importing it back gives the same exchanges: what HAR
cannot hold travels in "_acmeproxy" members. OUT is written whole or not at
all, and an existing OUT is kept unless --force is given.`,
		Example: `  acmeproxy convert capture.jsonl capture.har
  acmeproxy convert chrome-export.har imported.jsonl`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return convert(e, args[0], args[1], force)
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "overwrite OUT if it exists")
	return cmd
}

// convert converts the recording at in into out.
func convert(e *env, in, out string, force bool) error {
	outKind, err := kindOfOutput(out)
	if err != nil {
		return err
	}
	if !force {
		if _, err := os.Lstat(out); err == nil {
			return usageErrorf("convert: %s exists; use --force to overwrite it", out)
		}
	}
	src, err := openSource("convert", in)
	if err != nil {
		return err
	}
	defer src.close()
	tmp, n, err := writeTemp(src, out, outKind)
	if err != nil {
		return err
	}
	if err := install(tmp, out, force); err != nil {
		os.Remove(tmp)
		return err
	}
	src.warnEnd(e.stderr)
	fmt.Fprintf(e.stdout, "converted %d exchanges: %s (%s) -> %s (%s)\n", n, in, src.kind, out, outKind)
	return nil
}

// kindOfOutput reads the output format from the file name.
func kindOfOutput(out string) (string, error) {
	switch strings.ToLower(filepath.Ext(out)) {
	case ".har":
		return kindHAR, nil
	case ".jsonl":
		return kindJournal, nil
	}
	return "", usageErrorf("convert: cannot tell the format of %s from its name: use .har or .jsonl", out)
}

// source is an open recording, journal or HAR, for convert and decode.
type source struct {
	name   string
	kind   string
	header journal.Header
	all    iter.Seq2[*journal.Exchange, error]
	reader *journal.Reader // journals only: Torn and ZeroTail once read
	close  func() error
}

// openSource opens in and reads its header, choosing the reader from the
// content. Errors start with cmd, name the file (and line or entry) and
// are usage errors.
func openSource(cmd, in string) (*source, error) {
	f, err := os.Open(in)
	if err != nil {
		return nil, usageErrorf("%s: %w", cmd, err)
	}
	br, kind, err := sniff(f)
	if err != nil {
		f.Close()
		return nil, usageErrorf("%s: %s: %w", cmd, in, err)
	}
	src := &source{name: in, kind: kind, close: f.Close}
	if kind == kindJournal {
		r, err := journal.NewReader(br, in)
		if err != nil {
			f.Close()
			return nil, usageErrorf("%s: %w", cmd, err)
		}
		src.header, src.all, src.reader = r.Header(), r.All(), r
		return src, nil
	}
	r, err := journal.ReadHAR(br, in)
	if err != nil {
		f.Close()
		return nil, usageErrorf("%s: %w", cmd, err)
	}
	src.header, src.all = r.Header(), r.All()
	if src.header.Tool == "" {
		src.header.Tool = "acmeproxy " + version
	}
	return src, nil
}

// warnEnd writes to w, once the source has been read, a warning for a
// journal's torn last line and a note for the zero bytes it ended with.
func (s *source) warnEnd(w io.Writer) {
	if s.reader == nil {
		return
	}
	if t := s.reader.Torn; t != nil {
		fmt.Fprintf(w, "acmeproxy: warning: %v (torn last line skipped)\n", t)
	}
	if z := s.reader.ZeroTail; z > 0 {
		fmt.Fprintf(w, "acmeproxy: note: %s was not closed by its proxy: %d zero bytes reserved after its last record skipped\n", s.name, z)
	}
}

// sniff tells a journal from a HAR by the first line, undoing zlib
// compression (mitmproxy's .zhar) and skipping a UTF-8 byte order mark.
func sniff(f io.Reader) (io.Reader, string, error) {
	br := bufio.NewReaderSize(f, 64<<10)
	head, _ := br.Peek(2)
	if len(head) == 2 && head[0] == 0x78 && (uint(head[0])<<8|uint(head[1]))%31 == 0 {
		zr, err := zlib.NewReader(br)
		if err != nil {
			return nil, "", fmt.Errorf("reading zlib-compressed input: %w", err)
		}
		br = bufio.NewReaderSize(zr, 64<<10)
	}
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	peek, _ := br.Peek(64 << 10)
	first, _, _ := bytes.Cut(peek, []byte{'\n'})
	var h struct {
		Format string `json:"format"`
	}
	if json.Unmarshal(first, &h) == nil && h.Format == journal.Format {
		return br, kindJournal, nil
	}
	return br, kindHAR, nil
}

// writeTemp writes the converted recording to a new temporary file beside
// out and returns its name and the number of exchanges.
func writeTemp(src *source, out, kind string) (string, int, error) {
	f, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*.tmp")
	if err != nil {
		return "", 0, usageErrorf("convert: cannot write %s: %w", out, err)
	}
	tmp := f.Name()
	var n int
	if kind == kindHAR {
		n, err = writeHAR(f, src)
	} else {
		f.Close()
		os.Remove(tmp) // journal.Create makes the file itself
		n, err = writeJournal(tmp, src)
	}
	if err != nil {
		os.Remove(tmp)
		return "", 0, err
	}
	return tmp, n, nil
}

// counted yields seq's exchanges, stops at the first error and counts
// what it yielded.
func counted(seq iter.Seq2[*journal.Exchange, error], n *int) iter.Seq2[*journal.Exchange, error] {
	return func(yield func(*journal.Exchange, error) bool) {
		for e, err := range seq {
			if err == nil {
				*n++
			}
			if !yield(e, err) || err != nil {
				return
			}
		}
	}
}

// writeHAR writes src as HAR to f and closes f.
func writeHAR(f *os.File, src *source) (int, error) {
	n := 0
	err := journal.WriteHAR(f, src.header, counted(src.all, &n))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, inputOrEngineError(err)
}

// writeJournal writes src as a new journal at path.
func writeJournal(path string, src *source) (int, error) {
	header, all := startedFromFirst(src.header, src.all)
	w, err := journal.Create(path, header, journal.SyncNone)
	if err != nil {
		return 0, usageErrorf("convert: %w", err)
	}
	n := 0
	for e, err := range counted(all, &n) {
		if err != nil {
			w.Close()
			return 0, usageErrorf("convert: %w", err)
		}
		if err := w.Append(e); err != nil {
			w.Close()
			return 0, &exitError{code: exitEngine, err: fmt.Errorf("convert: %w", err)}
		}
	}
	if err := w.Close(); err != nil { // Close syncs
		return 0, &exitError{code: exitEngine, err: fmt.Errorf("convert: %w", err)}
	}
	return n, nil
}

// startedFromFirst fills a missing header start time (a HAR without
// pages) from the first exchange, without losing it from the sequence.
func startedFromFirst(h journal.Header, all iter.Seq2[*journal.Exchange, error]) (journal.Header, iter.Seq2[*journal.Exchange, error]) {
	if !h.Started.IsZero() {
		return h, all
	}
	next, stop := iter.Pull2(all)
	first, firstErr, ok := next()
	if ok && firstErr == nil {
		h.Started = first.Start
	}
	return h, func(yield func(*journal.Exchange, error) bool) {
		defer stop()
		if !ok || !yield(first, firstErr) {
			return
		}
		for {
			e, err, ok := next()
			if !ok || !yield(e, err) {
				return
			}
		}
	}
}

// inputOrEngineError classifies an error from WriteHAR: bad input is a
// usage error naming the file and line or entry; anything else (writing
// OUT) means the tool failed.
func inputOrEngineError(err error) error {
	if err == nil {
		return nil
	}
	_, isLine := errors.AsType[*journal.LineError](err)
	_, isEntry := errors.AsType[*journal.EntryError](err)
	if isLine || isEntry {
		return usageErrorf("convert: %w", errors.Unwrap(err))
	}
	return &exitError{code: exitEngine, err: fmt.Errorf("convert: %w", err)}
}

// install moves the finished temporary file to out: atomically replacing
// it with force, else only if out still does not exist.
func install(tmp, out string, force bool) error {
	if force {
		if err := os.Rename(tmp, out); err != nil {
			return usageErrorf("convert: %w", err)
		}
		return nil
	}
	err := os.Link(tmp, out)
	switch {
	case err == nil:
		os.Remove(tmp)
		return nil
	case errors.Is(err, os.ErrExist):
		return usageErrorf("convert: %s exists; use --force to overwrite it", out)
	}
	// No hard links here: check again and rename.
	if _, err := os.Lstat(out); err == nil {
		return usageErrorf("convert: %s exists; use --force to overwrite it", out)
	}
	if err := os.Rename(tmp, out); err != nil {
		return usageErrorf("convert: %w", err)
	}
	return nil
}
