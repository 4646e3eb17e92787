// Package idset keeps identities — key thumbprints, URLs, tokens,
// nonces — as 64-bit hashes in a compact set. The flow ledger keeps the
// identities of the accounts it evicted and the nonces it saw, and the
// decoder those of what it was told to forget, so that later traffic
// about them is recognised without keeping the strings.
//
// A hash stands for its string: a million members take 8 MB, and a false
// match needs a 64-bit collision (odds of about 3·10^-8 among a million).
package idset

import "slices"

// Kinds of identity, hashed with the identity so that a URL and a token
// with the same text stay apart.
const (
	Key   = 'k' // key thumbprint
	URL   = 'u' // account or object URL
	Token = 't' // challenge token
	Nonce = 'n' // JWS nonce
)

// Hash is FNV-1a (64 bits) over kind and s: stable across runs and
// processes, so that one run recognises the identities another noted.
func Hash(kind byte, s string) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	h = (h ^ uint64(kind)) * prime
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * prime
	}
	return h
}

// Set is a set of 64-bit hashes that costs about 8 bytes a member: the
// recent members sit in a map, which is merged into a sorted slice when it
// reaches an eighth of it. A million members take 8 MB rather than the
// 25 to 40 MB of a map.
type Set struct {
	recent map[uint64]struct{}
	sorted []uint64
}

// Has reports whether h is a member.
func (s *Set) Has(h uint64) bool {
	if _, ok := s.recent[h]; ok {
		return true
	}
	_, ok := slices.BinarySearch(s.sorted, h)
	return ok
}

// Add makes h a member.
func (s *Set) Add(h uint64) {
	if _, ok := slices.BinarySearch(s.sorted, h); ok {
		return
	}
	if s.recent == nil {
		s.recent = map[uint64]struct{}{}
	}
	s.recent[h] = struct{}{}
	if len(s.recent) >= max(1024, len(s.sorted)/8) {
		s.merge()
	}
}

// merge moves the recent members into the sorted slice.
func (s *Set) merge() {
	add := make([]uint64, 0, len(s.recent))
	for h := range s.recent {
		add = append(add, h)
	}
	slices.Sort(add)
	merged := make([]uint64, 0, len(s.sorted)+len(add))
	i, j := 0, 0
	for i < len(s.sorted) && j < len(add) {
		if s.sorted[i] < add[j] {
			merged = append(merged, s.sorted[i])
			i++
		} else {
			merged = append(merged, add[j])
			j++
		}
	}
	merged = append(append(merged, s.sorted[i:]...), add[j:]...)
	s.sorted = merged
	clear(s.recent)
}

// Len returns the number of members.
func (s *Set) Len() int { return len(s.sorted) + len(s.recent) }
