package lint

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/acmeproxy/acmeproxy/decode"
	"github.com/acmeproxy/acmeproxy/flow"
	"github.com/acmeproxy/acmeproxy/internal/journaltest"
	"github.com/acmeproxy/acmeproxy/journal"
)

// TestFactsRebuildTheExchanges checks, on every example recording and on
// every exchange, that what the report makes of the recorded exchange and
// the facts a run keeps (factTable.exchange) is what it made of the
// decoded message when it decoded the recordings again (reportExchange).
func TestFactsRebuildTheExchanges(t *testing.T) {
	entries, err := os.ReadDir(exampleDir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, de := range entries {
		path := filepath.Join(exampleDir, de.Name())
		l, d, facts := flow.New(), decode.NewDecoder(), newFactTable()
		var raw []*journal.Exchange
		var msgs []*decode.Message
		journaltest.Each(t, path, func(e *journal.Exchange) {
			m := d.Decode(e)
			facts.record(l.Observe(path, m))
			raw, msgs = append(raw, e), append(msgs, m)
		})
		raw, msgs = withGzipCopies(t, d, l, facts, path, raw, msgs)
		for i, e := range raw {
			want := reportExchange(path, e, msgs[i])
			got, ok := facts.exchange(path, e)
			if !ok || !reflect.DeepEqual(got, want) {
				t.Errorf("%s:%d:\n got %+v\nwant %+v", path, e.Line, got, want)
			}
			n++
		}
	}
	if n < 300 {
		t.Errorf("only %d exchanges checked", n)
	}
}

// withGzipCopies adds, for each POST, a copy whose body is gzip-encoded
// (a Content-Encoding the decoder undoes), at a line past the recording's.
func withGzipCopies(t *testing.T, d *decode.Decoder, l *flow.Ledger, facts *factTable, path string,
	raw []*journal.Exchange, msgs []*decode.Message) ([]*journal.Exchange, []*decode.Message) {
	t.Helper()
	line := 1_000_000
	for _, e := range slices.Clone(raw) {
		if e.Request.Method != "POST" || len(e.Request.Body.Data) == 0 {
			continue
		}
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(e.Request.Body.Data)
		zw.Close()
		c := *e
		c.Line, c.Seq = line, uint64(line)
		line++
		c.Request.Headers = append(slices.Clone(e.Request.Headers), journal.Field{Name: "Content-Encoding", Value: "gzip"})
		c.Request.Body = journal.NewBody(buf.Bytes())
		m := d.Decode(&c)
		facts.record(l.Observe(path, m))
		raw, msgs = append(raw, &c), append(msgs, m)
	}
	return raw, msgs
}
