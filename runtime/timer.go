package runtime

import (
	"fmt"
	"math/bits"
)

// timerHeap holds the pending timeouts of the dispatcher: at most one per tasklet (the timeout of
// the operation it waits in, or its sleep). Timers fire in (when, seq) order, so timers due at
// the same instant fire in the order they were set, and a cancelled timer leaves nothing
// behind.
//
// It is a bucketed heap. Time is cut into buckets of 2^wheelShift ns (about half a
// millisecond). The buckets of the next wheelSize buckets from cur (about half a second) form a
// wheel: unordered lists of fixed-size chunks, where setting a timer is an append and cancelling
// it a move of the bucket's last timer into its place, both O(1). Every timer of a bucket before
// cur is in near, a 4-ary min-heap; when near empties, the next bucket that has timers is poured
// into it (a heap built in O(k)), so near stays about as small as one bucket, and in cache.
// Timers beyond the wheel when they were set (long timeouts) go into far, another 4-ary heap
// (O(log n)), from which they move to near when their bucket comes.
//
// Each tasklet records where its timer is in tidx (see the loc* constants), so cancelling never
// searches. Memory is reused rather than given back at once: the heaps keep their capacity and
// emptied chunks wait in a pool, so waves of timers that drain and come back allocate nothing;
// trim gives back what stayed unused for trimEvery operations.
type timerHeap struct {
	near []timerEntry // 4-ary heap: every timer of a bucket before cur
	far  []timerEntry // 4-ary heap: timers set beyond the wheel, none of a bucket before cur
	// wheel[b&wheelMask] holds the timers of bucket b, for cur <= b < cur+wheelSize.
	wheel   [wheelSize]timerBucket
	full    [wheelSize / 64]uint64 // bit b&wheelMask: wheel[b&wheelMask] has timers
	cur     int64                  // the first bucket not poured into near
	n       int                    // pending timers
	inWheel int                    // pending timers in the wheel
	seq     uint64

	pool    []*timerChunk // emptied chunks
	poolMin int           // the fewest pooled chunks since the last trim: not needed
	poolOld int           // the same for the time between the two trims before
	ops     int           // operations since the last trim
	nearHW  int           // the most timers near held since the last trim
	farHW   int           // the same for far
}

// timerBucket is the timers of one bucket, in no order: chunks[i/chunkLen][i%chunkLen].
type timerBucket struct {
	chunks []*timerChunk
	n      int
}

type timerChunk [chunkLen]timerEntry

type timerEntry struct {
	when int64 // dispatcher nanoseconds (see Dispatcher.nanos)
	seq  uint64
	t    *Tasklet
}

const (
	wheelShift = 19 // a bucket is 2^19 ns (524 µs)
	wheelSize  = 1024
	wheelMask  = wheelSize - 1
	chunkLen   = 128 // timers per chunk (3 KiB)

	// Tasklet.tidx: -1 for no timer; else where the timer is.
	locFar     = 1 << 29 // tidx-locFar is the index in far
	locWheel   = 1 << 30 // tidx = locWheel | slot<<bucketBits | index in the bucket
	bucketBits = 20      // a bucket holds at most 2^20 timers; more go to far

	trimEvery = 1 << 16 // operations between two trims
	trimMin   = 4096    // heaps up to this capacity are never trimmed
)

func (e *timerEntry) less(o *timerEntry) bool {
	return e.when < o.when || (e.when == o.when && e.seq < o.seq)
}

func (h *timerHeap) len() int { return h.n }

// add sets t's timer to fire at when; now is the current time. t must have no timer.
func (h *timerHeap) add(t *Tasklet, when, now int64) {
	h.seq++
	h.n++
	h.ops++
	e := timerEntry{when: when, seq: h.seq, t: t}
	b := when >> wheelShift
	if len(h.near) == 0 && h.inWheel == 0 {
		// Nothing before far: the wheel may start anywhere up to far's first bucket. Make it
		// cover the time from now (it may lag behind after a while without timers).
		h.cur = now >> wheelShift
		if len(h.far) > 0 {
			h.cur = min(h.cur, h.far[0].when>>wheelShift)
		}
	}
	switch {
	case b < h.cur:
		h.near = append(h.near, e)
		h.nearHW = max(h.nearHW, len(h.near))
		heapUp(h.near, len(h.near)-1, 0)
	case b < h.cur+wheelSize && h.wheel[b&wheelMask].n < 1<<bucketBits:
		slot := int(b & wheelMask)
		k := &h.wheel[slot]
		i := k.n
		if i%chunkLen == 0 {
			if i == 0 {
				h.full[slot/64] |= 1 << (slot % 64)
			}
			k.chunks = append(k.chunks, h.chunk())
		}
		k.chunks[i/chunkLen][i%chunkLen] = e
		k.n++
		h.inWheel++
		t.tidx = int32(locWheel | slot<<bucketBits | i)
	default:
		h.far = append(h.far, e)
		h.farHW = max(h.farHW, len(h.far))
		heapUp(h.far, len(h.far)-1, locFar)
	}
	if h.ops >= trimEvery {
		h.trim()
	}
}

// remove cancels t's timer, if it has one.
func (h *timerHeap) remove(t *Tasklet) {
	i := int(t.tidx)
	if i < 0 {
		return
	}
	t.tidx = -1
	h.n--
	h.ops++
	switch {
	case i >= locWheel:
		slot, j := (i-locWheel)>>bucketBits, i&(1<<bucketBits-1)
		k := &h.wheel[slot]
		last := k.n - 1
		lc := k.chunks[last/chunkLen]
		if j != last {
			e := &k.chunks[j/chunkLen][j%chunkLen]
			*e = lc[last%chunkLen]
			e.t.tidx = int32(locWheel | slot<<bucketBits | j)
		}
		lc[last%chunkLen] = timerEntry{}
		k.n--
		h.inWheel--
		if last%chunkLen == 0 {
			k.chunks[len(k.chunks)-1] = nil
			k.chunks = k.chunks[:len(k.chunks)-1]
			h.pool = append(h.pool, lc)
			if last == 0 {
				h.full[slot/64] &^= 1 << (slot % 64)
			}
		}
	case i >= locFar:
		h.far = heapRemove(h.far, i-locFar, locFar)
	default:
		h.near = heapRemove(h.near, i, 0)
	}
	if h.ops >= trimEvery {
		h.trim()
	}
}

// peek returns the time of the earliest timer; ok is false when there is none. It moves
// nothing: the wheel keeps covering the time ahead even when the next timer is far away.
func (h *timerHeap) peek() (when int64, ok bool) {
	if len(h.near) > 0 {
		return h.near[0].when, true
	}
	if len(h.far) > 0 {
		when, ok = h.far[0].when, true
	}
	if b, inWheel := h.nextBucket(); inWheel && (!ok || b <= when>>wheelShift) {
		k := &h.wheel[b&wheelMask]
		for i := range k.n { // a bucket holds the timers of 524 µs: few, when the dispatcher idles
			if e := &k.chunks[i/chunkLen][i%chunkLen]; !ok || e.when < when {
				when, ok = e.when, true
			}
		}
	}
	return when, ok
}

// popDue removes and returns the earliest timer's tasklet if it is due at now.
func (h *timerHeap) popDue(now int64) *Tasklet {
	if len(h.near) == 0 && !h.pour(now>>wheelShift) {
		return nil
	}
	if h.near[0].when > now {
		return nil
	}
	t := h.near[0].t
	t.tidx = -1
	h.n--
	h.ops++
	h.near = heapRemove(h.near, 0, 0)
	return t
}

// pour moves the earliest bucket that has timers, if it is not after bucket limit, into near
// (which is empty), with the far timers of that bucket or before. It reports whether near now
// has timers. When no timer is due by the end of bucket limit, the wheel moves on to start
// after it (so that it keeps covering the time ahead).
func (h *timerHeap) pour(limit int64) bool {
	b, ok := h.nextBucket()
	if len(h.far) > 0 {
		if fb := h.far[0].when >> wheelShift; !ok || fb < b {
			b, ok = fb, true
		}
	}
	if !ok || b > limit {
		if limit >= h.cur {
			h.cur = limit + 1
		}
		return false
	}
	h.cur = b + 1
	slot := int(b & wheelMask)
	if k := &h.wheel[slot]; k.n > 0 && k.chunks[0][0].when>>wheelShift == b {
		h.inWheel -= k.n
		h.full[slot/64] &^= 1 << (slot % 64)
		for c, ch := range k.chunks {
			m := min(k.n-c*chunkLen, chunkLen)
			h.near = append(h.near, ch[:m]...)
			clear(ch[:m])
			h.pool = append(h.pool, ch)
			k.chunks[c] = nil
		}
		k.chunks, k.n = k.chunks[:0], 0
		heapify(h.near)
	}
	for len(h.far) > 0 && h.far[0].when>>wheelShift <= b {
		e := h.far[0]
		h.far = heapRemove(h.far, 0, locFar)
		h.near = append(h.near, e)
		heapUp(h.near, len(h.near)-1, 0)
	}
	h.nearHW = max(h.nearHW, len(h.near))
	return len(h.near) > 0
}

// nextBucket returns the first bucket from cur that holds timers in the wheel.
func (h *timerHeap) nextBucket() (int64, bool) {
	if h.inWheel == 0 {
		return 0, false
	}
	start := int(h.cur & wheelMask)
	for k := 0; k <= len(h.full); k++ {
		w := (start/64 + k) % len(h.full)
		bitsw := h.full[w]
		if k == 0 {
			bitsw &^= 1<<(start%64) - 1 // the slots before start, in this word, come last
		} else if k == len(h.full) {
			bitsw &= 1<<(start%64) - 1
		}
		if bitsw != 0 {
			slot := w*64 + bits.TrailingZeros64(bitsw)
			return h.cur + int64((slot-start)&wheelMask), true
		}
	}
	return 0, false
}

// chunk returns an empty chunk, from the pool if it has one.
func (h *timerHeap) chunk() *timerChunk {
	if n := len(h.pool); n > 0 {
		c := h.pool[n-1]
		h.pool[n-1] = nil
		h.pool = h.pool[:n-1]
		h.poolMin = min(h.poolMin, n-1)
		return c
	}
	return new(timerChunk)
}

// trim runs every trimEvery operations. It gives back the capacity of near and far beyond four
// times the most they held since the last trim, and the pooled chunks that were not needed
// since the trim before (and the chunk lists of large buckets that emptied). So a steady flow of timers reuses its memory, and a burst that is over
// gives it back after at most three trims.
func (h *timerHeap) trim() {
	h.ops = 0
	h.near = trimmed(h.near, h.nearHW)
	h.far = trimmed(h.far, h.farHW)
	h.nearHW, h.farHW = len(h.near), len(h.far)
	if k := min(h.poolMin, h.poolOld); k > 0 {
		n := copy(h.pool, h.pool[k:])
		clear(h.pool[n:])
		h.pool = h.pool[:n]
		if cap(h.pool) > 4*max(n, 64) {
			h.pool = append([]*timerChunk(nil), h.pool...)
		}
	}
	h.poolOld = h.poolMin - min(h.poolMin, h.poolOld)
	h.poolMin = len(h.pool)
	for i := range h.wheel {
		if k := &h.wheel[i]; k.n == 0 && cap(k.chunks) > 16 {
			k.chunks = nil
		}
	}
}

func trimmed(a []timerEntry, hw int) []timerEntry {
	if cap(a) <= trimMin || cap(a) <= 4*hw {
		return a
	}
	na := make([]timerEntry, len(a), max(2*hw, trimMin))
	copy(na, a)
	return na
}

// heapUp, heapDown, heapRemove and heapify keep a 4-ary min-heap and record each entry's index
// (plus base) in its tasklet.
func heapUp(a []timerEntry, i int, base int) {
	e := a[i]
	for i > 0 {
		p := (i - 1) / 4
		if !e.less(&a[p]) {
			break
		}
		a[i] = a[p]
		a[i].t.tidx = int32(base + i)
		i = p
	}
	a[i] = e
	e.t.tidx = int32(base + i)
}

func heapDown(a []timerEntry, i int, base int) {
	n := len(a)
	e := a[i]
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		for j := c + 1; j < c+4 && j < n; j++ {
			if a[j].less(&a[m]) {
				m = j
			}
		}
		if !a[m].less(&e) {
			break
		}
		a[i] = a[m]
		a[i].t.tidx = int32(base + i)
		i = m
	}
	a[i] = e
	e.t.tidx = int32(base + i)
}

// heapRemove removes entry i from the heap a and returns the shorter heap. It does not touch
// the removed entry's tasklet.
func heapRemove(a []timerEntry, i int, base int) []timerEntry {
	last := len(a) - 1
	if i != last {
		a[i] = a[last]
	}
	a[last] = timerEntry{}
	a = a[:last]
	if i != last {
		heapDown(a, i, base)
		heapUp(a, i, base)
	}
	return a
}

// heapify makes a (near, base 0) a heap in O(len(a)), and records every index.
func heapify(a []timerEntry) {
	n := len(a)
	for i := (n - 2) / 4; i >= 0 && n > 1; i-- {
		e := a[i]
		j := i
		for {
			c := 4*j + 1
			if c >= n {
				break
			}
			m := c
			for k := c + 1; k < c+4 && k < n; k++ {
				if a[k].less(&a[m]) {
					m = k
				}
			}
			if !a[m].less(&e) {
				break
			}
			a[j] = a[m]
			j = m
		}
		a[j] = e
	}
	for i := range a {
		a[i].t.tidx = int32(i)
	}
}

// check verifies the structure's invariants (for tests): heap order, each timer's bucket in the
// part that should hold it, every tasklet's recorded place, the counts.
func (h *timerHeap) check() error {
	n, inWheel := len(h.near)+len(h.far), 0
	for i := range h.near {
		e := &h.near[i]
		if i > 0 && e.less(&h.near[(i-1)/4]) {
			return fmt.Errorf("near heap out of order at %d", i)
		}
		if e.when>>wheelShift >= h.cur {
			return fmt.Errorf("near timer %d of bucket %d, not before %d", i, e.when>>wheelShift, h.cur)
		}
		if int(e.t.tidx) != i {
			return fmt.Errorf("near timer %d: tasklet records %d", i, e.t.tidx)
		}
	}
	for i := range h.far {
		e := &h.far[i]
		if i > 0 && e.less(&h.far[(i-1)/4]) {
			return fmt.Errorf("far heap out of order at %d", i)
		}
		if e.when>>wheelShift < h.cur {
			return fmt.Errorf("far timer %d of bucket %d, before %d", i, e.when>>wheelShift, h.cur)
		}
		if int(e.t.tidx) != locFar+i {
			return fmt.Errorf("far timer %d: tasklet records %d", i, e.t.tidx)
		}
	}
	for slot := range h.wheel {
		k := &h.wheel[slot]
		if (k.n > 0) != (h.full[slot/64]&(1<<(slot%64)) != 0) || len(k.chunks) != (k.n+chunkLen-1)/chunkLen {
			return fmt.Errorf("wheel slot %d: %d timers in %d chunks, bit %v", slot, k.n, len(k.chunks), h.full[slot/64]&(1<<(slot%64)) != 0)
		}
		for i := range k.n {
			e := &k.chunks[i/chunkLen][i%chunkLen]
			b := e.when >> wheelShift
			if b < h.cur || b >= h.cur+wheelSize || int(b&wheelMask) != slot {
				return fmt.Errorf("wheel slot %d holds bucket %d (cur %d)", slot, b, h.cur)
			}
			if int(e.t.tidx) != locWheel|slot<<bucketBits|i {
				return fmt.Errorf("wheel slot %d timer %d: tasklet records %d", slot, i, e.t.tidx)
			}
		}
		inWheel += k.n
	}
	if n+inWheel != h.n || inWheel != h.inWheel {
		return fmt.Errorf("counts: %d timers found, n %d; %d in the wheel, inWheel %d", n+inWheel, h.n, inWheel, h.inWheel)
	}
	return nil
}
