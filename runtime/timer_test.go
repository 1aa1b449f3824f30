package runtime

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// The timer heap against a sorted reference: random inserts, cancels and pops keep (when, seq)
// order, and cancelling everything leaves nothing behind.
func TestTimerHeapRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h timerHeap
	type ref struct {
		when int64
		seq  int
		t    *Tasklet
	}
	var live []ref
	seq := 0
	for step := range 20000 {
		switch op := r.IntN(10); {
		case op < 5 || len(live) == 0: // add
			tk := &Tasklet{tidx: -1}
			when := int64(r.IntN(1000))
			h.add(tk, when)
			seq++
			live = append(live, ref{when, seq, tk})
		case op < 8: // cancel a random one
			i := r.IntN(len(live))
			h.remove(live[i].t)
			if live[i].t.tidx != -1 {
				t.Fatal("tidx not reset")
			}
			live = slices.Delete(live, i, i+1)
		default: // pop everything due at some time
			now := int64(r.IntN(1000))
			slices.SortFunc(live, func(a, b ref) int {
				if a.when != b.when {
					return int(a.when - b.when)
				}
				return a.seq - b.seq
			})
			for len(live) > 0 && live[0].when <= now {
				got := h.popDue(now)
				if got != live[0].t {
					t.Fatalf("step %d: popped the wrong timer", step)
				}
				live = live[1:]
			}
			if h.popDue(now) != nil {
				t.Fatalf("step %d: a timer due after %d popped", step, now)
			}
		}
		if h.len() != len(live) {
			t.Fatalf("step %d: heap has %d, want %d", step, h.len(), len(live))
		}
	}
	for _, x := range live {
		h.remove(x.t)
	}
	if h.len() != 0 || cap(h.a) > 2048 {
		t.Fatalf("after cancelling all: len %d cap %d", h.len(), cap(h.a))
	}
}

func TestRunQueue(t *testing.T) {
	var q runQueue
	ts := make([]*Tasklet, 3000)
	for i := range ts {
		ts[i] = &Tasklet{caseIdx: int32(i)}
	}
	for i := 10; i < 3000; i++ {
		q.pushBack(ts[i])
	}
	for i := 9; i >= 5; i-- {
		q.pushFront(ts[i])
	}
	q.insertAt(0, ts[0])
	q.insertAt(1, ts[1])
	q.insertAt(2, ts[2])
	q.insertAt(3, ts[3])
	q.insertAt(4, ts[4])
	for i := range 3000 {
		if got := q.popFront(); got != ts[i] {
			t.Fatalf("pop %d: got %d", i, got.caseIdx)
		}
		if i == 2900 {
			q.shrink()
		}
	}
	if q.n != 0 || len(q.buf) > 1024 {
		t.Fatalf("n %d, len %d", q.n, len(q.buf))
	}
}
