package journal

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// checkEncoder compares the hand-written encoder with json.Marshal for e:
// the same bytes, or both refusing e.
func checkEncoder(t *testing.T, e *Exchange) {
	t.Helper()
	c := *e
	c.Seq = 0
	want, wantErr := json.Marshal(&c)
	got, ok := appendExchangeTail([]byte(`{"seq":0`), &c)
	switch {
	case !ok && wantErr == nil:
		t.Fatalf("encoder refused an exchange json.Marshal encodes:\n%s", want)
	case ok && wantErr != nil:
		t.Fatalf("encoder accepted an exchange json.Marshal refuses (%v):\n%s", wantErr, got)
	case ok && !bytes.Equal(got, want):
		t.Fatalf("encoder differs from json.Marshal:\n got %s\nwant %s", got, want)
	}
}

// awkward holds strings that exercise every escaping rule of encoding/json.
var awkward = []string{
	"", "plain", `"quoted"`, `back\slash`, "<script>&amp;</script>", "tab\tnl\ncr\rbs\bff\f",
	"\x00\x01\x1f\x7f", "caf\u00e9 \u2028 \u2029 \U0001F600", "bad \xff\xfe utf8 \xe2\x80", "\xed\xa0\x80",
	"ends in partial \xf0\x9f\x98",
}

func TestEncoderMatchesJSON(t *testing.T) {
	base := time.Date(2026, 11, 28, 17, 3, 15, 123456789, time.UTC)
	loc := time.FixedZone("x", -(3*3600 + 30*60))
	cases := []*Exchange{
		{},
		{Seq: 7, Conn: math.MaxUint64, Mode: "mitm", Start: base, End: base.Add(time.Millisecond)},
		{Start: base.In(loc), End: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), Error: "dial tcp: refused <&>"},
		{Start: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, // json.Marshal refuses it
		{Start: base, End: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)},
		{
			Request: Request{Method: "POST", URL: "https://ca.example/acme/new-order?a=<b>&c", Proto: "HTTP/1.1",
				Headers: Headers{{"Host", "ca.example"}, {"Content-Type", "application/jose+json"}},
				Body:    NewBody([]byte(`{"protected":"x"}`))},
			Response: &Response{Status: 201, Proto: "HTTP/1.1", Headers: Headers{},
				Body: Body{Data: []byte{0, 1, 2, 0xff}, Size: 1 << 40, SHA256: "ab", Truncated: true, ContentDecoded: true}},
		},
		{Response: &Response{Status: -1}},
		{Request: Request{Headers: Headers{}, Body: Body{Data: []byte{}, Size: -3}}},
	}
	for _, s := range awkward {
		cases = append(cases, &Exchange{
			Mode: s, Error: s, Start: base, End: base,
			Request:  Request{Method: s, URL: s, Proto: s, Headers: Headers{{s, s}, {Name: s}}, Body: Body{SHA256: s, Data: []byte(s)}},
			Response: &Response{Proto: s, Headers: Headers{{Value: s}}},
		})
	}
	for _, e := range cases {
		checkEncoder(t, e)
	}
	// Random exchanges built from awkward pieces and random bytes.
	r := rand.New(rand.NewPCG(1, 2))
	str := func() string {
		if r.IntN(3) == 0 {
			return awkward[r.IntN(len(awkward))]
		}
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return string(b)
	}
	for range 2000 {
		checkEncoder(t, randomExchange(r, str))
	}
}

func randomExchange(r *rand.Rand, str func() string) *Exchange {
	hdrs := func() Headers {
		if r.IntN(4) == 0 {
			return nil
		}
		h := make(Headers, r.IntN(5))
		for i := range h {
			h[i] = Field{str(), str()}
		}
		return h
	}
	body := func() Body {
		return Body{Data: []byte(str()), Size: r.Int64() - r.Int64(), SHA256: str(),
			Truncated: r.IntN(2) == 0, ContentDecoded: r.IntN(2) == 0}
	}
	e := &Exchange{
		Seq: r.Uint64(), Conn: r.Uint64(), Mode: str(), Error: str(),
		Start:   time.Unix(r.Int64N(1<<36)-1<<35, r.Int64N(2e9)).In(time.FixedZone("", (r.IntN(49)-24)*1800)),
		End:     time.Unix(r.Int64N(1<<33), r.Int64N(1e9)).UTC(),
		Request: Request{Method: str(), URL: str(), Proto: str(), Headers: hdrs(), Body: body()},
		Line:    r.Int(),
	}
	if r.IntN(3) > 0 {
		e.Response = &Response{Status: r.IntN(1000) - 100, Proto: str(), Headers: hdrs(), Body: body()}
	}
	return e
}

// FuzzEncoderMatchesJSON checks the hand-written encoder against
// json.Marshal on exchanges made of arbitrary strings and bytes.
func FuzzEncoderMatchesJSON(f *testing.F) {
	for _, s := range awkward {
		f.Add(s, s, []byte(s), int64(len(s)), uint64(1), 200, int64(1e18), true)
	}
	f.Fuzz(func(t *testing.T, name, value string, data []byte, size int64, conn uint64, status int, unix int64, withResp bool) {
		e := &Exchange{
			Conn: conn, Mode: name, Error: value,
			Start:   time.Unix(unix/1e9, unix%1e9).UTC(),
			End:     time.Unix(0, unix).In(time.FixedZone("", status%50*900)),
			Request: Request{Method: name, URL: value, Proto: value, Headers: Headers{{name, value}, {value, name}}, Body: Body{Data: data, Size: size, SHA256: name}},
		}
		if withResp {
			e.Response = &Response{Status: status, Proto: name, Body: Body{Data: []byte(value), Truncated: size%2 == 0, ContentDecoded: size%3 == 0}}
		}
		checkEncoder(t, e)
	})
}

// TestAppendMatchesJSON checks whole lines as Append writes them.
func TestAppendMatchesJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	str := func() string { return awkward[r.IntN(len(awkward))] }
	path := t.TempDir() + "/j.jsonl"
	w, err := Create(path, Header{}, SyncNone)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w.f = &teeFile{file: w.f, copy: &buf}
	for i := range 300 {
		e := randomExchange(r, str)
		e.Start, e.End = e.Start.UTC(), e.End.UTC()
		if i%50 == 0 { // big enough to bypass the buffer pool
			e.Request.Body = NewBody(bytes.Repeat([]byte{byte(i)}, maxPooledBuf))
		}
		buf.Reset()
		if err := w.Append(e); err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if got := buf.Bytes(); !bytes.Equal(got, append(want, '\n')) {
			t.Fatalf("record %d:\n got %s\nwant %s", i+1, got, want)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

type teeFile struct {
	file
	copy *bytes.Buffer
}

func (f *teeFile) WriteAt(p []byte, off int64) (int, error) {
	f.copy.Write(p)
	return f.file.WriteAt(p, off)
}

func BenchmarkEncode(b *testing.B) {
	e := &Exchange{
		Conn: 3, Mode: "mitm", Start: time.Now().UTC(), End: time.Now().UTC(),
		Request: Request{Method: "POST", URL: "https://ca.example/acme/new-order", Proto: "HTTP/1.1",
			Headers: Headers{{"Host", "ca.example"}, {"Accept-Encoding", "gzip"}, {"Content-Length", "1194"},
				{"Content-Type", "application/jose+json"}, {"User-Agent", "Go-http-client/1.1"}},
			Body: NewBody(bytes.Repeat([]byte("e"), 1194))},
		Response: &Response{Status: 200, Proto: "HTTP/1.1",
			Headers: Headers{{"Content-Length", "796"}, {"Content-Type", "application/json"},
				{"Date", "Sat, 28 Nov 2026 17:03:15 GMT"}, {"Replay-Nonce", "nonce00000000000000000001"}},
			Body: NewBody(bytes.Repeat([]byte("r"), 796))},
	}
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := marshalTail(nil, e); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 8192)
		for b.Loop() {
			buf, _ = appendExchangeTail(buf[:0], e)
		}
	})
}
