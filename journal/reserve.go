package journal

import (
	"fmt"
	"os"
)

// Reserved space.
//
// With SyncBatch and SyncAlways every record waits for an fdatasync. After
// an append, that fdatasync also has to commit the file's new size and
// blocks to the file system's own journal, a second write and a second
// cache flush; after an overwrite of blocks that are already written it
// only writes the data. On the project's ext4 disk BenchmarkFdatasync
// measures 296 µs for the first and 215 µs for the second (medians;
// docs/benchmarks.md, "Journal"). So, on file systems that overwrite in
// place (ext2/3/4 and XFS), a durable Writer keeps zero-filled, synced
// space ahead of its records and writes each record over it:
//
//   - Create writes and syncs the first reserveFirst bytes with the header.
//   - When less than half a chunk is left, a goroutine appends and syncs
//     the next reserveChunk zero bytes, off the appenders' path. An Append
//     that would run past the reserved end waits for it.
//   - Close truncates the file to its last record.
//
// A journal whose writer did not close it (the process was killed, the
// machine stopped) therefore ends with zero bytes, which the Reader counts
// in ZeroTail and skips. Zero bytes never occur in a record: JSON escapes
// NUL. On copy-on-write file systems (btrfs, ZFS) an overwrite allocates
// new blocks like an append, and tmpfs has no disk, so there the Writer
// appends as before.
var (
	reserveFirst int64 = 256 << 10
	reserveChunk int64 = 1 << 20
)

// zeros is the buffer reserved space is written from.
var zeros = make([]byte, 64<<10)

// fillZeros writes zero bytes over [from, to) of f.
func fillZeros(f *os.File, from, to int64) error {
	for off := from; off < to; {
		n := min(int64(len(zeros)), to-off)
		if _, err := f.WriteAt(zeros[:n], off); err != nil {
			return err
		}
		off += n
	}
	return nil
}

// makeRoom makes sure n more bytes fit in the reserved space before the
// next record is written, waiting for an extension under way or starting
// one when they do not, and starts the next extension early, when less
// than half a chunk would be left. It is called with mu held. If an
// extension fails (a full disk), reserving stops and the records are
// appended past the reserved end as without it. Waiting lets go of mu, so
// it fails if the writer was closed meanwhile.
func (w *Writer) makeRoom(n int64) error {
	for w.reserving && w.off+n > w.alloc {
		if !w.extending {
			w.startExtend(w.off + n)
		}
		w.extended.Wait()
		if w.closed {
			return fmt.Errorf("journal: append to closed %s", w.path)
		}
	}
	if w.reserving && !w.extending && w.alloc-(w.off+n) < reserveChunk/2 {
		w.startExtend(0)
	}
	return nil
}

// startExtend starts a goroutine that reserves whole chunks past the
// reserved end, at least up to need. It is called with mu held.
func (w *Writer) startExtend(need int64) {
	from := w.alloc
	to := from + reserveChunk
	for to < need {
		to += reserveChunk
	}
	w.extending = true
	go w.extend(from, to)
}

// extend writes and syncs zero bytes over [from, to), past every record,
// then publishes the new reserved end. Appends never write at or past
// the reserved end while reserving, so nothing else touches the range.
func (w *Writer) extend(from, to int64) {
	err := fillZeros(w.raw, from, to)
	if err == nil {
		err = dataSyncer{w.raw}.Sync()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.extending = false
	if err != nil {
		w.reserving = false
		w.reserveErr = fmt.Errorf("journal: reserving space in %s: %w", w.path, err)
	} else {
		w.alloc = to
	}
	w.extended.Broadcast()
}

// ReserveError returns why the writer stopped reserving space ahead of
// its records, or nil. Records are still written and synced after such
// an error; only their syncs are slower.
func (w *Writer) ReserveError() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.reserveErr
}

// Reserving reports whether w keeps zero-filled space ahead of its
// records (see the package's file system notes).
func (w *Writer) Reserving() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.reserving
}

// unreserve waits for an extension under way, stops reserving and cuts
// the file at its last record. It is called by Close, once no record can
// be written, and returns with the file's size on disk made durable.
func (w *Writer) unreserve() error {
	w.mu.Lock()
	for w.extending {
		w.extended.Wait()
	}
	was := w.reserving || w.reserveErr != nil
	w.reserving = false
	end := w.off
	w.mu.Unlock()
	if !was {
		return nil
	}
	if err := w.raw.Truncate(end); err != nil {
		return fmt.Errorf("journal: cutting %s at its last record: %w", w.path, err)
	}
	if err := w.raw.Sync(); err != nil {
		return fmt.Errorf("journal: syncing %s: %w", w.path, err)
	}
	return nil
}
