package runtime

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestChildList drives a childList with random adds and removes, mostly in spawn order (the
// common case the list is built for), against a plain ordered slice: the live entries, their
// order and their recorded indices must always agree.
func TestChildList(t *testing.T) {
	for seed := range uint64(50) {
		r := rand.New(rand.NewPCG(seed, 1))
		var l childList
		var model []*Tasklet
		for step := range 3000 {
			if len(model) == 0 || r.IntN(100) < 52 {
				c := &Tasklet{}
				before := cap(l.s)
				l.add(c)
				model = append(model, c)
				// The slice grows only when holes are few: mostly live entries.
				if cap(l.s) != before && len(l.s) > 3*l.n+17 {
					t.Fatalf("seed %d step %d: grew to %d slots (%d used) for %d live", seed, step, cap(l.s), len(l.s), l.n)
				}
			} else {
				i := 0
				if r.IntN(4) == 0 || seed%2 == 1 && r.IntN(2) == 0 {
					i = r.IntN(len(model)) // out of order (often, for odd seeds)
				}
				l.remove(model[i])
				model = slices.Delete(model, i, i+1)
				// Holes past the head never outnumber the live entries for long.
				if len(l.s) > 16 && l.n < (len(l.s)-l.head)/2 {
					t.Fatalf("seed %d step %d: %d live among %d slots past the head", seed, step, l.n, len(l.s)-l.head)
				}
			}
			var live []*Tasklet
			for k, c := range l.s {
				if c == nil {
					continue
				}
				if k < l.head {
					t.Fatalf("seed %d step %d: live entry %d before head %d", seed, step, k, l.head)
				}
				if int(c.kidx) != k {
					t.Fatalf("seed %d step %d: entry %d records index %d", seed, step, k, c.kidx)
				}
				live = append(live, c)
			}
			if !slices.Equal(live, model) || l.n != len(model) {
				t.Fatalf("seed %d step %d: list holds %d live (n=%d), want %d in spawn order", seed, step, len(live), l.n, len(model))
			}
		}
	}
}
