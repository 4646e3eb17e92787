package journal_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acmeproxy/acmeproxy/journal"
)

// roundTripExchanges are exchanges that stress what HAR cannot hold.
func roundTripExchanges() []*journal.Exchange {
	plain := newExchange("plain", 300)

	binary := newExchange("binary", 10)
	binary.Request.Body = journal.NewBody([]byte{0xff, 0xfe, 0, 1, 'a', 0x80})
	binary.Response.Headers = journal.Headers{{Name: "Content-Type", Value: "application/pkix-cert"}}
	binary.Response.Body = journal.NewBody([]byte{0x30, 0x82, 0x01, 0x0a, 0x02})

	control := newExchange("control", 10)
	control.Request.Body = journal.NewBody([]byte("line\x00with\x1bcontrols\u2028<&>"))
	control.Response.Body = journal.NewBody([]byte("tab\tnul\x00"))

	truncated := newExchange("truncated", 10)
	truncated.Request.Body = journal.Body{Data: []byte("abc\xe2\x82"), Size: 5 << 20, SHA256: strings.Repeat("0f", 32), Truncated: true}
	truncated.Response.Body = journal.Body{Data: []byte("xyz"), Size: 3 << 20, SHA256: strings.Repeat("a1", 32), Truncated: true}

	failed := newExchange("failed", 10)
	failed.Response, failed.Error = nil, "dial tcp 192.0.2.1:443: connect: connection refused"

	bare := &journal.Exchange{Conn: 0, Start: time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("", 5*3600+1800)),
		Request:  journal.Request{Method: "HEAD", URL: "https://ca.example/acme/new-nonce?a=1&b=%2F&c"},
		Response: &journal.Response{Status: 200}}

	gzipped := newExchange("gzip", 10)
	gzipped.Response.Headers = append(gzipped.Response.Headers, journal.Field{Name: "Content-Encoding", Value: "gzip"})
	gzipped.Response.Body = journal.NewBody([]byte{0x1f, 0x8b, 8, 0, 0, 0})

	noTimes := newExchange("zero-times", 10)
	noTimes.Start, noTimes.End = time.Time{}, time.Time{}
	noTimes.Mode = "http"

	backwards := newExchange("backwards", 10)
	backwards.End = backwards.Start.Add(-time.Second)

	return []*journal.Exchange{plain, binary, control, truncated, failed, bare, gzipped, noTimes, backwards}
}

// seqOf yields the exchanges with sequence numbers, as a journal would.
func seqOf(es []*journal.Exchange) iter.Seq2[*journal.Exchange, error] {
	return func(yield func(*journal.Exchange, error) bool) {
		for i, e := range es {
			e.Seq = uint64(i + 1)
			if !yield(e, nil) {
				return
			}
		}
	}
}

func TestHARRoundTrip(t *testing.T) {
	in := roundTripExchanges()
	header := journal.Header{Format: journal.Format, Version: journal.Version, Tool: "acmeproxy 1.2.3",
		Started: t0, Upstream: "https://ca.example/dir", CAFingerprint: "ab12", UpstreamInsecure: true}
	var buf bytes.Buffer
	if err := journal.WriteHAR(&buf, header, seqOf(in)); err != nil {
		t.Fatal(err)
	}
	if !json.Valid(buf.Bytes()) {
		t.Fatalf("WriteHAR wrote invalid JSON:\n%s", buf.String())
	}
	checkHARShape(t, buf.Bytes())

	r, err := journal.ReadHAR(&buf, "rt.har")
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Header(); got != header {
		t.Errorf("header:\n got %+v\nwant %+v", got, header)
	}
	var out []*journal.Exchange
	for e, err := range r.All() {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	if len(out) != len(in) {
		t.Fatalf("read %d entries, want %d", len(out), len(in))
	}
	for i := range in {
		if out[i].Line != i+1 {
			t.Errorf("entry %d: Line = %d", i+1, out[i].Line)
		}
		if got, want := encode(t, out[i]), encode(t, in[i]); got != want {
			t.Errorf("entry %d changed:\n got %s\nwant %s", i+1, got, want)
		}
	}
}

// checkHARShape checks the members HAR 1.2 requires, and the forms other
// tools rely on: status 0 with _error, base64 content, query strings.
func checkHARShape(t *testing.T, b []byte) {
	t.Helper()
	var doc struct {
		Log struct {
			Version string
			Creator struct{ Name, Version string }
			Entries []map[string]json.RawMessage
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Log.Version != "1.2" || doc.Log.Creator.Name != "acmeproxy" || doc.Log.Creator.Version != "1.2.3" {
		t.Errorf("log = %+v", doc.Log)
	}
	for i, e := range doc.Log.Entries {
		for _, k := range []string{"startedDateTime", "time", "request", "response", "cache", "timings"} {
			if _, ok := e[k]; !ok {
				t.Errorf("entry %d lacks %q", i+1, k)
			}
		}
	}
	var failed struct {
		Response struct {
			Status int
			Error  string `json:"_error"`
		}
	}
	json.Unmarshal(mustJSON(t, doc.Log.Entries[4]), &failed)
	if failed.Response.Status != 0 || !strings.Contains(failed.Response.Error, "connection refused") {
		t.Errorf("failed exchange exported as %+v", failed.Response)
	}
	var bin struct {
		Response struct {
			Content struct{ Text, Encoding string }
		}
		Request struct {
			QueryString []struct{ Name, Value string }
		}
	}
	json.Unmarshal(mustJSON(t, doc.Log.Entries[1]), &bin)
	if bin.Response.Content.Encoding != "base64" || bin.Response.Content.Text != "MIIBCgI=" {
		t.Errorf("binary response content = %+v", bin.Response.Content)
	}
	json.Unmarshal(mustJSON(t, doc.Log.Entries[5]), &bin)
	if fmt.Sprint(bin.Request.QueryString) != "[{a 1} {b /} {c }]" {
		t.Errorf("queryString = %v", bin.Request.QueryString)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readHARFile reads a testdata HAR whole, failing on any error.
func readHARFile(t *testing.T, name string) (journal.Header, []*journal.Exchange) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "har", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := journal.ReadHAR(f, name)
	if err != nil {
		t.Fatal(err)
	}
	var es []*journal.Exchange
	for e, err := range r.All() {
		if err != nil {
			t.Fatal(err)
		}
		es = append(es, e)
	}
	return r.Header(), es
}

func TestHARImportChrome(t *testing.T) {
	h, es := readHARFile(t, "chrome.har")
	if h.Tool != "" || h.Source != "har:chrome.har (WebInspector 537.36)" || !h.Started.Equal(time.Date(2026, 3, 1, 11, 59, 59, 5e8, time.UTC)) {
		t.Errorf("header = %+v", h)
	}
	if len(es) != 3 {
		t.Fatalf("%d exchanges, want 3", len(es))
	}
	dir := es[0]
	if dir.Request.Headers.Get(":authority") != "acme.example" || dir.Request.Proto != "http/2.0" {
		t.Errorf("directory request = %+v", dir.Request)
	}
	if b := dir.Response.Body; !b.ContentDecoded || !strings.HasPrefix(string(b.Data), `{"newNonce"`) || b.Size != int64(len(b.Data)) {
		t.Errorf("gzip response body imported as %+v", b)
	}
	if got := dir.End.Sub(dir.Start); got != 35812*time.Microsecond {
		t.Errorf("duration = %v", got)
	}
	acct := es[1]
	if !strings.Contains(string(acct.Request.Body.Data), `"protected"`) || acct.Response.Status != 201 || acct.Response.Headers.Get("Location") == "" {
		t.Errorf("new-acct = %+v", acct)
	}
	if failed := es[2]; failed.Response != nil || failed.Error != "net::ERR_CONNECTION_REFUSED" || failed.Line != 3 || failed.Seq != 3 {
		t.Errorf("failed request = %+v", failed)
	}
}

func TestHARImportFirefox(t *testing.T) {
	h, es := readHARFile(t, "firefox.har")
	if h.Source != "har:firefox.har (Firefox 128.0)" || len(es) != 3 {
		t.Fatalf("header %+v, %d exchanges", h, len(es))
	}
	if want := time.Date(2026, 3, 1, 12, 0, 0, 120e6, time.UTC); !es[0].Start.Equal(want) {
		t.Errorf("start = %v, want %v", es[0].Start, want)
	}
	if es[0].Conn != 0 {
		t.Errorf("Conn = %d: a foreign HAR's connection field is not our id", es[0].Conn)
	}
	if got := es[1].Response.Body.Data; !bytes.Equal(got, []byte{0x30, 0x82, 1, 0, 1, 2}) {
		t.Errorf("base64 DER body = %x", got)
	}
	if b := es[2].Response.Body; b.Size != 5120 || !b.Truncated || len(b.Data) != 0 {
		t.Errorf("image without text = %+v", b)
	}
}

func TestHARImportMitmproxy(t *testing.T) {
	h, es := readHARFile(t, "mitmproxy.har")
	if h.Source != "har:mitmproxy.har (mitmproxy exporthar 0.1)" || len(es) != 3 {
		t.Fatalf("header %+v, %d exchanges", h, len(es))
	}
	if es[0].Start.Nanosecond() != 101234000 || es[0].Response.Headers.Get("Replay-Nonce") != "nonce-9" {
		t.Errorf("challenge exchange = %+v", es[0])
	}
	if es[1].Request.URL != "http://www.example.org/.well-known/acme-challenge/tok123" || string(es[1].Response.Body.Data) != "tok123.thumbprint1" {
		t.Errorf("plain-HTTP self-check = %+v", es[1])
	}
	failed := es[2]
	if failed.Response != nil || !strings.Contains(failed.Error, "Connection refused") || string(failed.Request.Body.Data) != "a=1&b=x+y" {
		t.Errorf("failed flow = %+v", failed)
	}
}

func TestHARImportZAP(t *testing.T) {
	h, es := readHARFile(t, "zap.har")
	if h.Source != "har:zap.har (ZAP 2.16.0)" || !h.Started.IsZero() || len(es) != 2 {
		t.Fatalf("header %+v, %d exchanges", h, len(es))
	}
	if b := es[0].Response.Body; !strings.Contains(string(b.Data), "badNonce") || b.Size != 94 {
		t.Errorf("base64 problem document = %q (%d)", b.Data, b.Size)
	}
	if got := string(es[1].Request.Body.Data); got != "user=a+b&next=%2Fx%3Fy%3D1" {
		t.Errorf("form from params = %q", got)
	}
	if r := es[1].Response; r.Status != 204 || r.Body.Size != 0 || es[1].End.Sub(es[1].Start) != 4*time.Millisecond {
		t.Errorf("204 response = %+v", r)
	}
}

func TestHARHeadersAsArrays(t *testing.T) {
	doc := `{"log":{"entries":[{"startedDateTime":"2026-03-01T12:00:00Z","request":{"method":"GET","url":"https://a.example/",
		"headers":[["Accept","*/*"],["X-Null",null]]},"response":{"status":200,"headers":[{"name":"A","value":null}],"content":{"text":null}}}]}}`
	r, err := journal.ReadHAR(strings.NewReader(doc), "slack.har")
	if err != nil {
		t.Fatal(err)
	}
	e, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(e.Request.Headers) != "[{Accept */*} {X-Null }]" || fmt.Sprint(e.Response.Headers) != "[{A }]" {
		t.Fatalf("headers = %v / %v", e.Request.Headers, e.Response.Headers)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("after the last entry: %v", err)
	}
}

func TestHARNotHAR(t *testing.T) {
	tests := []struct{ name, input, want string }{
		{"fail/empty", "", "want a JSON object"},
		{"fail/pem", "-----BEGIN CERTIFICATE-----\n", "want a JSON object"},
		{"fail/array", `[{"log":{}}]`, "want a JSON object"},
		{"fail/no-log", `{"foo":{"entries":[]}}`, `no "log" member`},
		{"fail/log-not-object", `{"log":[]}`, `"log" is not an object`},
		{"fail/no-entries", `{"log":{"version":"1.2"}}`, `no "log.entries" array`},
		{"fail/entries-not-array", `{"log":{"entries":{}}}`, `"log.entries" is not an array`},
		{"fail/journal", headerLine, `no "log" member`},
		{"fail/truncated-head", `{"log":{"version":"1.2","creator":{"na`, "unexpected end of input"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := journal.ReadHAR(strings.NewReader(tc.input), "in.har")
			if !errors.Is(err, journal.ErrNotHAR) || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "in.har: not a HAR file: ") {
				t.Fatalf("err = %v, want ErrNotHAR mentioning %q", err, tc.want)
			}
		})
	}
}

// TestHARBadEntries: an entry that is JSON but not a usable entry is
// reported with its index and reading goes on; broken JSON ends reading.
func TestHARBadEntries(t *testing.T) {
	good := `{"startedDateTime":"2026-03-01T12:00:00Z","request":{"method":"GET","url":"https://a.example/"},"response":{"status":200}}`
	tests := []struct {
		name, entry, want string
	}{
		{"fail/relative-url", `{"request":{"method":"GET","url":"/acme/dir"},"response":{"status":200}}`, `request.url "/acme/dir" is not absolute`},
		{"fail/no-host", `{"request":{"method":"GET","url":"https:///x"},"response":{"status":200}}`, "has no host"},
		{"fail/no-url", `{"request":{"method":"GET"},"response":{"status":200}}`, "request.url is missing"},
		{"fail/no-method", `{"request":{"url":"https://a.example/"}}`, "request.method is missing"},
		{"fail/no-request", `{"response":{"status":200}}`, "no request"},
		{"fail/bad-date", `{"startedDateTime":"yesterday","request":{"method":"GET","url":"https://a.example/"}}`, `startedDateTime "yesterday"`},
		{"fail/status-type", `{"request":{"method":"GET","url":"https://a.example/"},"response":{"status":"OK"}}`, `"OK" is not a number`},
		{"fail/status-range", `{"request":{"method":"GET","url":"https://a.example/"},"response":{"status":2000}}`, "is not an HTTP status"},
		{"fail/method-type", `{"request":{"method":1,"url":"https://a.example/"}}`, "request.method: want a string, found a JSON number"},
		{"fail/bad-header", `{"request":{"method":"GET","url":"https://a.example/","headers":[{"value":"x"}]}}`, "header without a name"},
		{"fail/time-range", `{"request":{"method":"GET","url":"https://a.example/"},"time":1e300}`, "out of range"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := `{"log":{"entries":[` + good + "," + tc.entry + "," + good + `]}}`
			r, err := journal.ReadHAR(strings.NewReader(doc), "in.har")
			if err != nil {
				t.Fatal(err)
			}
			var n int
			var errs []error
			for e, err := range r.All() {
				if err != nil {
					errs = append(errs, err)
					continue
				}
				n++
				if e.Line == 2 {
					t.Errorf("bad entry read as %+v", e)
				}
			}
			if n != 2 || len(errs) != 1 {
				t.Fatalf("read %d entries and errors %v; want 2 and one error", n, errs)
			}
			ee, ok := errors.AsType[*journal.EntryError](errs[0])
			if !ok || ee.Entry != 2 || !errors.Is(errs[0], journal.ErrBadEntry) || !strings.Contains(errs[0].Error(), tc.want) {
				t.Fatalf("err = %v, want entry 2 and %q", errs[0], tc.want)
			}
			if !strings.HasPrefix(errs[0].Error(), "in.har: entry 2: ") {
				t.Errorf("err = %q does not name the file and entry", errs[0])
			}
		})
	}
}

func TestHARBrokenJSON(t *testing.T) {
	good := `{"request":{"method":"GET","url":"https://a.example/"},"response":{"status":200}}`
	tests := []struct{ name, doc, want string }{
		{"fail/truncated", `{"log":{"entries":[` + good + `,{"request":{"meth`, "in.har: entry 2: unexpected end of input"},
		{"fail/syntax", `{"log":{"entries":[` + good + `,{"request" 1}]}}`, "in.har: entry 2: invalid character"},
		{"fail/trailing", `{"log":{"entries":[` + good + `]}} {}`, "in.har: after the last entry: trailing data"},
		{"fail/unclosed", `{"log":{"entries":[` + good + `]`, "in.har: after the last entry: unexpected end"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := journal.ReadHAR(strings.NewReader(tc.doc), "in.har")
			if err != nil {
				t.Fatal(err)
			}
			var last error
			for _, err := range r.All() {
				last = err
			}
			if last == nil || !strings.Contains(last.Error(), tc.want) {
				t.Fatalf("last error = %v, want %q", last, tc.want)
			}
			if _, err := r.Next(); err == nil || err == io.EOF {
				t.Fatalf("Next after a fatal error = %v, want the error again", err)
			}
		})
	}
}

// TestHARReadStreams reads the first entry of a large HAR having read
// only a small part of it.
func TestHARReadStreams(t *testing.T) {
	var buf bytes.Buffer
	es := make([]*journal.Exchange, 3000)
	for i := range es {
		es[i] = newExchange(fmt.Sprint(i), 1000)
	}
	if err := journal.WriteHAR(&buf, journal.Header{}, seqOf(es)); err != nil {
		t.Fatal(err)
	}
	src := &countingReader{r: bytes.NewReader(buf.Bytes())}
	r, err := journal.ReadHAR(src, "big.har")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if src.n > 64<<10 {
		t.Fatalf("read %d of %d bytes for the first entry", src.n, buf.Len())
	}
}

// TestWriteHARStreams checks that WriteHAR writes as it goes rather than
// building the document first.
func TestWriteHARStreams(t *testing.T) {
	w := &countingWriter{}
	seen := 0
	exchanges := func(yield func(*journal.Exchange, error) bool) {
		for i := range 500 {
			if i == 499 {
				seen = w.n
			}
			if !yield(newExchange(fmt.Sprint(i), 2000), nil) {
				return
			}
		}
	}
	if err := journal.WriteHAR(w, journal.Header{}, exchanges); err != nil {
		t.Fatal(err)
	}
	if seen < w.n/2 {
		t.Fatalf("only %d of %d bytes written before the last exchange", seen, w.n)
	}
}

type countingWriter struct{ n int }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

func TestWriteHARStopsOnError(t *testing.T) {
	boom := errors.New("mem.jsonl:3: corrupt record")
	exchanges := func(yield func(*journal.Exchange, error) bool) {
		if yield(newExchange("a", 10), nil) {
			yield(nil, boom)
		}
	}
	err := journal.WriteHAR(io.Discard, journal.Header{}, exchanges)
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the yielded error", err)
	}
}
