package proxy

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"sync"

	"github.com/acmeproxy/acmeproxy/journal"
)

// bodyTap records a body that is too large to hold: the first limit bytes,
// the total size and the SHA-256 of everything written. It is safe for
// concurrent use (a transport may still read a request body while the
// response is recorded).
type bodyTap struct {
	mu    sync.Mutex
	limit int64
	head  []byte
	size  int64
	sum   hash.Hash
}

func newBodyTap(limit int64) *bodyTap {
	return &bodyTap{limit: limit, sum: sha256.New()}
}

// Write never fails.
func (t *bodyTap) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if room := t.limit - int64(len(t.head)); room > 0 {
		t.head = append(t.head, p[:min(int64(len(p)), room)]...)
	}
	t.size += int64(len(p))
	t.sum.Write(p)
	return len(p), nil
}

// body returns what has been written so far as a journal body.
func (t *bodyTap) body() journal.Body {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.size == 0 {
		return journal.Body{}
	}
	return journal.Body{
		Data:      append([]byte(nil), t.head...),
		Size:      t.size,
		SHA256:    hex.EncodeToString(t.sum.Sum(nil)),
		Truncated: t.size > int64(len(t.head)),
	}
}

// readUpTo reads r to its end or to limit+1 bytes, whichever comes first.
// A result longer than limit means the body is larger than the cap. size
// is the declared length, or -1: a declared length within the cap is read
// into one exact allocation.
func readUpTo(r io.Reader, size, limit int64) ([]byte, error) {
	if size < 0 || size > limit {
		return io.ReadAll(io.LimitReader(r, limit+1))
	}
	buf := make([]byte, size+1) // one spare byte to notice a body longer than declared
	n, err := io.ReadFull(r, buf)
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) && int64(n) == size:
		return buf[:n], nil
	case errors.Is(err, io.EOF) && n == 0 && size == 0:
		return buf[:0], nil
	case err != nil:
		return buf[:n], err
	}
	// Longer than declared: read on as if undeclared.
	rest, err := io.ReadAll(io.LimitReader(r, limit+1-int64(n)))
	return append(buf[:n], rest...), err
}

// readCloser joins a reader with the closer of the body it replaces.
type readCloser struct {
	io.Reader
	io.Closer
}

// streamBody forwards an oversized response body to the client while
// tapping it, and calls done exactly once: with nil at EOF, or with the
// read error, or with errClosedEarly when the client side closed it first.
type streamBody struct {
	r        io.Reader
	upstream io.Closer
	once     sync.Once
	done     func(error)
}

func (b *streamBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil {
		b.finish(err)
	}
	return n, err
}

func (b *streamBody) Close() error {
	err := b.upstream.Close()
	b.finish(errClosedEarly)
	return err
}

func (b *streamBody) finish(err error) {
	if err == io.EOF {
		err = nil
	}
	b.once.Do(func() { b.done(err) })
}

// errClosedEarly marks a streamed body the client stopped reading.
var errClosedEarly = errorString("response body closed before its end")

type errorString string

func (e errorString) Error() string { return string(e) }

// flightBody ends an exchange's flight when the response body is closed,
// which happens once the response is written to the client (goproxy and
// serveMITM close it on every path).
type flightBody struct {
	io.ReadCloser
	once sync.Once
	end  func()
}

func (b *flightBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.end)
	return err
}
