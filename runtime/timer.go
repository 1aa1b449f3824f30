package runtime

// timerHeap holds the pending timeouts of the dispatcher: at most one per tasklet (the timeout of
// the operation it waits in, or its sleep). It is a 4-ary min-heap ordered by (when, seq), so
// timers due at the same instant fire in the order they were set. Each tasklet records its index,
// so cancelling is O(log n) and a cancelled timer leaves nothing behind.
type timerHeap struct {
	a   []timerEntry
	seq uint64
}

type timerEntry struct {
	when int64 // dispatcher nanoseconds (see Dispatcher.nanos)
	seq  uint64
	t    *Tasklet
}

func (e *timerEntry) less(o *timerEntry) bool {
	return e.when < o.when || (e.when == o.when && e.seq < o.seq)
}

func (h *timerHeap) len() int { return len(h.a) }

// add sets t's timer to fire at when. t must have no timer.
func (h *timerHeap) add(t *Tasklet, when int64) {
	h.seq++
	i := len(h.a)
	h.a = append(h.a, timerEntry{when: when, seq: h.seq, t: t})
	t.tidx = int32(i)
	h.up(i)
}

// remove cancels t's timer, if it has one.
func (h *timerHeap) remove(t *Tasklet) {
	i := int(t.tidx)
	if i < 0 {
		return
	}
	t.tidx = -1
	last := len(h.a) - 1
	if i != last {
		h.a[i] = h.a[last]
		h.a[i].t.tidx = int32(i)
	}
	h.a[last] = timerEntry{}
	h.a = h.a[:last]
	if i != last {
		h.down(i)
		h.up(i)
	}
	h.shrink()
}

// peek returns the time of the earliest timer; ok is false when there is none.
func (h *timerHeap) peek() (when int64, ok bool) {
	if len(h.a) == 0 {
		return 0, false
	}
	return h.a[0].when, true
}

// popDue removes and returns the earliest timer's tasklet if it is due at now.
func (h *timerHeap) popDue(now int64) *Tasklet {
	if len(h.a) == 0 || h.a[0].when > now {
		return nil
	}
	t := h.a[0].t
	h.remove(t)
	return t
}

// shrink releases the backing array when the heap has emptied out a lot, so a burst of timers
// does not pin memory forever.
func (h *timerHeap) shrink() {
	if c := cap(h.a); c > 1024 && len(h.a) < c/4 {
		na := make([]timerEntry, len(h.a), c/2)
		copy(na, h.a)
		h.a = na
	}
}

func (h *timerHeap) up(i int) {
	a := h.a
	e := a[i]
	for i > 0 {
		p := (i - 1) / 4
		if !e.less(&a[p]) {
			break
		}
		a[i] = a[p]
		a[i].t.tidx = int32(i)
		i = p
	}
	a[i] = e
	e.t.tidx = int32(i)
}

func (h *timerHeap) down(i int) {
	a := h.a
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
		a[i].t.tidx = int32(i)
		i = m
	}
	a[i] = e
	e.t.tidx = int32(i)
}
