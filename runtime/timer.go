package runtime

import (
	"fmt"
	"math/bits"
	"slices"
)

// timerHeap holds the pending timeouts of the dispatcher: at most one per tasklet (the timeout of
// the operation it waits in, or its sleep). Timers fire in (when, seq) order, so timers due at
// the same instant fire in the order they were set, and a cancelled timer leaves nothing
// behind.
//
// Time is cut into buckets of 2^wheelShift ns (about half a millisecond). The buckets from cur
// to wheelEnd (the outer bucket of cur and the next: 268 to 537 ms) form the wheel: each bucket
// is a list of fixed-size chunks that keeps its timers in the order they were set. Setting a
// timer is an append; cancelling one leaves a hole (its tasklet pointer cleared), both O(1); a
// bucket whose holes outnumber its timers is compacted, in order. When the next bucket is due,
// its chunks become the run: the bucket's timers stay where they are, and a sorted list of keys
// (the offset of when in the bucket, then the position, which is the set order) says in which
// order they fire. The keys are sorted by offset with a stable sort (ties keep the set order);
// nothing else is touched, not even the tasklets (their tidx still names the slot and position,
// and an entry of the run is told from one of the bucket that took its slot by its tasklet).
//
// The 64 outer buckets after the wheel, of 2^outerShift buckets each (268 ms, so 17 s in all),
// form the outer wheel, kept the same way. When the wheel comes to cover an outer bucket, its
// timers move into the wheel's buckets (cascade), in order, before any other timer can be set
// there. Timers set for a bucket already due (zero and very short timeouts) go into late, a
// 4-ary min-heap, as do far timers when their bucket comes: those beyond the outer wheel when
// they were set (or in a bucket holding 2^20 entries), kept in far, another 4-ary heap
// (O(log n)). The run is merged with late by (when, seq) as they fire.
//
// Each tasklet records where its timer is in tidx (see the loc* constants), so cancelling never
// searches. Memory is reused rather than given back at once: the heaps and key lists keep their
// capacity and emptied chunks wait in a pool, so waves of timers that drain and come back
// allocate nothing; trim gives back what stayed unused for trimEvery operations.
type timerHeap struct {
	// The run: the timers of the bucket poured last (runBucket), in the chunks they were set
	// in; runKeys[runPos:] lists the pending ones in firing order.
	run       timerBucket
	runSlot   int // the wheel slot the run came from (its timers' tidx name it)
	runBucket int64
	runKeys   []uint64 // offset<<bucketBits | position, sorted
	runPos    int
	keyTmp    []uint64 // the radix sort's second buffer

	late []timerEntry // 4-ary heap: timers of a bucket before cur not in the run
	far  []timerEntry // 4-ary heap: timers set beyond the outer wheel, none of a bucket before cur
	// wheel[b&wheelMask] holds the timers of bucket b, for cur <= b < wheelEnd().
	wheel   [wheelSize]timerBucket
	full    [wheelSize / 64]uint64 // bit b&wheelMask: wheel[b&wheelMask] has timers
	cur     int64                  // the first bucket not poured
	n       int                    // pending timers
	inWheel int                    // pending timers in the wheel
	seq     uint64
	// outer[B&outerMask] holds the timers of the buckets b with b>>outerShift == B (outer
	// bucket B), for wheelEnd()>>outerShift <= B < that + outerSize. An outer bucket moves into
	// the wheel (cascades) as the wheel comes to cover it, before the wheel takes any other
	// timer of it: so each wheel bucket stays in set order.
	outer     [outerSize]timerBucket
	outerFull uint64 // bit B&outerMask: outer[B&outerMask] has timers
	inOuter   int    // pending timers in the outer wheel
	// The earliest timer of outer bucket minB is at minWhen, if minOK: what peek found when the
	// wheel was empty (an outer bucket may hold many timers, and an idle dispatcher peeks at
	// every wake). Adds keep it; cancelling that timer, or a cascade, forgets it.
	minB, minWhen int64
	minOK         bool

	pool    []*timerChunk // emptied chunks
	inUse   int           // chunks in the buckets (not pooled)
	poolMin int           // the fewest pooled chunks since the last trim: not needed
	poolOld int           // the same for the time between the two trims before
	ops     int           // operations since the last trim
	lateHW  int           // the most timers late held since the last trim
	farHW   int           // the same for far
	keysHW  int           // the same for runKeys
}

// timerBucket is the timers of one bucket in the order they were set, with holes (entries
// whose t is nil) where timers were cancelled or fired: entry i is chunks[i/chunkLen][i%chunkLen].
// The last entry of a wheel bucket is never a hole.
type timerBucket struct {
	chunks []*timerChunk
	n      int // entries, holes included
	live   int // pending timers
}

type timerChunk [chunkLen]timerEntry

type timerEntry struct {
	when int64 // dispatcher nanoseconds (see Dispatcher.nanos)
	seq  uint64
	t    *Tasklet // nil: a hole
}

const (
	wheelShift = 19 // a bucket is 2^19 ns (524 µs)
	wheelSize  = 1024
	wheelMask  = wheelSize - 1
	chunkLen   = 128 // timers per chunk (3 KiB)
	outerShift = 9   // an outer bucket is 2^9 buckets (268 ms)
	outerSize  = 64  // the outer wheel spans 64 of them (17 s)
	outerMask  = outerSize - 1

	// Tasklet.tidx: -1 for no timer; else where the timer is.
	locFar     = 1 << 29 // tidx-locFar is the index in far (below 2^28); below locFar, the index in late
	locOuter   = 3 << 28 // tidx = locOuter | outer slot<<bucketBits | position in the bucket
	locWheel   = 1 << 30 // tidx = locWheel | slot<<bucketBits | position in the bucket (or the run)
	bucketBits = 20      // a bucket holds at most 2^20 entries; more go to far
	posMask    = 1<<bucketBits - 1
	radixMin   = 96 // runs of more timers than this are sorted by radix, fewer by pdqsort

	trimEvery = 1 << 16 // operations between two trims
	trimMin   = 4096    // heaps up to this capacity are never trimmed
)

func (e *timerEntry) less(o *timerEntry) bool {
	return e.when < o.when || (e.when == o.when && e.seq < o.seq)
}

// at returns entry i of the bucket.
func (k *timerBucket) at(i int) *timerEntry { return &k.chunks[uint(i)/chunkLen][uint(i)%chunkLen] }

func (h *timerHeap) len() int { return h.n }

// add sets t's timer to fire at when; now is the current time. t must have no timer.
func (h *timerHeap) add(t *Tasklet, when, now int64) {
	h.seq++
	h.n++
	h.ops++
	b := when >> wheelShift
	if h.n-1 == len(h.far) {
		// Nothing before far: the wheels may start anywhere up to far's first bucket. Make
		// them cover the time from now (they may lag behind after a while without timers).
		h.cur = now >> wheelShift
		if len(h.far) > 0 {
			h.cur = min(h.cur, h.far[0].when>>wheelShift)
		}
	}
	switch end := h.wheelEnd(); {
	case b < h.cur:
		h.late = append(h.late, timerEntry{when: when, seq: h.seq, t: t})
		h.lateHW = max(h.lateHW, len(h.late))
		heapUp(h.late, len(h.late)-1, 0)
	case b < end && (h.wheel[b&wheelMask].n%chunkLen != 0 || h.newChunk(b)):
		// (put, by hand: this is the path of every short timer)
		slot := uint(b & wheelMask)
		k := &h.wheel[slot]
		i := uint(k.n)
		e := &k.chunks[i/chunkLen][i%chunkLen]
		e.when, e.seq, e.t = when, h.seq, t
		k.n++
		k.live++
		h.inWheel++
		t.tidx = int32(locWheel | slot<<bucketBits | i)
	case b>>outerShift < end>>outerShift+outerSize && h.outer[b>>outerShift&outerMask].n <= posMask:
		slot := int(b >> outerShift & outerMask)
		h.put(&h.outer[slot], timerEntry{when: when, seq: h.seq, t: t}, locOuter|slot<<bucketBits)
		if h.minOK && b>>outerShift == h.minB {
			h.minWhen = min(h.minWhen, when)
		}
		h.outerFull |= 1 << slot
		h.inOuter++
	default:
		h.far = append(h.far, timerEntry{when: when, seq: h.seq, t: t})
		h.farHW = max(h.farHW, len(h.far))
		heapUp(h.far, len(h.far)-1, locFar)
	}
	if h.ops >= trimEvery {
		h.trim()
	}
}

// wheelEnd returns the first bucket after those the wheel may hold: the wheel covers the outer
// bucket of cur and the next one, between 512 and 1024 buckets (268 to 537 ms).
func (h *timerHeap) wheelEnd() int64 { return (h.cur>>outerShift + 2) << outerShift }

// newChunk adds a chunk to the wheel bucket b (cur <= b < wheelEnd()), which has filled its
// chunks, and reports true; or reports false when the bucket has no room left.
func (h *timerHeap) newChunk(b int64) bool {
	slot := int(b & wheelMask)
	k := &h.wheel[slot]
	if k.n > posMask {
		return false
	}
	if k.n == 0 {
		h.full[slot/64] |= 1 << (slot % 64)
	}
	k.chunks = append(k.chunks, h.chunk())
	return true
}

// put appends e to bucket k, whose timers record base|position in their tidx.
func (h *timerHeap) put(k *timerBucket, e timerEntry, base int) {
	i := uint(k.n)
	if i%chunkLen == 0 {
		k.chunks = append(k.chunks, h.chunk())
	}
	k.chunks[i/chunkLen][i%chunkLen] = e
	k.n++
	k.live++
	e.t.tidx = int32(base | int(i))
}

// setCur moves the wheel to start at bucket cur, later than now, and cascades the outer buckets
// it comes to cover. Every timer of the wheel and the outer wheel is at cur or later.
func (h *timerHeap) setCur(cur int64) {
	from := h.wheelEnd() >> outerShift
	h.cur = cur
	to := h.wheelEnd() >> outerShift
	for B := from; B < to && h.inOuter > 0; B++ {
		slot := int(B & outerMask)
		k := &h.outer[slot]
		if k.n == 0 {
			continue
		}
		h.outerFull &^= 1 << slot
		h.inOuter -= k.live
		h.inWheel += k.live
		h.minOK = false
		for c, ch := range k.chunks {
			for i := range ch[:min(k.n-c*chunkLen, chunkLen)] {
				e := &ch[i]
				if e.t == nil {
					continue
				}
				// put, by hand. (The wheel bucket is new: nothing could go into it before.)
				ws := uint(e.when>>wheelShift) & wheelMask
				w := &h.wheel[ws]
				j := uint(w.n)
				if j%chunkLen == 0 {
					if j == 0 {
						h.full[ws/64] |= 1 << (ws % 64)
					}
					w.chunks = append(w.chunks, h.chunk())
				}
				w.chunks[j/chunkLen][j%chunkLen] = *e
				w.n++
				w.live++
				e.t.tidx = int32(locWheel | ws<<bucketBits | j)
				e.t = nil
			}
		}
		k.live = 0
		h.truncate(k, 0)
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
		slot, j := (i-locWheel)>>bucketBits, i&posMask
		if slot == h.runSlot && j < h.run.n {
			if e := h.run.at(j); e.t == t {
				e.t = nil
				if h.run.live--; h.run.live == 0 {
					h.endRun()
				}
				break
			}
		}
		h.inWheel--
		if h.cancelIn(&h.wheel[slot], j, locWheel|slot<<bucketBits) {
			h.full[slot/64] &^= 1 << (slot % 64)
		}
	case i >= locOuter:
		slot, j := (i-locOuter)>>bucketBits, i&posMask
		if h.minOK && h.outer[slot].at(j).when == h.minWhen {
			h.minOK = false
		}
		h.inOuter--
		if h.cancelIn(&h.outer[slot], j, locOuter|slot<<bucketBits) {
			h.outerFull &^= 1 << slot
		}
	case i >= locFar:
		h.far = heapRemove(h.far, i-locFar, locFar)
	default:
		h.late = heapRemove(h.late, i, 0)
	}
	if h.ops >= trimEvery {
		h.trim()
	}
}

// cancelIn cancels the timer at position j of bucket k (of a wheel), whose timers record
// base|position in their tidx. It reports whether the bucket is now empty.
func (h *timerHeap) cancelIn(k *timerBucket, j, base int) (empty bool) {
	k.at(j).t = nil
	k.live--
	switch {
	case k.live == 0:
		h.truncate(k, 0)
		return true
	case j == k.n-1:
		n := j
		for k.at(n-1).t == nil {
			n--
		}
		h.truncate(k, n)
	case k.n-k.live > k.live && k.n-k.live >= chunkLen:
		h.compact(k, base)
	}
	return false
}

// truncate drops the entries of k from n on, which are all holes, and pools the chunks it no
// longer needs.
func (h *timerHeap) truncate(k *timerBucket, n int) {
	keep := (n + chunkLen - 1) / chunkLen
	for c := keep; c < len(k.chunks); c++ {
		h.pool = append(h.pool, k.chunks[c])
		h.inUse--
		k.chunks[c] = nil
	}
	k.chunks = k.chunks[:keep]
	k.n = n
}

// compact moves the timers of bucket k (whose timers record base|position) over its holes,
// keeping their order.
func (h *timerHeap) compact(k *timerBucket, base int) {
	w := 0
	for r := range k.n {
		e := k.at(r)
		if e.t == nil {
			continue
		}
		if r != w {
			d := k.at(w)
			*d = *e
			e.t = nil
			d.t.tidx = int32(base | w)
		}
		w++
	}
	h.truncate(k, w)
}

// peek returns the time of the earliest timer; ok is false when there is none. It moves
// nothing: the wheel keeps covering the time ahead even when the next timer is far away.
func (h *timerHeap) peek() (when int64, ok bool) {
	if e := h.runHead(); e != nil {
		when, ok = e.when, true
	}
	if len(h.late) > 0 && (!ok || h.late[0].when < when) {
		when, ok = h.late[0].when, true
	}
	if ok {
		return when, true // the run and late hold buckets before cur: before far and the wheel
	}
	if len(h.far) > 0 {
		when, ok = h.far[0].when, true
	}
	var k *timerBucket // the bucket of the wheel, or else of the outer wheel, that is next
	if b, inWheel := h.nextBucket(); inWheel {
		if !ok || b <= when>>wheelShift {
			k = &h.wheel[b&wheelMask] // the timers of 524 µs: few, when the dispatcher idles
		}
	} else if B, inOuter := h.nextOuter(); inOuter && (!ok || B<<outerShift <= when>>wheelShift) {
		if !h.minOK || h.minB != B {
			h.minB, h.minWhen, h.minOK = B, 0, false
			for k, i := &h.outer[B&outerMask], 0; i < k.n; i++ {
				if e := k.at(i); e.t != nil && (!h.minOK || e.when < h.minWhen) {
					h.minWhen, h.minOK = e.when, true
				}
			}
		}
		if !ok || h.minWhen < when {
			when, ok = h.minWhen, true
		}
	}
	if k != nil {
		for i := range k.n {
			if e := k.at(i); e.t != nil && (!ok || e.when < when) {
				when, ok = e.when, true
			}
		}
	}
	return when, ok
}

// runHead returns the run's next timer, or nil when the run is over.
func (h *timerHeap) runHead() *timerEntry {
	for h.runPos < len(h.runKeys) {
		if e := h.run.at(int(h.runKeys[h.runPos] & posMask)); e.t != nil {
			return e
		}
		h.runPos++
	}
	return nil
}

// popDue removes and returns the earliest timer's tasklet if it is due at now.
func (h *timerHeap) popDue(now int64) *Tasklet {
	e := h.runHead()
	if e == nil && len(h.late) == 0 {
		if !h.pour(now >> wheelShift) {
			return nil
		}
		e = h.runHead()
	}
	if len(h.late) > 0 && (e == nil || h.late[0].less(e)) {
		if h.late[0].when > now {
			return nil
		}
		t := h.late[0].t
		t.tidx = -1
		h.n--
		h.ops++
		h.late = heapRemove(h.late, 0, 0)
		return t
	}
	if e.when > now {
		return nil
	}
	t := e.t
	e.t = nil
	t.tidx = -1
	h.n--
	h.ops++
	h.runPos++
	if h.run.live--; h.run.live == 0 {
		h.endRun()
	}
	return t
}

// endRun gives the chunks of the run, whose timers have all fired or been cancelled, back to the
// pool.
func (h *timerHeap) endRun() {
	h.truncate(&h.run, 0)
	h.runKeys = h.runKeys[:0]
	h.runPos = 0
}

// pour makes the earliest bucket that has timers, if it is not after bucket limit, the run
// (there is none, and late is empty), and moves the far timers of that bucket into late. It
// reports whether a timer is now before cur. When no timer is due by the end of bucket limit,
// the wheel moves on to start after it (so that it keeps covering the time ahead).
func (h *timerHeap) pour(limit int64) bool {
	b, ok := h.nextBucket()
	if !ok && h.inOuter > 0 {
		// The wheel is empty: the next timer may be in the outer wheel. Cascade its next bucket
		// (unless far has an earlier one) by moving the wheel to its start.
		B, _ := h.nextOuter()
		if start := B << outerShift; start <= limit && (len(h.far) == 0 || start <= h.far[0].when>>wheelShift) {
			h.setCur(start)
			b, ok = h.nextBucket()
		}
	}
	if len(h.far) > 0 {
		if fb := h.far[0].when >> wheelShift; !ok || fb < b {
			b, ok = fb, true
		}
	}
	if !ok || b > limit {
		if limit >= h.cur {
			h.setCur(limit + 1)
		}
		return false
	}
	slot := int(b & wheelMask)
	if k := &h.wheel[slot]; k.n > 0 && k.at(0).when>>wheelShift == b {
		h.inWheel -= k.live
		h.full[slot/64] &^= 1 << (slot % 64)
		// The bucket's chunks become the run's, and the run's (empty) chunk list the slot's.
		h.run, *k = *k, timerBucket{chunks: h.run.chunks[:0]}
		h.runSlot, h.runBucket = slot, b
		keys := h.runKeys[:0]
		base := b << wheelShift
		lo, hi := uint64(1)<<wheelShift, uint64(0)
		for c, ch := range h.run.chunks {
			for i := range ch[:min(h.run.n-c*chunkLen, chunkLen)] {
				if e := &ch[i]; e.t != nil {
					off := uint64(e.when - base)
					lo, hi = min(lo, off), max(hi, off)
					keys = append(keys, off<<bucketBits|uint64(c*chunkLen+i))
				}
			}
		}
		h.runKeys, h.keyTmp = sortKeys(keys, h.keyTmp, lo, hi)
		h.runPos = 0
		h.keysHW = max(h.keysHW, len(keys))
	}
	h.setCur(b + 1) // (after the slot gave its chunks to the run: a cascade may fill it again)
	for len(h.far) > 0 && h.far[0].when>>wheelShift <= b {
		e := h.far[0]
		h.far = heapRemove(h.far, 0, locFar)
		h.late = append(h.late, e)
		heapUp(h.late, len(h.late)-1, 0)
	}
	h.lateHW = max(h.lateHW, len(h.late))
	return h.run.live > 0 || len(h.late) > 0
}

// sortKeys sorts the run's keys (offset<<bucketBits | position, made in position order) by
// offset, keeping the position order of equal offsets, with tmp as scratch space; lo and hi are
// the least and the greatest offset. It returns the sorted keys and the buffer left over for the
// next time.
func sortKeys(a, tmp []uint64, lo, hi uint64) (sorted, spare []uint64) {
	switch {
	case lo == hi:
		return a, tmp // all on one instant (a virtual clock): already in position order
	case len(a) <= radixMin:
		// The keys are distinct (positions differ), so order by the whole key is order by
		// offset, then position.
		slices.Sort(a)
		return a, tmp
	}
	// A least-significant-digit radix sort of offset-lo, which is stable, one byte at a time
	// (the offset has 19 bits: three bytes at most). One pass counts the three digits.
	var c [3][256]int32
	for _, k := range a {
		o := k>>bucketBits - lo
		c[0][uint8(o)]++
		c[1][uint8(o>>8)]++
		c[2][uint8(o>>16)]++
	}
	if cap(tmp) < len(a) {
		tmp = make([]uint64, len(a), cap(a))
	}
	src, dst := a, tmp[:len(a)]
	for i := range c {
		shift := 8 * uint(i)
		counts := &c[i]
		if hi-lo < 1<<shift {
			break // this digit and the next are 0
		}
		if counts[uint8((src[0]>>bucketBits-lo)>>shift)] == int32(len(src)) {
			continue // one digit for all: nothing to move
		}
		var sum int32
		for d, n := range counts {
			counts[d] = sum
			sum += n
		}
		for _, k := range src {
			d := uint8((k>>bucketBits - lo) >> shift)
			dst[counts[d]] = k
			counts[d]++
		}
		src, dst = dst, src
	}
	return src, dst[:0]
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

// nextOuter returns the first outer bucket that holds timers.
func (h *timerHeap) nextOuter() (int64, bool) {
	if h.inOuter == 0 {
		return 0, false
	}
	first := h.wheelEnd() >> outerShift
	start := uint(first & outerMask)
	return first + int64((uint(bits.TrailingZeros64(bits.RotateLeft64(h.outerFull, -int(start)))))&outerMask), true
}

// chunk returns an empty chunk, from the pool if it has one.
func (h *timerHeap) chunk() *timerChunk {
	h.inUse++
	if n := len(h.pool); n > 0 {
		c := h.pool[n-1]
		h.pool[n-1] = nil
		h.pool = h.pool[:n-1]
		h.poolMin = min(h.poolMin, n-1)
		return c
	}
	return new(timerChunk)
}

// trim runs every trimEvery operations. It gives back the capacity of late, far and the key
// lists beyond four times the most they held since the last trim, the pooled chunks that were
// not needed since the trim before (keeping as many as are in use: timers come in waves, and a
// pool about the size of a wave is what lets them reuse the memory), and the chunk lists of
// large buckets that emptied. So a steady flow of timers reuses its memory, and a burst that is
// over gives it back after at most three trims.
func (h *timerHeap) trim() {
	h.ops = 0
	h.late = trimmed(h.late, h.lateHW)
	h.far = trimmed(h.far, h.farHW)
	h.lateHW, h.farHW = len(h.late), len(h.far)
	if cap(h.runKeys) > trimMin && cap(h.runKeys) > 4*h.keysHW {
		h.runKeys = append(make([]uint64, 0, max(2*h.keysHW, trimMin)), h.runKeys...)
	}
	if cap(h.keyTmp) > trimMin && cap(h.keyTmp) > 4*h.keysHW {
		h.keyTmp = nil
	}
	h.keysHW = len(h.runKeys)
	if k := min(h.poolMin, h.poolOld, len(h.pool)-h.inUse); k > 0 {
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
	for i := range h.outer {
		if k := &h.outer[i]; k.n == 0 && cap(k.chunks) > 16 {
			k.chunks = nil
		}
	}
	if h.run.n == 0 && cap(h.run.chunks) > 16 {
		h.run.chunks = nil
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

// check verifies the structure's invariants (for tests): heap order, each timer's bucket in the
// part that should hold it, the run's order, every tasklet's recorded place, the counts.
func (h *timerHeap) check() error {
	n, inWheel := len(h.late)+len(h.far), 0
	for i := range h.late {
		e := &h.late[i]
		if i > 0 && e.less(&h.late[(i-1)/4]) {
			return fmt.Errorf("late heap out of order at %d", i)
		}
		if e.when>>wheelShift >= h.cur {
			return fmt.Errorf("late timer %d of bucket %d, not before %d", i, e.when>>wheelShift, h.cur)
		}
		if int(e.t.tidx) != i {
			return fmt.Errorf("late timer %d: tasklet records %d", i, e.t.tidx)
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
	if err := h.checkRun(); err != nil {
		return err
	}
	n += h.run.live
	for slot := range h.wheel {
		bit := h.full[slot/64]&(1<<(slot%64)) != 0
		live, err := h.wheel[slot].check("wheel", slot, locWheel, bit, func(when int64) error {
			if b := when >> wheelShift; b < h.cur || b >= h.wheelEnd() || int(b&wheelMask) != slot {
				return fmt.Errorf("wheel slot %d holds bucket %d (cur %d)", slot, b, h.cur)
			}
			return nil
		})
		if err != nil {
			return err
		}
		inWheel += live
	}
	chunks := len(h.run.chunks)
	for i := range h.wheel {
		chunks += len(h.wheel[i].chunks)
	}
	for i := range h.outer {
		chunks += len(h.outer[i].chunks)
	}
	if chunks != h.inUse {
		return fmt.Errorf("%d chunks in the buckets, inUse %d", chunks, h.inUse)
	}
	inOuter := 0
	first := h.wheelEnd() >> outerShift
	for slot := range h.outer {
		bit := h.outerFull&(1<<slot) != 0
		live, err := h.outer[slot].check("outer", slot, locOuter, bit, func(when int64) error {
			if B := when >> wheelShift >> outerShift; B < first || B >= first+outerSize || int(B&outerMask) != slot {
				return fmt.Errorf("outer slot %d holds outer bucket %d (first %d)", slot, B, first)
			}
			return nil
		})
		if err != nil {
			return err
		}
		inOuter += live
	}
	if h.minOK {
		k := &h.outer[h.minB&outerMask]
		low, found := int64(0), false
		for i := range k.n {
			if e := k.at(i); e.t != nil && e.when>>wheelShift>>outerShift == h.minB && (!found || e.when < low) {
				low, found = e.when, true
			}
		}
		if !found || low != h.minWhen {
			return fmt.Errorf("outer bucket %d: earliest timer %d (found %v), kept as %d", h.minB, low, found, h.minWhen)
		}
	}
	if inOuter != h.inOuter {
		return fmt.Errorf("%d timers in the outer wheel, inOuter %d", inOuter, h.inOuter)
	}
	n += inOuter
	if n+inWheel != h.n || inWheel != h.inWheel {
		return fmt.Errorf("counts: %d timers found, n %d; %d in the wheel, inWheel %d", n+inWheel, h.n, inWheel, h.inWheel)
	}
	return nil
}

// checkRun verifies the run: its pending keys in (when, seq) order, naming every timer of the
// run once, each in the run's bucket and recording its place.
func (h *timerHeap) checkRun() error {
	k := &h.run
	if k.n == 0 {
		if k.live != 0 || len(h.runKeys) != 0 || len(k.chunks) != 0 {
			return fmt.Errorf("no run, but %d live, %d keys, %d chunks", k.live, len(h.runKeys), len(k.chunks))
		}
		return nil
	}
	if k.live == 0 || h.runBucket >= h.cur || len(k.chunks) != (k.n+chunkLen-1)/chunkLen {
		return fmt.Errorf("run of bucket %d (cur %d): %d live, %d entries, %d chunks", h.runBucket, h.cur, k.live, k.n, len(k.chunks))
	}
	seen := 0
	var prev *timerEntry
	for _, key := range h.runKeys[h.runPos:] {
		i := int(key & posMask)
		e := k.at(i)
		if e.t == nil {
			continue
		}
		if e.when>>wheelShift != h.runBucket || uint64(e.when-h.runBucket<<wheelShift) != key>>bucketBits {
			return fmt.Errorf("run timer %d: when %d, key %x, bucket %d", i, e.when, key, h.runBucket)
		}
		if prev != nil && !prev.less(e) {
			return fmt.Errorf("run out of order at %d", i)
		}
		if int(e.t.tidx) != locWheel|h.runSlot<<bucketBits|i {
			return fmt.Errorf("run timer %d: tasklet records %d", i, e.t.tidx)
		}
		prev = e
		seen++
	}
	live := 0
	for i := range k.n {
		if k.at(i).t != nil {
			live++
		}
	}
	if seen != k.live || live != k.live {
		return fmt.Errorf("run: %d live, %d timers, %d keyed", k.live, live, seen)
	}
	return nil
}

// check checks bucket k, slot slot of the wheel or the outer wheel (name; its timers record loc
// in their tasklets; bit is the slot's bit in its occupancy mask): its shape, that each timer
// belongs there (belongs), set order, the tasklets' indexes and the live count. It returns the
// number of live timers.
func (k *timerBucket) check(name string, slot, loc int, bit bool, belongs func(when int64) error) (int, error) {
	if (k.n > 0) != bit || len(k.chunks) != (k.n+chunkLen-1)/chunkLen {
		return 0, fmt.Errorf("%s slot %d: %d entries in %d chunks, bit %v", name, slot, k.n, len(k.chunks), bit)
	}
	if k.n > 0 && k.at(k.n-1).t == nil {
		return 0, fmt.Errorf("%s slot %d ends with a hole", name, slot)
	}
	live := 0
	var prev *timerEntry
	for i := range k.n {
		e := k.at(i)
		if err := belongs(e.when); err != nil {
			return 0, err
		}
		if e.t == nil {
			continue
		}
		if prev != nil && prev.seq >= e.seq {
			return 0, fmt.Errorf("%s slot %d: timer %d set before the one ahead of it", name, slot, i)
		}
		if int(e.t.tidx) != loc|slot<<bucketBits|i {
			return 0, fmt.Errorf("%s slot %d timer %d: tasklet records %d", name, slot, i, e.t.tidx)
		}
		prev = e
		live++
	}
	if live != k.live {
		return 0, fmt.Errorf("%s slot %d: %d timers, live %d", name, slot, live, k.live)
	}
	return live, nil
}
