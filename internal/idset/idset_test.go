package idset

import (
	"math/rand/v2"
	"testing"
)

// TestSet checks the set against a map over enough members to merge
// many times.
func TestSet(t *testing.T) {
	var s Set
	want := map[uint64]bool{}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 50_000 {
		h := r.Uint64() % 80_000 // repeats too
		if s.Has(h) != want[h] {
			t.Fatalf("step %d: has(%d) = %v, want %v", i, h, !want[h], want[h])
		}
		s.Add(h)
		want[h] = true
	}
	if s.Len() != len(want) {
		t.Errorf("len %d, want %d", s.Len(), len(want))
	}
	for h := range uint64(80_000) {
		if s.Has(h) != want[h] {
			t.Fatalf("has(%d) = %v", h, !want[h])
		}
	}
}
