package runtime

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestChildList drives a childList with random adds and removes, mostly in spawn order (the
// common case the list is built for), against a plain ordered slice: the live entries, their
// order and their recorded positions must always agree, and the chunks held must follow the
// live entries.
func TestChildList(t *testing.T) {
	for seed := range uint64(50) {
		r := rand.New(rand.NewPCG(seed, 1))
		var l childList
		var model []*Tasklet
		steps := 3000
		if seed%5 == 0 {
			steps = 10000 // long enough for many chunks
		}
		for step := range steps {
			if len(model) == 0 || r.IntN(100) < 52 {
				c := &Tasklet{}
				l.add(c)
				model = append(model, c)
			} else {
				i := 0
				if r.IntN(4) == 0 || seed%2 == 1 && r.IntN(2) == 0 || seed%3 == 2 {
					i = r.IntN(len(model)) // out of order (often, for odd seeds)
				}
				l.remove(model[i])
				model = slices.Delete(model, i, i+1)
				// Holes past the head never outnumber the live entries for long.
				if span := l.end - l.head; span > 2*childChunkLen && l.n < span/2 {
					t.Fatalf("seed %d step %d: %d live among %d positions past the head", seed, step, l.n, span)
				}
			}
			if steps < 5000 || step%64 == 0 {
				checkChildList(t, &l, model, seed, step)
			}
		}
		for len(model) > 0 { // empty it, in spawn order
			l.remove(model[0])
			model = model[1:]
		}
		checkChildList(t, &l, model, seed, steps)
		if len(l.chunks) > 0 || l.end != 0 {
			t.Fatalf("seed %d: empty list holds %d chunks, end %d", seed, len(l.chunks), l.end)
		}
	}
}

func checkChildList(t *testing.T, l *childList, model []*Tasklet, seed uint64, step int) {
	t.Helper()
	var live []*Tasklet
	for i, ch := range l.chunks {
		if ch == nil {
			if i < l.dropped && (l.off+i+1)*childChunkLen <= l.head {
				continue
			}
			t.Fatalf("seed %d step %d: chunk %d of %d (%d dropped) is nil", seed, step, i, len(l.chunks), l.dropped)
		}
		for j, c := range ch {
			pos := (l.off+i)*childChunkLen + j
			if c == nil {
				continue
			}
			if pos < l.head || pos >= l.end {
				t.Fatalf("seed %d step %d: live entry at %d outside [%d, %d)", seed, step, pos, l.head, l.end)
			}
			if int(c.kidx) != pos {
				t.Fatalf("seed %d step %d: entry %d records position %d", seed, step, pos, c.kidx)
			}
			live = append(live, c)
		}
	}
	if !slices.Equal(live, model) || l.n != len(model) || !slices.Equal(l.live(), model) {
		t.Fatalf("seed %d step %d: list holds %d live (n=%d), want %d in spawn order", seed, step, len(live), l.n, len(model))
	}
	// Chunks cover head to end, no more.
	if first, last := l.head/childChunkLen, max(l.end-1, l.head)/childChunkLen; l.n > 0 && l.off+l.dropped != first || len(l.chunks)-l.dropped > last-first+1 {
		t.Fatalf("seed %d step %d: %d chunks (%d dropped) from %d for positions [%d, %d)", seed, step, len(l.chunks), l.dropped, l.off, l.head, l.end)
	}
	if len(l.chunks) > 2*(len(l.chunks)-l.dropped)+2 {
		t.Fatalf("seed %d step %d: %d chunk pointers for %d chunks", seed, step, len(l.chunks), len(l.chunks)-l.dropped)
	}
}

// A parent whose children end in the order they started (a server's connections) reuses its
// chunks: no allocation in the steady state, and positions are numbered from 0 again now and
// then.
func TestChildListSteady(t *testing.T) {
	defer func(n int) { childRenumberAt = n }(childRenumberAt)
	childRenumberAt = 40
	var l childList
	cs := make([]Tasklet, 1000)
	for i := range cs[:100] {
		l.add(&cs[i])
	}
	next := 100
	step := func() {
		l.remove(&cs[(next-100)%len(cs)])
		l.add(&cs[next%len(cs)])
		next++
	}
	for range 1000 {
		step()
	}
	if a := testing.AllocsPerRun(10, func() {
		for range 1000 {
			step()
		}
	}); a != 0 {
		t.Fatalf("%v allocations per 1000 spawns and finishes", a)
	}
	// 100 consecutive positions span at most this many chunks.
	if most := (100+childChunkLen-2)/childChunkLen + 1; len(l.chunks)-l.dropped > most {
		t.Fatalf("%d chunks for 100 live children, want at most %d", len(l.chunks)-l.dropped, most)
	}
	if l.end > 50*childChunkLen {
		t.Fatalf("positions not renumbered: end %d", l.end)
	}
	var model []*Tasklet
	for i := next - 100; i < next; i++ {
		model = append(model, &cs[i%len(cs)])
	}
	checkChildList(t, &l, model, 0, next)
}
