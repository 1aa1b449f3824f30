package runtime

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// The timer structure against a sorted reference: random inserts, cancels, peeks and pops keep
// (when, seq) order, with timers in every part of it (the run, late, the wheel, the outer wheel,
// far), and cancelling everything leaves nothing behind.
func TestTimerHeapRandom(t *testing.T) {
	for seed := range uint64(12) {
		testTimerHeap(t, seed)
	}
}

func testTimerHeap(t *testing.T, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 2))
	var h timerHeap
	type ref struct {
		when int64
		seq  int
		t    *Tasklet
	}
	var live []ref
	seq := 0
	now := int64(0)
	sortLive := func() {
		slices.SortFunc(live, func(a, b ref) int {
			if a.when != b.when {
				return int(a.when - b.when)
			}
			return a.seq - b.seq
		})
	}
	// Timeouts from 0 to a few seconds, with many falling on the same instants; the seeds
	// differ in scale, so some runs keep everything in one bucket and others reach far.
	scale := []int64{1, 1000, int64(time.Millisecond), 1 << wheelShift, int64(10 * time.Millisecond), int64(100 * time.Millisecond)}[seed%6]
	for step := range 30000 {
		switch op := r.IntN(200); {
		case op == 0: // a burst: hundreds of timers in a few buckets (sorted by radix)
			for range 100 + r.IntN(400) {
				tk := &Tasklet{tidx: -1}
				when := now + r.Int64N(3<<wheelShift)
				if r.IntN(4) == 0 {
					when = now + 2<<wheelShift // many on one instant
				}
				h.add(tk, when, now)
				seq++
				live = append(live, ref{when, seq, tk})
			}
		case op == 1: // cancel most: buckets left with more holes than timers are compacted
			for i := 0; i < len(live); {
				if r.IntN(5) != 0 {
					h.remove(live[i].t)
					live = slices.Delete(live, i, i+1)
				} else {
					i++
				}
			}
		case op < 90 || len(live) == 0: // add
			tk := &Tasklet{tidx: -1}
			when := now + int64(r.IntN(300))*scale
			if r.IntN(50) == 0 {
				when = now + int64(r.IntN(1000))*int64(time.Second) // far beyond the wheel
			}
			h.add(tk, when, now)
			seq++
			live = append(live, ref{when, seq, tk})
		case op < 140: // cancel a random one
			i := r.IntN(len(live))
			h.remove(live[i].t)
			if live[i].t.tidx != -1 {
				t.Fatal("tidx not reset")
			}
			live = slices.Delete(live, i, i+1)
		case op < 150: // peek
			sortLive()
			when, ok := h.peek()
			if !ok || when != live[0].when {
				t.Fatalf("seed %d step %d: peek %d %v, want %d", seed, step, when, ok, live[0].when)
			}
		default: // time passes: pop everything due
			now += int64(r.IntN(40)) * scale
			if r.IntN(100) == 0 {
				now += int64(r.IntN(2000)) * int64(time.Second) // a long idle
			}
			sortLive()
			for len(live) > 0 && live[0].when <= now {
				got := h.popDue(now)
				if got != live[0].t {
					t.Fatalf("seed %d step %d: popped the wrong timer", seed, step)
				}
				if got.tidx != -1 {
					t.Fatal("tidx not reset by popDue")
				}
				live = live[1:]
			}
			if h.popDue(now) != nil {
				t.Fatalf("seed %d step %d: a timer due after %d popped", seed, step, now)
			}
		}
		if h.len() != len(live) {
			t.Fatalf("seed %d step %d: heap has %d, want %d", seed, step, h.len(), len(live))
		}
		if step%97 == 0 {
			if err := h.check(); err != nil {
				t.Fatalf("seed %d step %d: %v", seed, step, err)
			}
		}
	}
	for _, x := range live {
		h.remove(x.t)
	}
	if err := h.check(); err != nil {
		t.Fatal(err)
	}
	if h.len() != 0 || h.peekOK() {
		t.Fatalf("after cancelling all: len %d", h.len())
	}
}

func (h *timerHeap) peekOK() bool { _, ok := h.peek(); return ok }

// Same-instant timers fire in the order they were set, wherever they were kept: one set beyond
// the wheel (in the outer wheel, then cascaded), one in the wheel, one after their bucket became
// the run (late).
func TestTimerSameInstantOrder(t *testing.T) {
	var h timerHeap
	when := int64(5 * time.Second)
	h.add(&Tasklet{tidx: -1}, 0, 0) // the wheel starts at 0
	a, b, c := &Tasklet{tidx: -1}, &Tasklet{tidx: -1}, &Tasklet{tidx: -1}
	h.add(a, when, 0)
	if a.tidx < locOuter || a.tidx >= locWheel {
		t.Fatalf("a timer 5s ahead is not in the outer wheel: %d", a.tidx)
	}
	if h.popDue(0) == nil || h.popDue(when-int64(100*time.Millisecond)) != nil {
		t.Fatal("wrong timers due")
	}
	h.add(b, when, when-int64(100*time.Millisecond))
	if b.tidx < locWheel {
		t.Fatalf("a timer 100ms ahead is not in the wheel: %d", b.tidx)
	}
	if w, ok := h.peek(); !ok || w != when {
		t.Fatalf("peek %d", w)
	}
	if h.popDue(when-1) != nil { // pours when's bucket into near
		t.Fatal("a timer fired early")
	}
	h.add(c, when, when-1)
	if c.tidx >= locFar {
		t.Fatalf("a timer of a poured bucket is not in near: %d", c.tidx)
	}
	if err := h.check(); err != nil {
		t.Fatal(err)
	}
	for i, want := range []*Tasklet{a, b, c} {
		if got := h.popDue(when); got != want {
			t.Fatalf("timer %d fired out of order", i)
		}
	}
}

// A wave of timers that drains and comes back reuses the structure's memory; once the waves
// stop, trims give it back.
func TestTimerHeapMemory(t *testing.T) {
	var h timerHeap
	ts := make([]Tasklet, 50000)
	now := int64(0)
	wave := func(k int) {
		for i := range ts[:k] {
			ts[i].tidx = -1
			h.add(&ts[i], now+int64(1+i%50)*int64(time.Millisecond), now)
		}
		for h.popDue(now+int64(60*time.Millisecond)) != nil {
		}
		now += wheelSize << wheelShift // a turn of the wheel later: the same buckets again
	}
	wave(len(ts))
	if a := testing.AllocsPerRun(3, func() { wave(len(ts)) }); a != 0 {
		t.Fatalf("a wave of %d timers allocated %v times", len(ts), a)
	}
	for range 2 * trimEvery / 100 {
		wave(100)
	}
	if cap(h.late) > trimMin || cap(h.far) > trimMin || cap(h.runKeys) > trimMin || cap(h.keyTmp) > trimMin || len(h.pool) > 100 {
		t.Fatalf("after the waves stopped: late cap %d, far cap %d, %d chunks pooled", cap(h.late), cap(h.far), len(h.pool))
	}
}

// Looking at a far timer (as an idle dispatcher does) does not move the wheel: the short
// timers set afterwards still go into the wheel, not into a heap.
func TestTimerPeekKeepsWheel(t *testing.T) {
	var h timerHeap
	h.add(&Tasklet{tidx: -1}, 0, 0)
	if h.popDue(0) == nil {
		t.Fatal("the timer at 0 did not fire")
	}
	h.add(&Tasklet{tidx: -1}, int64(time.Hour), 0)
	if w, ok := h.peek(); !ok || w != int64(time.Hour) {
		t.Fatalf("peek %d %v", w, ok)
	}
	short := &Tasklet{tidx: -1}
	h.add(short, int64(10*time.Millisecond), 0)
	if short.tidx < locWheel {
		t.Fatalf("a 10ms timer after a peek at 1h is not in the wheel: %d", short.tidx)
	}
	if w, _ := h.peek(); w != int64(10*time.Millisecond) {
		t.Fatalf("peek %d", w)
	}
	if err := h.check(); err != nil {
		t.Fatal(err)
	}
}

// Timers beyond the wheel: in the outer wheel up to 17 s ahead (set and cancelled in O(1)),
// in far beyond it. peek finds the earliest while the wheel is empty, and they fire in order as
// the outer buckets cascade into the wheel, ties in the order they were set.
func TestTimerOuterWheel(t *testing.T) {
	var h timerHeap
	ts := make([]Tasklet, 12)
	whens := []time.Duration{16 * time.Second, 3 * time.Second, 30 * time.Second, time.Second, 3 * time.Second, 800 * time.Millisecond,
		16 * time.Second, 5 * time.Minute, 3 * time.Second, 10 * time.Second, 2 * time.Second, 700 * time.Millisecond}
	for i := range ts {
		ts[i].tidx = -1
		h.add(&ts[i], int64(whens[i]), 0)
	}
	for i, w := range whens {
		far := w > 17*time.Second
		if in := ts[i].tidx >= locOuter && ts[i].tidx < locWheel; in == far {
			t.Fatalf("timer %d (%v): tidx %d", i, w, ts[i].tidx)
		}
	}
	h.remove(&ts[9]) // the 10 s one
	order := []int{11, 5, 3, 10, 1, 4, 8, 0, 6, 2, 7}
	now := int64(0)
	for _, i := range order {
		if err := h.check(); err != nil {
			t.Fatal(err)
		}
		w, ok := h.peek()
		if !ok || w != int64(whens[i]) {
			t.Fatalf("peek %v %v, want %v", time.Duration(w), ok, whens[i])
		}
		if got := h.popDue(w - 1); got != nil {
			t.Fatalf("a timer fired before %v", whens[i])
		}
		now = w
		if got := h.popDue(now); got != &ts[i] {
			t.Fatalf("at %v: timer %v fired, want %d", time.Duration(now), got, i)
		}
	}
	if h.len() != 0 || h.popDue(now+int64(time.Hour)) != nil {
		t.Fatal("timers left")
	}
}

// sortKeys orders a run's keys by offset, then position, for every size (pdqsort, radix sorts
// of one to three digits) and spread of offsets (one instant, a few, the whole bucket).
func TestSortKeys(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var tmp []uint64
	for _, n := range []int{0, 1, 2, 24, 96, 97, 100, 257, 1000, 2048, 5000} {
		for _, spread := range []int{1, 3, 1 << 10, 1 << 12, 1 << wheelShift} {
			base := r.IntN(1<<wheelShift - spread + 1)
			a := make([]uint64, n)
			lo, hi := uint64(1<<wheelShift), uint64(0)
			for i := range a {
				off := uint64(base + r.IntN(spread))
				lo, hi = min(lo, off), max(hi, off)
				a[i] = off<<bucketBits | uint64(i)
			}
			want := slices.Clone(a)
			slices.Sort(want)
			var got []uint64
			got, tmp = sortKeys(a, tmp, lo, hi)
			if !slices.Equal(got, want) {
				t.Fatalf("%d keys over %d offsets: not sorted", n, spread)
			}
			if len(tmp) != 0 || n > 0 && cap(tmp) > 0 && &tmp[:1][0] == &got[0] {
				t.Fatalf("%d keys over %d offsets: the spare buffer is the sorted one", n, spread)
			}
		}
	}
}
