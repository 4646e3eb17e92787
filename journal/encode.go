package journal

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// appendExchangeTail appends the JSON encoding of e, from the comma after
// its "seq" member to the closing brace, to dst: exactly the bytes
// json.Marshal(e) writes after `{"seq":N`. It allocates nothing beyond
// growing dst. ok is false when e holds something only encoding/json can
// report on (a time outside the years 0–9999); the caller then falls back
// to json.Marshal, which returns the error.
//
// It is written out by hand because Append is on the proxy's request path:
// encoding/json's reflection, its per-field MarshalJSON calls and their
// re-compaction cost a tenth of the proxy's CPU. TestEncoderMatchesJSON and
// FuzzEncoderMatchesJSON check it byte for byte against json.Marshal.
func appendExchangeTail(dst []byte, e *Exchange) (_ []byte, ok bool) {
	dst = append(dst, `,"conn":`...)
	dst = strconv.AppendUint(dst, e.Conn, 10)
	if e.Mode != "" {
		dst = append(dst, `,"mode":`...)
		dst = appendString(dst, e.Mode)
	}
	dst = append(dst, `,"start":`...)
	if dst, ok = appendTime(dst, e); !ok {
		return dst, false
	}
	dst = append(dst, `,"request":{"method":`...)
	r := &e.Request
	dst = appendString(dst, r.Method)
	dst = append(dst, `,"url":`...)
	dst = appendString(dst, r.URL)
	if r.Proto != "" {
		dst = append(dst, `,"proto":`...)
		dst = appendString(dst, r.Proto)
	}
	dst = append(dst, `,"headers":`...)
	dst = appendHeaders(dst, r.Headers)
	dst = append(dst, `,"body":`...)
	dst = appendBody(dst, &r.Body)
	dst = append(dst, '}')
	if s := e.Response; s != nil {
		dst = append(dst, `,"response":{"status":`...)
		dst = strconv.AppendInt(dst, int64(s.Status), 10)
		if s.Proto != "" {
			dst = append(dst, `,"proto":`...)
			dst = appendString(dst, s.Proto)
		}
		dst = append(dst, `,"headers":`...)
		dst = appendHeaders(dst, s.Headers)
		dst = append(dst, `,"body":`...)
		dst = appendBody(dst, &s.Body)
		dst = append(dst, '}')
	}
	if e.Error != "" {
		dst = append(dst, `,"error":`...)
		dst = appendString(dst, e.Error)
	}
	return append(dst, '}'), true
}

// appendTime appends e.Start, `,"end":` and e.End as time.Time's
// MarshalJSON writes them.
func appendTime(dst []byte, e *Exchange) ([]byte, bool) {
	var err error
	dst = append(dst, '"')
	if dst, err = e.Start.AppendText(dst); err != nil {
		return dst, false
	}
	dst = append(dst, `","end":"`...)
	if dst, err = e.End.AppendText(dst); err != nil {
		return dst, false
	}
	return append(dst, '"'), true
}

func appendHeaders(dst []byte, h Headers) []byte {
	dst = append(dst, '[')
	for i, f := range h {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '[')
		dst = appendString(dst, f.Name)
		dst = append(dst, ',')
		dst = appendString(dst, f.Value)
		dst = append(dst, ']')
	}
	return append(dst, ']')
}

func appendBody(dst []byte, b *Body) []byte {
	dst = append(dst, '{')
	if len(b.Data) > 0 {
		dst = append(dst, `"data":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, b.Data)
		dst = append(dst, `",`...)
	}
	dst = append(dst, `"size":`...)
	dst = strconv.AppendInt(dst, b.Size, 10)
	if b.SHA256 != "" {
		dst = append(dst, `,"sha256":`...)
		dst = appendString(dst, b.SHA256)
	}
	if b.Truncated {
		dst = append(dst, `,"truncated":true`...)
	}
	if b.ContentDecoded {
		dst = append(dst, `,"content_decoded":true`...)
	}
	return append(dst, '}')
}

// appendString appends s as a JSON string exactly as encoding/json does
// (with its default HTML escaping): <, > and & as \u003c, \u003e and
// \u0026, invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped.
func appendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if plainASCII[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// plainASCII marks the ASCII bytes encoding/json copies unescaped: all but
// control characters, '"', '\\' and the HTML-sensitive '<', '>' and '&'.
var plainASCII = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		switch b {
		case '"', '\\', '<', '>', '&':
		default:
			t[b] = true
		}
	}
	return t
}()

// marshalTail is the slow path: json.Marshal of e with a zero Seq, from
// the comma after "seq" on.
func marshalTail(dst []byte, e *Exchange) ([]byte, error) {
	c := *e
	c.Seq = 0
	enc, err := json.Marshal(&c)
	if err != nil {
		return dst, err
	}
	return append(dst, enc[len(`{"seq":0`):]...), nil
}
