package runtime

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestRunQueueModel drives the run queue (ring and fast lane) with random pushes at the back,
// pushes at the front, insertions and pops, and checks every pop and length against a slice.
func TestRunQueueModel(t *testing.T) {
	for seed := range uint64(50) {
		rng := rand.New(rand.NewPCG(seed, 7))
		var q runQueue
		var model []*Tasklet
		for i := range 5000 {
			x := &Tasklet{caseIdx: int16(i)}
			switch op := rng.IntN(10); {
			case op < 4:
				q.pushBack(x)
				model = append(model, x)
			case op < 5:
				q.pushFront(x)
				model = slices.Insert(model, 0, x)
			case op < 6:
				k := rng.IntN(len(model) + 1)
				q.insertAt(k, x)
				model = slices.Insert(model, k, x)
			default:
				if len(model) == 0 {
					continue
				}
				if got := q.popFront(); got != model[0] {
					t.Fatalf("seed %d, op %d: popped %d, want %d", seed, i, got.caseIdx, model[0].caseIdx)
				}
				model = model[1:]
			}
			if q.len() != len(model) {
				t.Fatalf("seed %d, op %d: len %d, want %d", seed, i, q.len(), len(model))
			}
			if rng.IntN(100) == 0 {
				q.shrink()
			}
		}
	}
}

// TestStateParity: the dispatcher loop tells a plain suspension from the rest by the low bit of
// the tasklet's state (see loop), which only stRunning may have set, and a run queue entry to
// run (stNew, stRunnable) from a stale one by the low two bits.
func TestStateParity(t *testing.T) {
	if stRunnable&1 != 0 || stWaiting&1 != 0 || stFinished&1 != 0 || stNew&1 != 0 || stRunning&1 != 1 {
		t.Fatalf("states renumbered: new %d, runnable %d, running %d, waiting %d, finished %d", stNew, stRunnable, stRunning, stWaiting, stFinished)
	}
	if stNew&3 != 0 || stRunnable&3 != 0 || stRunning&3 == 0 || stWaiting&3 == 0 || stFinished&3 == 0 {
		t.Fatalf("states renumbered: new %d, runnable %d, running %d, waiting %d, finished %d", stNew, stRunnable, stRunning, stWaiting, stFinished)
	}
	var r Tasklet
	if r.state != stNew {
		t.Fatalf("a zeroed tasklet record is in state %d, want stNew", r.state)
	}
}
