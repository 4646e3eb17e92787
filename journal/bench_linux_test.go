package journal_test

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkFdatasync is BenchmarkFsync with fdatasync(2), which the
// Writer uses on Linux: the floor under the durable modes. "append"
// writes each 2.7 KB line past the end of the file, as a writer that does
// not reserve space does; "overwrite" writes it over zero bytes written
// and synced beforehand, as a writer that reserves space does
// (reserve.go). cpu-ns/op is the process's CPU time per write and sync:
// on a virtual machine the disk's work can show up there.
//
//	go test ./journal -run '^$' -bench Fdatasync -count 6
func BenchmarkFdatasync(b *testing.B) {
	line := bytes.Repeat([]byte("x"), 2700)
	b.Run("append", func(b *testing.B) {
		f, err := os.Create(filepath.Join(b.TempDir(), "fdatasync"))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		benchSyncs(b, f, func(int) error {
			_, err := f.Write(line)
			return err
		})
	})
	b.Run("overwrite", func(b *testing.B) {
		f, err := os.Create(filepath.Join(b.TempDir(), "fdatasync"))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		// Zeros for 24,000 syncs (about 5 s), written and synced before
		// the loop; a longer run extends them in the loop, untimed, but
		// their CPU time is counted.
		room := int64(0)
		extend := func() error {
			next := room + 64<<20
			if _, err := f.WriteAt(make([]byte, next-room), room); err != nil {
				return err
			}
			room = next
			return f.Sync()
		}
		if err := extend(); err != nil {
			b.Fatal(err)
		}
		benchSyncs(b, f, func(i int) error {
			off := int64(i) * int64(len(line))
			if off+int64(len(line)) > room {
				b.StopTimer()
				if err := extend(); err != nil {
					return err
				}
				b.StartTimer()
			}
			_, err := f.WriteAt(line, off)
			return err
		})
	})
}

// benchSyncs runs write(i) then fdatasync b.N times, reporting syncs per
// second and the CPU time each write and sync cost.
func benchSyncs(b *testing.B, f *os.File, write func(i int) error) {
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	i := 0
	for b.Loop() {
		if err := write(i); err != nil {
			b.Fatal(err)
		}
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			b.Fatal(err)
		}
		i++
	}
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "fsyncs/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
}
