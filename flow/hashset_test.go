package flow

import (
	"math/rand/v2"
	"testing"
)

// TestHashSet checks the set against a map over enough members to merge
// many times.
func TestHashSet(t *testing.T) {
	var s hashSet
	want := map[uint64]bool{}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 50_000 {
		h := r.Uint64() % 80_000 // repeats too
		if s.has(h) != want[h] {
			t.Fatalf("step %d: has(%d) = %v, want %v", i, h, !want[h], want[h])
		}
		s.add(h)
		want[h] = true
	}
	if s.len() != len(want) {
		t.Errorf("len %d, want %d", s.len(), len(want))
	}
	for h := range uint64(80_000) {
		if s.has(h) != want[h] {
			t.Fatalf("has(%d) = %v", h, !want[h])
		}
	}
}
