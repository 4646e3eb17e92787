package proxy

import (
	"net"
	"net/url"
	"strings"
	"sync"
)

// scope is the set of hosts whose CONNECTs are intercepted. It is safe for
// concurrent use; lookups take a read lock only.
type scope struct {
	mu      sync.RWMutex
	exact   map[string]bool // "host:port", host lower-case
	anyPort map[string]bool // "host"
}

func newScope() *scope {
	return &scope{exact: make(map[string]bool), anyPort: make(map[string]bool)}
}

// addEntry adds a --intercept style entry: "host" (any port) or
// "host:port".
func (s *scope) addEntry(entry string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if host, port, err := net.SplitHostPort(entry); err == nil {
		s.exact[net.JoinHostPort(strings.ToLower(host), port)] = true
		return
	}
	s.anyPort[strings.ToLower(strings.Trim(entry, "[]"))] = true
}

// addURL adds the host:port of an https URL and reports whether it was
// new. Other schemes are ignored: only TLS is ever intercepted.
func (s *scope) addURL(u *url.URL) bool {
	if u == nil || u.Scheme != "https" || u.Host == "" {
		return false
	}
	key := hostPort(u.Host, "443")
	s.mu.RLock()
	known := s.exact[key]
	s.mu.RUnlock()
	if known {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.exact[key] = true
	return true
}

// intercepts reports whether a CONNECT to target (host:port) is in scope.
func (s *scope) intercepts(target string) bool {
	key := hostPort(target, "443")
	host, _, _ := net.SplitHostPort(key)
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.exact[key] || s.anyPort[host]
}

// hosts returns the scope's entries, for display.
func (s *scope) hosts() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.exact)+len(s.anyPort))
	for h := range s.exact {
		out = append(out, h)
	}
	for h := range s.anyPort {
		out = append(out, h)
	}
	return out
}

// hostPort normalises an authority to lower-case "host:port", adding
// defPort when it has none.
func hostPort(authority, defPort string) string {
	host, port, err := net.SplitHostPort(authority)
	if err != nil {
		host, port = strings.Trim(authority, "[]"), defPort
	}
	return net.JoinHostPort(strings.ToLower(host), port)
}
