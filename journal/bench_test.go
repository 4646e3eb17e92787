package journal_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/acmeproxy/acmeproxy/journal"
)

// BenchmarkAppend measures journal appends per second for each sync mode,
// one appender at a time ("serial") and 16 at once ("parallel16"), with
// records of about 2 KB (an ACME JWS request and its JSON response,
// base64 in the record).
//
//	go test -run='^$' -bench=BenchmarkAppend -benchtime=3s ./journal
func BenchmarkAppend(b *testing.B) {
	for _, mode := range []journal.Sync{journal.SyncBatch, journal.SyncAlways, journal.SyncNone} {
		for _, par := range []int{1, 16} {
			name := "serial"
			if par > 1 {
				name = fmt.Sprintf("parallel%d", par)
			}
			b.Run(mode.String()+"/"+name, func(b *testing.B) {
				benchAppend(b, mode, par)
			})
		}
	}
}

// BenchmarkFsync is the floor under the durable modes: one 2.7 KB write
// and fsync at a time on the same disk, without the journal.
func BenchmarkFsync(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "fsync"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	line := bytes.Repeat([]byte("x"), 2700)
	for b.Loop() {
		if _, err := f.Write(line); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "fsyncs/s")
}

func benchAppend(b *testing.B, mode journal.Sync, par int) {
	w, _ := create(b, mode)
	f := wrap(w, &fakeFile{}) // counts fsyncs, passes everything through
	proto := newExchange("bench", 1200)
	proto.Response.Body = journal.NewBody(make([]byte, 300))
	b.SetBytes(int64(len(recordLine(b, proto, 1))))
	b.ReportAllocs()
	b.ResetTimer()
	if par == 1 {
		e := *proto
		for range b.N {
			if err := w.Append(&e); err != nil {
				b.Fatal(err)
			}
		}
	} else {
		b.SetParallelism((par + 1) / 2) // times GOMAXPROCS (2 here)
		b.RunParallel(func(pb *testing.PB) {
			e := *proto
			for pb.Next() {
				if err := w.Append(&e); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	syncs := f.syncs.Load() // before Close's own
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
	if syncs > 0 {
		b.ReportMetric(float64(b.N)/float64(syncs), "appends/fsync")
	}
}

// BenchmarkRead measures reading a journal of 2 KB records from memory.
//
//	go test -run='^$' -bench='BenchmarkRead|BenchmarkHAR' ./journal
func BenchmarkRead(b *testing.B) {
	data := benchJournal(b, 1000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := journal.NewReader(bytes.NewReader(data), "bench.jsonl")
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for _, err := range r.All() {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != 1000 {
			b.Fatalf("read %d records", n)
		}
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkHARExport measures WriteHAR over 1000 exchanges of 2 KB.
func BenchmarkHARExport(b *testing.B) {
	es := benchExchanges(1000)
	b.ReportAllocs()
	for b.Loop() {
		if err := journal.WriteHAR(io.Discard, journal.Header{}, seqOf(es)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkHARImport measures ReadHAR over 1000 exchanges of 2 KB.
func BenchmarkHARImport(b *testing.B) {
	var buf bytes.Buffer
	if err := journal.WriteHAR(&buf, journal.Header{}, seqOf(benchExchanges(1000))); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		r, err := journal.ReadHAR(bytes.NewReader(buf.Bytes()), "bench.har")
		if err != nil {
			b.Fatal(err)
		}
		for _, err := range r.All() {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "entries/s")
}

func benchExchanges(n int) []*journal.Exchange {
	es := make([]*journal.Exchange, n)
	for i := range es {
		es[i] = newExchange(fmt.Sprint(i), 1200)
		es[i].Response.Body = journal.NewBody(bytes.Repeat([]byte("r"), 300))
	}
	return es
}

func benchJournal(b *testing.B, n int) []byte {
	var buf bytes.Buffer
	buf.WriteString(headerLine)
	for i, e := range benchExchanges(n) {
		buf.WriteString(recordLine(b, e, uint64(i+1)))
	}
	return buf.Bytes()
}
