package journal_test

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// BenchmarkFdatasync is BenchmarkFsync with fdatasync(2), which the
// Writer uses on Linux: the floor under the durable modes.
func BenchmarkFdatasync(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "fdatasync"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	line := bytes.Repeat([]byte("x"), 2700)
	for b.Loop() {
		if _, err := f.Write(line); err != nil {
			b.Fatal(err)
		}
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "fsyncs/s")
}
