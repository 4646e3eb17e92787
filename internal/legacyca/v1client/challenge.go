package v1client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// challengePathPrefix is where http-01 responses live (RFC 8555 §8.3,
// unchanged since draft-02).
const challengePathPrefix = "/.well-known/acme-challenge/"

// ChallengeServer is a real HTTP server on a random loopback port that
// answers http-01 fetches for any host name. Responses are published per
// host and token, so a scenario can answer for one name and not another.
// It records every request it receives. Its methods are safe for
// concurrent use.
type ChallengeServer struct {
	ln  net.Listener
	srv *http.Server

	mu       sync.Mutex
	files    map[string]string // host "/" token → body
	requests []ChallengeRequest
}

// ChallengeRequest is one request the ChallengeServer received.
type ChallengeRequest struct {
	Host      string // Host header without port
	Path      string
	UserAgent string
	Status    int // what the server answered
}

// NewChallengeServer listens on 127.0.0.1 with a kernel-chosen port and
// starts serving. Close it when done.
func NewChallengeServer() (*ChallengeServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("v1client: listening for http-01: %w", err)
	}
	s := &ChallengeServer{ln: ln, files: make(map[string]string)}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Addr is the server's host:port.
func (s *ChallengeServer) Addr() string { return s.ln.Addr().String() }

// Port is the server's port: the legacyca.Config.HTTPPort to validate on.
func (s *ChallengeServer) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// DialContext connects to the server whatever address it is asked for. Set
// it as legacyca.Config.DialContext so that the CA's fetch of
// http://<any name>:<Port>/... lands here.
func (s *ChallengeServer) DialContext(ctx context.Context, network, _ string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, s.Addr())
}

// Client returns an HTTP client that reaches the server for any name,
// without a proxy; scenarios use it for their self-check by default.
func (s *ChallengeServer) Client() *http.Client {
	return &http.Client{
		Transport: &http.Transport{DialContext: s.DialContext, DisableKeepAlives: true},
		Timeout:   10 * time.Second,
	}
}

// Publish serves body at /.well-known/acme-challenge/<token> for host.
func (s *ChallengeServer) Publish(host, token, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[strings.ToLower(host)+"/"+token] = body
}

// Requests returns a copy of the requests received so far, oldest first.
func (s *ChallengeServer) Requests() []ChallengeRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ChallengeRequest(nil), s.requests...)
}

// Close stops the server.
func (s *ChallengeServer) Close() error {
	if err := s.srv.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("v1client: closing challenge server: %w", err)
	}
	return nil
}

func (s *ChallengeServer) serve(w http.ResponseWriter, r *http.Request) {
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	host = strings.ToLower(host)
	token, isChallenge := strings.CutPrefix(r.URL.Path, challengePathPrefix)
	s.mu.Lock()
	body, found := s.files[host+"/"+token]
	status := http.StatusOK
	if !isChallenge || !found {
		status = http.StatusNotFound
	}
	s.requests = append(s.requests, ChallengeRequest{
		Host: host, Path: r.URL.Path, UserAgent: r.UserAgent(), Status: status,
	})
	s.mu.Unlock()
	if status != http.StatusOK {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, body)
}
