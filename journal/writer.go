package journal

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Sync says when a Writer makes appended records durable.
type Sync int

const (
	// SyncBatch makes every Append wait until its record is on disk. One
	// fsync serves every record written before it started (group commit):
	// when an fsync returns, every Append it covered is released at once
	// and, if records were written meanwhile, one of their Appends starts
	// the next fsync straight away for all of them. There is no timer.
	SyncBatch Sync = iota
	// SyncAlways writes and fsyncs each record on its own.
	SyncAlways
	// SyncNone never fsyncs; records reach the OS page cache only. They
	// survive a crash of the process but not of the machine. Close still
	// syncs.
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

// file is the part of *os.File a Writer writes records through; tests
// substitute files that fail or count their fsyncs. Reserving space and
// cutting the file at Close go to the *os.File directly.
type file interface {
	WriteAt(p []byte, off int64) (int, error)
	Sync() error
	Close() error
}

// Writer appends exchanges to a journal file. It is safe for concurrent use.
//
// The first write or sync error is sticky: every later Append and Close
// returns it, because after a failed write or fsync the file's contents
// are no longer known (a retried fsync can report success for data the
// kernel has already dropped).
type Writer struct {
	f    file
	path string
	mode Sync

	mu      sync.Mutex // serialises sequence numbers and writes
	seq     uint64
	closed  bool
	written atomic.Uint64 // records written to the file, in file order
	off     int64         // where the next record goes: the end of the last one

	// Reserved space (reserve.go), guarded by mu.
	raw        *os.File   // the file itself, for reserving and cutting
	reserving  bool       // zero-filled space is kept ahead of the records
	alloc      int64      // end of the reserved space, synced
	extending  bool       // an extension is under way
	extended   *sync.Cond // on mu; signalled when an extension ends
	reserveErr error      // why reserving stopped, if it failed

	smu     sync.Mutex          // guards the fields below
	cond    *sync.Cond          // signalled when an fsync ends
	syncing bool                // an fsync is in progress
	synced  uint64              // records known to be on disk
	syncs   uint64              // fsyncs run for records (leadSync calls)
	syncDur time.Duration       // time spent in them
	err     error               // first write or sync error; sticky
	observe func(time.Duration) // ObserveSyncs's function, or nil
}

// Create creates a new journal at path, writes h as its first line and makes
// it durable. It refuses to overwrite an existing file: a journal is never
// truncated. Format and Version are filled in when empty. The file is
// created with mode 0600: it holds account keys' signatures and, in
// challenge responses, key authorizations.
func Create(path string, h Header, mode Sync) (*Writer, error) {
	if h.Format == "" {
		h.Format = Format
	}
	if h.Version == 0 {
		h.Version = Version
	}
	line, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("journal: encoding header: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("journal: %s already exists; a journal is never overwritten", path)
		}
		return nil, fmt.Errorf("journal: creating %s: %w", path, err)
	}
	w := &Writer{f: dataSyncer{f}, raw: f, path: path, mode: mode, off: int64(len(line)) + 1}
	w.cond = sync.NewCond(&w.smu)
	w.extended = sync.NewCond(&w.mu)
	if mode != SyncNone && canReserve(f) {
		// Reserve the first space with the header, under its sync.
		if err := fillZeros(f, w.off, reserveFirst); err != nil {
			w.reserveErr = fmt.Errorf("journal: reserving space in %s: %w", path, err)
		} else {
			w.reserving, w.alloc = true, reserveFirst
		}
	}
	if err := writeHeader(f, path, line, mode); err != nil {
		f.Close()
		os.Remove(path) // ours: O_EXCL created it
		return nil, err
	}
	return w, nil
}

// writeHeader writes the header line at the start of f and, unless mode
// is SyncNone, makes the file and the new directory entry durable.
func writeHeader(f *os.File, path string, line []byte, mode Sync) error {
	if _, err := f.WriteAt(append(line, '\n'), 0); err != nil {
		return fmt.Errorf("journal: writing header to %s: %w", path, err)
	}
	if mode == SyncNone {
		return nil
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("journal: syncing %s: %w", path, err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("journal: syncing directory of %s: %w", path, err)
	}
	return nil
}

// syncDir makes a new directory entry durable. File systems that cannot
// sync a directory (EINVAL) are let through.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}

// Syncs returns the number of fsyncs (fdatasyncs on Linux) run so far to
// make records durable: with SyncBatch, Count()/Syncs() is the number of
// records each one carried on average.
func (w *Writer) Syncs() uint64 {
	w.smu.Lock()
	defer w.smu.Unlock()
	return w.syncs
}

// SyncTime returns the time spent in the fsyncs Syncs counts.
func (w *Writer) SyncTime() time.Duration {
	w.smu.Lock()
	defer w.smu.Unlock()
	return w.syncDur
}

// ObserveSyncs makes w call f with the duration of each fsync it runs to
// make records durable, the same fsyncs Syncs counts and SyncTime sums
// (not the header's at Create). f is called on the goroutine of the Append
// or Close that leads the fsync, after the fsync returns (with or without
// an error) and before the Appends it covers are released. It must be
// quick and must not call w's methods: with SyncAlways it runs while w
// holds its write lock. Call ObserveSyncs before the first Append; a later
// call applies to fsyncs started after it, and a nil f stops the
// observing. Unset, it costs nothing.
func (w *Writer) ObserveSyncs(f func(time.Duration)) {
	w.smu.Lock()
	defer w.smu.Unlock()
	w.observe = f
}

// Path returns the file the writer appends to.
func (w *Writer) Path() string { return w.path }

// Mode returns the writer's durability mode.
func (w *Writer) Mode() Sync { return w.mode }

// Count returns the number of exchanges appended so far.
func (w *Writer) Count() uint64 { return w.written.Load() }

// seqRoom is the space an encoding buffer keeps free before the encoded
// record for `{"seq":N`, which is only known under the lock.
const seqRoom = len(`{"seq":`) + 20

// encBufs recycles encoding buffers; buffers grown past maxPooledBuf by a
// large body are left to the garbage collector.
var encBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

const maxPooledBuf = 64 << 10

// Append assigns e the next sequence number, writes it as one line and,
// unless the mode is SyncNone, returns only once the line is on disk. When
// Append returns nil the record survives a crash of the process (and, with
// SyncBatch or SyncAlways, of the machine). Append sets e.Seq and does not
// retain e; the caller must not change e during the call.
func (w *Writer) Append(e *Exchange) error {
	// Encoding is the costly part; do it before taking the lock, leaving
	// room in front for the sequence number, which is spliced in under
	// the lock.
	bp := encBufs.Get().(*[]byte)
	buf := append((*bp)[:0], make([]byte, seqRoom)...)
	if enc, ok := appendExchangeTail(buf, e); ok {
		buf = enc
	} else {
		var err error
		if buf, err = marshalTail(buf[:seqRoom], e); err != nil {
			return fmt.Errorf("journal: encoding exchange: %w", err)
		}
	}
	buf = append(buf, '\n')

	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return fmt.Errorf("journal: append to closed %s", w.path)
	}
	// Room for the longest line this can be. makeRoom may wait, letting go
	// of mu: the sequence number is taken after it.
	if err := w.makeRoom(int64(len(buf))); err != nil {
		w.mu.Unlock()
		return err
	}
	if err := w.stickyErr(); err != nil {
		w.mu.Unlock()
		return err
	}
	seq := w.seq + 1
	var num [20]byte
	digits := strconv.AppendUint(num[:0], seq, 10)
	start := seqRoom - len(`{"seq":`) - len(digits)
	copy(buf[start:], `{"seq":`)
	copy(buf[start+len(`{"seq":`):], digits)
	line := buf[start:]
	_, werr := w.f.WriteAt(line, w.off)
	if cap(buf) <= maxPooledBuf { // the file does not retain it
		*bp = buf[:0]
		encBufs.Put(bp)
	}
	if werr != nil {
		err := w.fail(fmt.Errorf("journal: writing %s: %w", w.path, werr))
		w.mu.Unlock()
		return err
	}
	w.off += int64(len(line))
	w.seq = seq
	e.Seq = seq
	mine := w.written.Add(1)
	var err error
	if w.mode == SyncAlways {
		err = w.waitDurable(mine) // nothing else can be written meanwhile
	}
	w.mu.Unlock()
	if w.mode != SyncBatch {
		return err
	}
	return w.waitDurable(mine)
}

// stickyErr returns the first write or sync error, if any.
func (w *Writer) stickyErr() error {
	w.smu.Lock()
	defer w.smu.Unlock()
	return w.err
}

// fail records err as the sticky error unless one is already recorded, and
// returns the sticky error.
func (w *Writer) fail(err error) error {
	w.smu.Lock()
	defer w.smu.Unlock()
	if w.err == nil {
		w.err = err
	}
	w.cond.Broadcast()
	return w.err
}

// waitDurable returns once record n is on disk, or the sticky error.
//
// Group commit: at most one fsync runs at a time. An Append whose record is
// not yet covered waits; when the running fsync ends, every Append it
// covered returns and one of the others at once starts the next fsync,
// which covers everything written so far.
func (w *Writer) waitDurable(n uint64) error {
	w.smu.Lock()
	defer w.smu.Unlock()
	for {
		switch {
		case w.synced >= n:
			return nil
		case w.err != nil:
			return w.err
		case !w.syncing:
			w.leadSync()
		default:
			w.cond.Wait()
		}
	}
}

// leadSync runs one fsync covering every record written so far. It is
// called, and returns, with smu held.
func (w *Writer) leadSync() {
	w.syncing = true
	w.syncs++
	target := w.written.Load() // every counted record has been written
	observe := w.observe
	w.smu.Unlock()
	t0 := time.Now()
	err := w.f.Sync()
	d := time.Since(t0)
	if observe != nil {
		observe(d)
	}
	w.smu.Lock()
	w.syncDur += d
	w.syncing = false
	if err != nil {
		if w.err == nil {
			w.err = fmt.Errorf("journal: syncing %s: %w", w.path, err)
		}
	} else if target > w.synced {
		w.synced = target
	}
	w.cond.Broadcast()
}

// Close makes every appended record durable and closes the file. Appends
// after Close fail; Appends still waiting for their fsync when Close is
// called are released by Close's own fsync. Close returns the sticky error
// if there is one. Calling Close again returns nil.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	w.mu.Unlock()
	// No record can be written from here on: sync whatever was.
	last := w.written.Load()
	err := w.waitDurable(last)
	if err == nil && last == 0 && w.mode == SyncNone {
		// The header was never synced.
		if serr := w.f.Sync(); serr != nil {
			err = fmt.Errorf("journal: syncing %s: %w", w.path, serr)
		}
	}
	if err == nil {
		err = w.stickyErr()
	}
	if uerr := w.unreserve(); uerr != nil && err == nil {
		err = uerr
	}
	if cerr := w.f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("journal: closing %s: %w", w.path, cerr)
	}
	return err
}
