package mitmca

import (
	"container/list"
	"crypto/tls"
	"strings"
	"sync"
	"time"
)

// DefaultLeafCacheSize is the number of leaves a LeafCache keeps when
// NewLeafCache is given a size of zero or less.
const DefaultLeafCacheSize = 1024

// renewBefore is how long before its expiry a cached leaf is replaced.
const renewBefore = 24 * time.Hour

// LeafCache holds signed leaf certificates per host name, at most size of
// them, evicting the least recently used. Concurrent requests for a name
// that is not cached share one signature (single flight). It is safe for
// concurrent use and implements goproxy's CertStorage.
type LeafCache struct {
	ca   *CA
	size int

	mu       sync.Mutex
	lru      *list.List // of *leafEntry, most recent at the front
	byHost   map[string]*list.Element
	inflight map[string]*leafCall
}

type leafEntry struct {
	host string
	cert *tls.Certificate
}

type leafCall struct {
	done chan struct{}
	cert *tls.Certificate
	err  error
}

// NewLeafCache returns a cache of leaves signed by ca.
func NewLeafCache(ca *CA, size int) *LeafCache {
	if size <= 0 {
		size = DefaultLeafCacheSize
	}
	return &LeafCache{
		ca: ca, size: size,
		lru:      list.New(),
		byHost:   make(map[string]*list.Element),
		inflight: make(map[string]*leafCall),
	}
}

// Get returns the leaf for host, signing it with the cache's CA if needed.
// Host names are compared without regard to case.
func (c *LeafCache) Get(host string) (*tls.Certificate, error) {
	return c.Fetch(host, func() (*tls.Certificate, error) { return c.ca.SignLeaf(host) })
}

// Fetch returns the cached leaf for host or calls gen once, however many
// callers ask at the same time, and caches its result. A failed gen is not
// cached. This is goproxy's CertStorage method.
func (c *LeafCache) Fetch(host string, gen func() (*tls.Certificate, error)) (*tls.Certificate, error) {
	key := strings.ToLower(host)
	c.mu.Lock()
	if el, ok := c.byHost[key]; ok {
		e := el.Value.(*leafEntry)
		if time.Until(e.cert.Leaf.NotAfter) > renewBefore {
			c.lru.MoveToFront(el)
			c.mu.Unlock()
			return e.cert, nil
		}
		c.lru.Remove(el)
		delete(c.byHost, key)
	}
	if call, ok := c.inflight[key]; ok {
		c.mu.Unlock()
		<-call.done
		return call.cert, call.err
	}
	call := &leafCall{done: make(chan struct{})}
	c.inflight[key] = call
	c.mu.Unlock()

	call.cert, call.err = gen()

	c.mu.Lock()
	delete(c.inflight, key)
	if call.err == nil && call.cert.Leaf != nil {
		c.add(key, call.cert)
	}
	c.mu.Unlock()
	close(call.done)
	return call.cert, call.err
}

// add inserts a leaf; c.mu is held.
func (c *LeafCache) add(key string, cert *tls.Certificate) {
	c.byHost[key] = c.lru.PushFront(&leafEntry{host: key, cert: cert})
	for c.lru.Len() > c.size {
		old := c.lru.Back()
		c.lru.Remove(old)
		delete(c.byHost, old.Value.(*leafEntry).host)
	}
}

// Len returns the number of cached leaves.
func (c *LeafCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
