package runtime

import (
	"fmt"
	"time"
)

// Mailbox is a tasklet's message queue, a deque like Concurrence's: Append and AppendLeft never
// block; Pop and PopLeft are operations that wait for an item; TryPop and TryPopLeft do not
// wait. A bounded mailbox (Options.Mailbox) that is full drops an item to take a new one: the
// oldest on Append, the newest on AppendLeft. Dropped counts those drops and the messages sent
// after the owner finished.
type Mailbox struct {
	owner *Tasklet
	// The messages are kept in chunks of mailChunkLen: chunks is a ring of chunk pointers
	// (its length a power of two, or 0) whose nch chunks from chunks[c0] on hold positions
	// 0, 1, … of the store; the oldest message is at position head, the others follow it.
	// The chunks cover exactly the positions up to head+n (at most one chunk, holding
	// nothing, when n is 0). Growing adds a chunk and never moves a message, and a chunk is
	// let go as soon as it is drained (one is kept as a spare), so a mailbox that floods and
	// then drains neither copies its messages nor holds them twice, and gives its memory back
	// as it is read. An item is a message, or a *call for a message sent with Call.
	chunks      []*mailChunk
	first, last *mailChunk // chunks[c0] and the last chunk in use (nil when none)
	spare       *mailChunk
	c0, nch     int
	head, n     int
	max         int
	dropped     int
	// lastBatch is the length of the last batch a receive batch took: the capacity the next
	// one starts with, so that a steady stream of batches allocates each slice once.
	lastBatch int
	popq      waitq
}

// mailChunkLen is the number of items in a chunk of a mailbox: 256 bytes, so that a mailbox
// holding a few messages stays small; a flood allocates a chunk per 16 messages.
const mailChunkLen = 16

// mailRingKeep is the largest ring of chunk pointers an empty mailbox keeps.
const mailRingKeep = 16

type mailChunk [mailChunkLen]any

// Len returns the number of messages in the mailbox.
func (mb *Mailbox) Len() int { return mb.n }

// Dropped returns the number of messages dropped: by a full bounded mailbox, or sent after the
// owner finished.
func (mb *Mailbox) Dropped() int { return mb.dropped }

// slot returns where the item at position p of the store is kept.
func (mb *Mailbox) slot(p int) *any {
	u := uint(p)
	return &mb.chunks[(uint(mb.c0)+u/mailChunkLen)&uint(len(mb.chunks)-1)][u%mailChunkLen]
}

// at returns where the i-th oldest item is kept.
func (mb *Mailbox) at(i int) *any { return mb.slot(mb.head + i) }

// message returns the message of item it: the message itself, or the message of a call.
func message(it any) any {
	if c, ok := it.(*call); ok {
		return c.m
	}
	return it
}

// popped returns the message of an item that a Pop, PopLeft, TryPop or TryPopLeft took. A call
// taken this way fails at once with ErrNoReply (nothing received it, so nothing can reply to
// it), as when a Pop that was already waiting takes it (offerPop).
func (mb *Mailbox) popped(it any) any {
	c, ok := it.(*call)
	if !ok {
		return it
	}
	d := mb.owner.d
	d.noReply(c, errPopTookCall)
	return c.m
}

// newChunk returns an empty chunk: the spare, or a new one.
func (mb *Mailbox) newChunk() *mailChunk {
	if c := mb.spare; c != nil {
		mb.spare = nil
		return c
	}
	return new(mailChunk)
}

// growRing doubles the ring of chunk pointers, the chunks in use moving to its start.
func (mb *Mailbox) growRing() {
	size := 2 * len(mb.chunks)
	if size == 0 {
		size = 2
	}
	r := make([]*mailChunk, size)
	for k := 0; k < mb.nch; k++ {
		r[k] = mb.chunks[(mb.c0+k)&(len(mb.chunks)-1)]
	}
	mb.chunks, mb.c0 = r, 0
}

// addBack adds a chunk after the last.
func (mb *Mailbox) addBack() {
	if mb.nch == len(mb.chunks) {
		mb.growRing()
	}
	mb.chunks[(mb.c0+mb.nch)&(len(mb.chunks)-1)] = mb.newChunk()
	mb.nch++
	mb.ends()
}

// ends records the first and the last chunk in use, after a chunk came or went.
func (mb *Mailbox) ends() {
	mb.first, mb.last = nil, nil
	if mb.nch > 0 {
		mask := len(mb.chunks) - 1
		mb.first = mb.chunks[mb.c0&mask]
		mb.last = mb.chunks[(mb.c0+mb.nch-1)&mask]
	}
}

// dropFront lets the first chunk go, drained: the next chunk holds position 0 now.
func (mb *Mailbox) dropFront() {
	i := mb.c0
	mb.spare = mb.chunks[i]
	mb.chunks[i] = nil
	mb.c0 = (i + 1) & (len(mb.chunks) - 1)
	mb.nch--
	mb.head -= mailChunkLen
	mb.ends()
}

// dropBack lets the last chunk go, drained.
func (mb *Mailbox) dropBack() {
	i := (mb.c0 + mb.nch - 1) & (len(mb.chunks) - 1)
	mb.spare = mb.chunks[i]
	mb.chunks[i] = nil
	mb.nch--
	mb.ends()
}

// emptied resets the store once its last item is gone: positions start at 0 again in the one
// chunk left, and a large ring of chunk pointers is let go, so a burst does not pin memory.
func (mb *Mailbox) emptied() {
	mb.head = 0
	if len(mb.chunks) > mailRingKeep {
		if mb.nch > 0 {
			mb.spare = mb.chunks[mb.c0]
		}
		mb.chunks, mb.c0, mb.nch = nil, 0, 0
		mb.first, mb.last = nil, nil
	}
}

// pushBack adds it at the end, dropping the oldest when the mailbox is full.
func (mb *Mailbox) pushBack(it any) {
	if mb.max > 0 && mb.n >= mb.max {
		mb.drop(mb.popFront())
	}
	p := mb.head + mb.n
	if p == mb.nch*mailChunkLen {
		mb.addBack()
	}
	mb.last[uint(p)%mailChunkLen] = it // (p is in the last chunk)
	mb.n++
}

// pushFront adds it at the start, dropping the newest when the mailbox is full.
func (mb *Mailbox) pushFront(it any) {
	if mb.max > 0 && mb.n >= mb.max {
		mb.drop(mb.popBack())
	}
	if mb.head == 0 {
		if mb.n > 0 || mb.nch == 0 {
			// A chunk before the first (or the first one).
			if mb.nch == len(mb.chunks) {
				mb.growRing()
			}
			mb.c0 = (mb.c0 - 1) & (len(mb.chunks) - 1)
			mb.chunks[mb.c0] = mb.newChunk()
			mb.nch++
			mb.ends()
		}
		mb.head = mailChunkLen
	}
	mb.head--
	*mb.slot(mb.head) = it
	mb.n++
}

func (mb *Mailbox) popFront() any {
	p := &mb.first[uint(mb.head)%mailChunkLen]
	it := *p
	*p = nil
	mb.head++
	mb.n--
	if mb.n == 0 {
		mb.emptied()
	} else if mb.head == mailChunkLen {
		mb.dropFront()
	}
	return it
}

func (mb *Mailbox) popBack() any {
	p := mb.at(mb.n - 1)
	it := *p
	*p = nil
	mb.n--
	mb.trimBack()
	return it
}

// trimBack restores the store's shape after the newest item left it.
func (mb *Mailbox) trimBack() {
	if mb.n == 0 {
		mb.emptied()
	} else if (mb.head+mb.n)%mailChunkLen == 0 {
		mb.dropBack()
	}
}

// removeAt removes and returns the i-th oldest item, keeping the others in order. It moves
// the shorter side: the items before i one place back, or the items after it one place
// forward, so that taking a message from near either end costs little however many wait.
func (mb *Mailbox) removeAt(i int) any {
	if i == 0 {
		return mb.popFront()
	}
	it := *mb.at(i)
	if i < mb.n/2 {
		for j := i; j > 0; j-- {
			*mb.at(j) = *mb.at(j - 1)
		}
		mb.popFront() // (the oldest, now also at position 1)
		return it
	}
	for j := i; j < mb.n-1; j++ {
		*mb.at(j) = *mb.at(j + 1)
	}
	*mb.at(mb.n - 1) = nil
	mb.n--
	mb.trimBack()
	return it
}

// take removes the i-th oldest item and returns its message, and its call if it came from Call.
func (mb *Mailbox) take(i int) (m any, c *call) {
	m = mb.removeAt(i)
	if c, ok := m.(*call); ok {
		m, c.m = c.m, nil
		return m, c
	}
	return m, nil
}

// popN moves the k oldest items (k <= n) to the end of dst, a chunk at a time, and returns
// the extended slice.
func (mb *Mailbox) popN(dst []any, k int) []any {
	for k > 0 {
		hi := min(mb.head+k, mailChunkLen)
		seg := mb.first[mb.head:hi]
		dst = append(dst, seg...)
		clear(seg)
		k -= len(seg)
		mb.n -= len(seg)
		mb.head = hi
		if mb.n == 0 {
			mb.emptied()
		} else if hi == mailChunkLen {
			mb.dropFront()
		}
	}
	return dst
}

// find returns the position of the oldest message that match accepts, and the case match gave.
func (mb *Mailbox) find(match func(any) int) (pos, cas int) {
	if match == nil {
		return 0, 0 // (the mailbox is not empty)
	}
	for i := 0; i < mb.n; i++ {
		if c := match(message(*mb.at(i))); c >= 0 {
			return i, c
		}
	}
	return -1, -1
}

// drop counts a dropped item; a dropped call fails.
func (mb *Mailbox) drop(it any) {
	mb.dropped++
	if c, ok := it.(*call); ok && mb.owner != nil {
		d := mb.owner.d
		d.noReply(c, errCallDropped)
	}
}

// ownerFinished drops what is left when the owner ends (its calls fail separately).
func (mb *Mailbox) ownerFinished() {
	mb.dropped += mb.n
	mb.chunks, mb.spare, mb.first, mb.last = nil, nil, nil, nil
	mb.c0, mb.nch, mb.head, mb.n = 0, 0, 0, 0
}

// Append adds m at the end of the mailbox. A tasklet waiting for it (the owner in a matching
// receive, or a Pop) takes it at once and runs next. It never blocks.
func (mb *Mailbox) Append(m any) {
	if !mb.owner.d.offer(mb.owner, m, nil) {
		mb.pushBack(m)
	}
}

// AppendLeft adds m at the start of the mailbox (it becomes the oldest). It never blocks.
func (mb *Mailbox) AppendLeft(m any) {
	if !mb.owner.d.offer(mb.owner, m, nil) {
		mb.pushFront(m)
	}
}

// TryPopLeft removes and returns the oldest message; ok is false when the mailbox is empty.
func (mb *Mailbox) TryPopLeft() (m any, ok bool) {
	if mb.n == 0 {
		return nil, false
	}
	return mb.popped(mb.popFront()), true
}

// TryPop removes and returns the newest message; ok is false when the mailbox is empty.
func (mb *Mailbox) TryPop() (m any, ok bool) {
	if mb.n == 0 {
		return nil, false
	}
	return mb.popped(mb.popBack()), true
}

// Pop returns the operation that removes the newest message, waiting for one if the mailbox is
// empty (`m := await mb.Pop() timeout D`).
func (mb *Mailbox) Pop() Op[any] { return (*popNewest)(mb) }

// PopLeft returns the operation that removes the oldest message, waiting for one if the mailbox
// is empty.
func (mb *Mailbox) PopLeft() Op[any] { return (*popOldest)(mb) }

// popNewest and popOldest are the Pop and PopLeft operations of a mailbox: the mailbox itself
// under another type, so that they take no storage.
type (
	popNewest Mailbox
	popOldest Mailbox
)

// Start pops the newest message at once if there is one, else waits for the next to arrive.
func (o *popNewest) Start(t *Tasklet, timeout time.Duration) bool {
	return (*Mailbox)(o).startPop(t, timeout, false)
}

// Result returns the message popped, or the operation's error.
func (o *popNewest) Result(t *Tasklet) (any, error) { return t.value, t.err }

// Start pops the oldest message at once if there is one, else waits for the next to arrive.
func (o *popOldest) Start(t *Tasklet, timeout time.Duration) bool {
	return (*Mailbox)(o).startPop(t, timeout, true)
}

// Result returns the message popped, or the operation's error.
func (o *popOldest) Result(t *Tasklet) (any, error) { return t.value, t.err }

// startPop starts a Pop (oldest false) or PopLeft (oldest true) of mb by t.
func (mb *Mailbox) startPop(t *Tasklet, timeout time.Duration, oldest bool) bool {
	if t.begin() {
		return true
	}
	if mb.n > 0 {
		var it any
		if oldest {
			it = mb.popFront()
		} else {
			it = mb.popBack()
		}
		t.value, t.err = mb.popped(it), nil
		return true
	}
	mb.popq.push(&t.w)
	t.park(waitPop, timeout)
	return false
}

// offer gives m (with its call c) to a tasklet waiting for it, if any: the owner to in a
// matching receive, receive batch or select, else the first Pop waiting on to's mailbox. The
// tasklet woken goes to the front of the run queue, except a batch that is not full yet.
// It reports whether m was taken.
func (d *Dispatcher) offer(to *Tasklet, m any, c *call) bool {
	switch to.wait {
	case waitReceive:
		idx := 0
		if match, _ := to.value.(func(any) int); match != nil {
			idx = match(m)
		}
		if idx >= 0 {
			to.value, to.caseIdx, to.err = m, int16(idx), nil
			if c != nil { // (else its reply register is nil since it parked)
				to.x().reply = c
			}
			d.readyFront(to)
			return true
		}
	case waitBatch:
		if c != nil {
			d.noReply(c, errBatchTookCall)
		}
		d.addToBatch(to, m)
		return true
	case waitSelect:
		if d.offerSelect(to, m, c) {
			return true
		}
	}
	return d.offerPop(to, m, c)
}

// offerPop gives m (with its call c) to the first Pop waiting on to's mailbox, if any; it runs
// next. It reports whether m was taken.
func (d *Dispatcher) offerPop(to *Tasklet, m any, c *call) bool {
	mb := to.mbox()
	if mb == nil || mb.popq.empty() {
		return false
	}
	w := mb.popq.popFront()
	r := w.tasklet()
	r.value, r.err = m, nil
	d.ready(r, true)
	if c != nil {
		d.noReply(c, errPopTookCall)
	}
	return true
}

// matchCase returns the case the match function of the receive t waits in gives m: its case
// index, or -1 if the receive leaves m.
func (t *Tasklet) matchCase(m any) int16 {
	if match, _ := t.value.(func(any) int); match != nil {
		return int16(match(m))
	}
	return 0
}

// addToBatch gives m to to, parked in a receive batch. It reports whether m filled the batch:
// to then runs next. The first message of a batch starts the wait for it to fill.
func (d *Dispatcher) addToBatch(to *Tasklet, m any) bool {
	b := to.value.(*batch)
	b.items = append(b.items, m)
	if len(b.items) >= b.n {
		to.finishBatch()
		d.readyFront(to)
		return true
	}
	if len(b.items) == 1 {
		d.timers.remove(to)
		to.setTimer(b.fill)
	}
	return false
}

// deliver puts m into to's mailbox (or gives it to a tasklet waiting for it). It reports
// whether a waiting tasklet was woken (a hand-over).
func (d *Dispatcher) deliver(to *Tasklet, m any, c *call) bool {
	if to.state == stFinished {
		to.Mailbox().dropped++
		if c != nil {
			d.noReply(c, errCalleeHadFinished)
		}
		return false
	}
	if d.offer(to, m, c) {
		return to.state == stRunnable
	}
	if c != nil {
		c.m = m
		to.Mailbox().pushBack(c)
	} else {
		to.Mailbox().pushBack(m)
	}
	return false
}

// Send puts m into to's mailbox. It never blocks: it returns false (a switch) only when it
// handed m to a tasklet waiting for it, which then runs next while t goes to the back of the run
// queue. A message sent to a finished tasklet is dropped and counted in its mailbox's Dropped.
func (t *Tasklet) Send(to *Tasklet, m any) bool {
	d := t.d
	if to.wait == waitReceive {
		// deliver and offer, inlined by hand for the common hand-over: to waits in a receive
		// (a nil value register: Receive(nil, …), which takes any message).
		var cas int16
		if to.value != nil {
			if cas = to.matchCase(m); cas < 0 {
				// Left by the receive: a Pop may take it, else it waits in the mailbox.
				if !d.offerPop(to, m, nil) {
					to.Mailbox().pushBack(m)
				}
				if t.err != nil {
					t.err = nil
				}
				return true
			}
		}
		to.value, to.caseIdx = m, cas // (its reply register is nil since it parked)
		if to.err != nil {
			to.err = nil
		}
		if q := &d.runq; q.n == 0 && q.next == nil && to.tidx < 0 {
			// d.readyFront(to) into an empty queue, inlined by hand.
			to.state, to.wait = stRunnable, waitNone
			q.next = to
			d.fronts = 1
		} else {
			d.readyFront(to)
		}
	} else if to.wait == waitBatch {
		if !d.addToBatch(to, m) {
			if t.err != nil {
				t.err = nil
			}
			return true
		}
	} else if mb := to.mbox(); mb != nil && mb.popq.empty() && to.wait != waitSelect && to.state != stFinished {
		// deliver, by hand, when nothing can take m (offer would decline): m is queued.
		mb.pushBack(m)
		if t.err != nil {
			t.err = nil
		}
		return true
	} else if !d.deliver(to, m, nil) {
		if t.err != nil {
			t.err = nil
		}
		return true
	}
	if t.err != nil {
		t.err = nil
	}
	// t.requeue(), inlined by hand.
	t.state, t.wait = stRunnable, waitNone
	q := &d.runq
	if q.n == len(q.buf) {
		q.grow()
	}
	buf := q.buf
	buf[(q.head+q.n)&(len(buf)-1)] = t
	q.n++
	return false
}

// call is a message sent with Call, until its reply (or failure).
type call struct {
	caller *Tasklet // nil once the caller no longer waits
	callee *Tasklet
	idx    int // position in callee.ext.calls; -1 once settled
	m      any // the message, while it waits in the callee's mailbox
}

// ReplyTo is the handle a receiver uses to reply to a call (see Tasklet.Reply). The zero ReplyTo
// belongs to a plain send: replying to it does nothing.
type ReplyTo struct{ c *call }

// IsZero reports whether the message was a plain send (no one waits for a reply).
func (r ReplyTo) IsZero() bool { return r.c == nil }

// settle removes c from its callee's pending calls.
func (d *Dispatcher) settle(c *call) {
	if c.idx < 0 {
		return
	}
	calls := c.callee.ext.calls
	last := len(calls) - 1
	if c.idx != last {
		calls[c.idx] = calls[last]
		calls[c.idx].idx = c.idx
	}
	calls[last] = nil
	c.callee.ext.calls = calls[:last]
	c.idx = -1
}

// noReply fails the call c, which can get no reply any more, with err (one of the ErrNoReply
// errors): c leaves its callee's pending calls, and its caller, if it still waits, resumes.
func (d *Dispatcher) noReply(c *call, err error) {
	d.settle(c)
	d.failCall(c, err)
}

// failCall ends the wait of c's caller, if it still waits, with err.
func (d *Dispatcher) failCall(c *call, err error) {
	r := c.caller
	if r == nil {
		return
	}
	c.caller = nil
	r.err, r.value = err, nil
	d.ready(r, false)
}

// Call sends m to to and waits up to timeout for the reply, which lands in Value(). A call to a
// finished tasklet fails at once with ErrNoReply, and so does a pending call when its callee
// finishes without replying.
func (t *Tasklet) Call(to *Tasklet, m any, timeout time.Duration) bool {
	if t.begin() {
		return true
	}
	if to.state == stFinished {
		to.Mailbox().dropped++
		t.value, t.err = nil, fmt.Errorf("call %s: %w", to.Name(), ErrNoReply)
		return true
	}
	c := &call{caller: t, callee: to}
	x := to.x()
	c.idx = len(x.calls)
	x.calls = append(x.calls, c)
	t.clearReply()
	t.value = c
	t.park(waitCall, timeout)
	t.d.deliver(to, m, c)
	return false
}

// Reply answers the call whose handle is rt with v. It never blocks: when the caller still
// waits, it runs next and t goes to the back of the run queue (false); a reply nobody waits for
// any more is dropped (true).
func (t *Tasklet) Reply(rt ReplyTo, v any) bool {
	c := rt.c
	t.err = nil
	if c == nil || c.idx < 0 {
		return true
	}
	d := t.d
	d.settle(c)
	r := c.caller
	if r == nil {
		return true
	}
	c.caller = nil
	r.value, r.err = v, nil
	d.ready(r, true)
	t.requeue()
	return false
}

// Receive waits up to timeout for the oldest message that match accepts (match returns the
// case index, at most MaxCases, or -1 to leave the message in the mailbox; a nil match accepts
// anything as case 0). Value() is the message, Case() the case (-1 on timeout), ReplyTo() its reply handle.
func (t *Tasklet) Receive(match func(any) int, timeout time.Duration) bool {
	if t.begin() {
		return true
	}
	if mb := t.mbox(); mb != nil && mb.n > 0 {
		if match == nil {
			// The oldest message, whatever it is.
			m := mb.popFront()
			var c *call
			if ci, ok := m.(*call); ok {
				m, c, ci.m = ci.m, ci, nil
			}
			t.value, t.caseIdx, t.err = m, 0, nil
			if x := t.ext; c != nil || x.reply != nil {
				x.reply = c
			}
			return true
		}
		if i, cas := mb.find(match); i >= 0 {
			m, c := mb.take(i)
			t.value, t.caseIdx, t.err = m, int16(cas), nil
			if x := t.ext; c != nil || x.reply != nil {
				x.reply = c
			}
			return true
		}
	}
	if match != nil {
		t.value = match
	} else if t.value != nil {
		t.value = nil
	}
	t.clearReply()
	t.state, t.wait = stWaiting, waitReceive // t.park, by hand
	if t.needsTimer(timeout) {
		t.setTimer(timeout)
	}
	return false
}

// batch is the state of a parked ReceiveBatch.
type batch struct {
	mb    *Mailbox // the receiver's
	n     int
	fill  time.Duration // how long to wait for the batch to fill after its first message
	items []any
}

func (b *batch) started() bool { return len(b.items) > 0 }

// finishBatch completes a batch receive with what it collected.
func (t *Tasklet) finishBatch() {
	b := t.value.(*batch)
	b.mb.lastBatch = len(b.items)
	t.value, t.err, t.caseIdx = b.items, nil, 0
}

// minBatchCap is the least capacity a receive batch's slice starts with, and maxBatchHint the
// most it starts with for the length of the last batch (beyond, the slice grows as messages
// come): after a burst, a trickle of small batches does not allocate large slices.
const (
	minBatchCap  = 8
	maxBatchHint = 4096
)

// giveBack returns the messages of an interrupted batch to the front of the mailbox, in order.
func (b *batch) giveBack(t *Tasklet) {
	for i := len(b.items) - 1; i >= 0; i-- {
		t.Mailbox().pushFront(b.items[i])
	}
	b.items = nil
}

// ReceiveBatch waits (without bound, but within an enclosing deadline) for a first message, then
// up to timeout more for the batch to fill to n messages. Value() is a []any of 1..n messages,
// oldest first.
func (t *Tasklet) ReceiveBatch(n int, timeout time.Duration) bool {
	if t.begin() {
		return true
	}
	if n < 1 {
		n = 1
	}
	mb := t.Mailbox()
	b := &batch{n: n, fill: timeout, mb: mb}
	b.items = make([]any, 0, min(n, max(mb.n, min(mb.lastBatch, maxBatchHint), minBatchCap)))
	if mb.n > 0 {
		b.items = mb.popN(b.items, min(n, mb.n))
		for i, it := range b.items {
			if c, ok := it.(*call); ok {
				b.items[i] = c.m
				t.d.noReply(c, errBatchTookCall)
			}
		}
	}
	if len(b.items) == n {
		mb.lastBatch = n
		t.value, t.err, t.caseIdx = b.items, nil, 0
		return true
	}
	t.value = b
	if b.started() {
		t.park(waitBatch, timeout)
	} else {
		t.park(waitBatch, NoTimeout)
	}
	return false
}
