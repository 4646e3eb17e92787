package proxy

import (
	"bytes"
	"net"
	"testing"
)

// writeCounter is a net.Conn that records each Write.
type writeCounter struct {
	net.Conn
	writes [][]byte
}

func (w *writeCounter) Write(p []byte) (int, error) {
	w.writes = append(w.writes, append([]byte(nil), p...))
	return len(p), nil
}

func TestCorkSendsHeldWritesAsOne(t *testing.T) {
	wc := &writeCounter{}
	c := &trackedConn{Conn: wc}
	if _, err := c.Write([]byte("before")); err != nil || len(wc.writes) != 1 {
		t.Fatalf("uncorked write: %v, %d writes", err, len(wc.writes))
	}
	c.cork()
	for _, p := range []string{"head", "body"} {
		if n, err := c.Write([]byte(p)); n != len(p) || err != nil {
			t.Fatalf("corked Write = %d, %v", n, err)
		}
	}
	if len(wc.writes) != 1 {
		t.Fatalf("corked writes reached the connection: %q", wc.writes)
	}
	c.uncork()
	if len(wc.writes) != 2 || !bytes.Equal(wc.writes[1], []byte("headbody")) {
		t.Fatalf("after uncork: %q, want one write of \"headbody\"", wc.writes)
	}
	c.uncork() // nothing held: no write
	_, _ = c.Write([]byte("after"))
	if len(wc.writes) != 3 || string(wc.writes[2]) != "after" {
		t.Fatalf("after a second uncork: %q", wc.writes)
	}
}
