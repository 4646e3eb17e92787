package legacyca

import (
	"crypto/rand"
	"encoding/base64"
	mrand "math/rand/v2"
	"sync"
)

// maxNonces bounds the outstanding nonces; the oldest are forgotten first,
// which a client sees as badNonce (Boulder's nonce service behaves alike).
const maxNonces = 1 << 14

// nonceStore issues single-use anti-replay nonces (draft-ietf-acme-acme-02
// §5.5). Every response carries one; every POST must consume one.
type nonceStore struct {
	rejectPercent int

	mu    sync.Mutex
	valid map[string]struct{}
	order []string // issue order, for eviction
}

func newNonceStore(rejectPercent int) *nonceStore {
	return &nonceStore{rejectPercent: rejectPercent, valid: make(map[string]struct{})}
}

// issue returns a fresh nonce and remembers it.
func (s *nonceStore) issue() (string, error) {
	n, err := randomString(16)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.order) >= maxNonces {
		delete(s.valid, s.order[0])
		s.order = s.order[1:]
	}
	s.valid[n] = struct{}{}
	s.order = append(s.order, n)
	return n, nil
}

// redeem consumes n and reports whether it was outstanding. A good nonce is
// still consumed, and reported bad, for the configured share of requests.
func (s *nonceStore) redeem(n string) bool {
	s.mu.Lock()
	_, ok := s.valid[n]
	delete(s.valid, n)
	s.mu.Unlock()
	// The order slice keeps the redeemed entry until eviction; deleting
	// an absent key then is harmless.
	if ok && s.rejectPercent > 0 && mrand.IntN(100) < s.rejectPercent {
		return false
	}
	return ok
}

// randomString returns n random bytes as unpadded base64url.
func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
