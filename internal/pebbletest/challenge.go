package pebbletest

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// ChallengePrefix is the path under which HTTP-01 responses are served
// (RFC 8555 §8.3).
const ChallengePrefix = "/.well-known/acme-challenge/"

// ChallengeServer answers HTTP-01 challenges on a random 127.0.0.1 port.
// It is safe for concurrent use.
type ChallengeServer struct {
	srv *httptest.Server

	mu        sync.Mutex
	responses map[string]string // token -> key authorization
}

// StartChallengeServer starts a ChallengeServer that stops when the test
// ends.
func StartChallengeServer(t testing.TB) *ChallengeServer {
	t.Helper()
	c := &ChallengeServer{responses: make(map[string]string)}
	c.srv = httptest.NewServer(http.HandlerFunc(c.serve))
	t.Cleanup(func() { closeWithin(t, c.srv, closeWait) })
	return c
}

// URL returns the server's base URL, http://127.0.0.1:PORT.
func (c *ChallengeServer) URL() string { return c.srv.URL }

// Port returns the TCP port the server listens on.
func (c *ChallengeServer) Port() int {
	_, p, _ := net.SplitHostPort(c.srv.Listener.Addr().String())
	n, _ := strconv.Atoi(p)
	return n
}

// Set makes the server answer GET ChallengePrefix+token with keyAuth.
func (c *ChallengeServer) Set(token, keyAuth string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.responses[token] = keyAuth
}

// Remove stops answering for token.
func (c *ChallengeServer) Remove(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.responses, token)
}

func (c *ChallengeServer) serve(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.URL.Path, ChallengePrefix)
	c.mu.Lock()
	keyAuth, known := c.responses[token]
	c.mu.Unlock()
	if !ok || !known || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write([]byte(keyAuth))
}
