package journal

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
)

// Sync says when a Writer makes appended records durable.
type Sync int

const (
	// SyncBatch makes every Append wait until its record is on disk. One
	// fsync serves every record written before it started (group commit):
	// a waiting Append starts the next fsync as soon as the previous one
	// returns, never on a timer.
	SyncBatch Sync = iota
	// SyncAlways writes and fsyncs each record on its own.
	SyncAlways
	// SyncNone never fsyncs; records reach the OS page cache only.
	SyncNone
)

var syncNames = [...]string{SyncBatch: "batch", SyncAlways: "always", SyncNone: "none"}

// String returns the flag spelling of s.
func (s Sync) String() string {
	if s < 0 || int(s) >= len(syncNames) {
		return fmt.Sprintf("Sync(%d)", int(s))
	}
	return syncNames[s]
}

// ParseSync reads the flag spelling of a Sync mode.
func ParseSync(name string) (Sync, error) {
	for i, n := range syncNames {
		if n == name {
			return Sync(i), nil
		}
	}
	return 0, fmt.Errorf("journal: unknown sync mode %q (want batch, always or none)", name)
}

// Writer appends exchanges to a journal file. It is safe for concurrent use.
type Writer struct {
	f    *os.File
	path string
	mode Sync

	mu      sync.Mutex // serialises sequence numbers and writes
	seq     uint64
	err     error // first write or sync error; sticky
	closed  bool
	written atomic.Uint64 // records written to the file

	syncMu sync.Mutex    // one fsync at a time
	synced atomic.Uint64 // records known to be on disk
}

// Create creates a new journal at path, writes h as its first line and makes
// it durable. It refuses to overwrite an existing file: a journal is never
// truncated. Format, Version and Tool are filled in when empty.
func Create(path string, h Header, mode Sync) (*Writer, error) {
	if h.Format == "" {
		h.Format = Format
	}
	if h.Version == 0 {
		h.Version = Version
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("journal: %s already exists; a journal is never overwritten", path)
		}
		return nil, fmt.Errorf("journal: creating %s: %w", path, err)
	}
	line, err := json.Marshal(h)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("journal: encoding header: %w", err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return nil, fmt.Errorf("journal: writing header to %s: %w", path, err)
	}
	if mode != SyncNone {
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, fmt.Errorf("journal: syncing %s: %w", path, err)
		}
	}
	return &Writer{f: f, path: path, mode: mode}, nil
}

// Path returns the file the writer appends to.
func (w *Writer) Path() string { return w.path }

// Count returns the number of exchanges appended so far.
func (w *Writer) Count() uint64 { return w.written.Load() }

// Append assigns e the next sequence number, writes it as one line and,
// unless the mode is SyncNone, returns only once the line is on disk. When
// Append returns nil the record survives a crash of the process (and, with
// SyncBatch or SyncAlways, of the machine). e is not retained.
func (w *Writer) Append(e *Exchange) error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return fmt.Errorf("journal: append to closed %s", w.path)
	}
	if w.err != nil {
		err := w.err
		w.mu.Unlock()
		return err
	}
	w.seq++
	e.Seq = w.seq
	line, err := json.Marshal(e)
	if err != nil {
		w.seq--
		w.mu.Unlock()
		return fmt.Errorf("journal: encoding exchange: %w", err)
	}
	line = append(line, '\n')
	if _, err := w.f.Write(line); err != nil {
		w.err = fmt.Errorf("journal: writing %s: %w", w.path, err)
		w.mu.Unlock()
		return w.err
	}
	if w.mode == SyncAlways {
		if err := w.f.Sync(); err != nil {
			w.err = fmt.Errorf("journal: syncing %s: %w", w.path, err)
		}
	}
	mine := w.written.Add(1)
	err = w.err
	w.mu.Unlock()
	if err != nil || w.mode != SyncBatch {
		if err == nil && w.mode == SyncAlways {
			w.synced.Store(mine)
		}
		return err
	}
	return w.waitDurable(mine)
}

// waitDurable returns once record n is on disk. Whoever holds syncMu syncs
// everything written so far, so records queued behind one fsync share the
// next one.
func (w *Writer) waitDurable(n uint64) error {
	w.syncMu.Lock()
	defer w.syncMu.Unlock()
	if w.synced.Load() >= n {
		return nil
	}
	target := w.written.Load()
	if err := w.f.Sync(); err != nil {
		w.mu.Lock()
		if w.err == nil {
			w.err = fmt.Errorf("journal: syncing %s: %w", w.path, err)
		}
		err = w.err
		w.mu.Unlock()
		return err
	}
	w.synced.Store(target)
	return nil
}

// Close makes every appended record durable and closes the file. Appends
// after Close fail.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	err := w.err
	w.mu.Unlock()
	w.syncMu.Lock()
	defer w.syncMu.Unlock()
	if serr := w.f.Sync(); serr != nil && err == nil {
		err = fmt.Errorf("journal: syncing %s: %w", w.path, serr)
	}
	if cerr := w.f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("journal: closing %s: %w", w.path, cerr)
	}
	return err
}
