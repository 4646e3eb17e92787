package flow

import "slices"

// hashSet is a set of 64-bit hashes that costs about 8 bytes a member: the
// recent members sit in a map, which is merged into a sorted slice when it
// reaches an eighth of it. A million members take 8 MB rather than the
// 25 to 40 MB of a map.
type hashSet struct {
	recent map[uint64]struct{}
	sorted []uint64
}

func (s *hashSet) has(h uint64) bool {
	if _, ok := s.recent[h]; ok {
		return true
	}
	_, ok := slices.BinarySearch(s.sorted, h)
	return ok
}

func (s *hashSet) add(h uint64) {
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
func (s *hashSet) merge() {
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

// len returns the number of members.
func (s *hashSet) len() int { return len(s.sorted) + len(s.recent) }
