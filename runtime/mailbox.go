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
	owner   *Tasklet
	buf     []item // ring; len is a power of two or 0
	head, n int
	max     int
	dropped int
	popq    waitq
	pop     [2]popOp // the Pop and PopLeft operations, preallocated
}

// item is a message in a mailbox, with its call when it came from Call.
type item struct {
	m any
	c *call
}

func (mb *Mailbox) init() {
	mb.pop[0] = popOp{mb: mb}
	mb.pop[1] = popOp{mb: mb, left: true}
}

// Len returns the number of messages in the mailbox.
func (mb *Mailbox) Len() int { return mb.n }

// Dropped returns the number of messages dropped: by a full bounded mailbox, or sent after the
// owner finished.
func (mb *Mailbox) Dropped() int { return mb.dropped }

func (mb *Mailbox) at(i int) *item { return &mb.buf[(mb.head+i)&(len(mb.buf)-1)] }

func (mb *Mailbox) grow() {
	size := 2 * len(mb.buf)
	if size == 0 {
		size = 8
	}
	nb := make([]item, size)
	for i := 0; i < mb.n; i++ {
		nb[i] = *mb.at(i)
	}
	mb.buf, mb.head = nb, 0
}

// pushBack adds it at the end, dropping the oldest when the mailbox is full.
func (mb *Mailbox) pushBack(it item) {
	if mb.max > 0 && mb.n >= mb.max {
		mb.drop(mb.popFront())
	}
	if mb.n == len(mb.buf) {
		mb.grow()
	}
	*mb.at(mb.n) = it
	mb.n++
}

// pushFront adds it at the start, dropping the newest when the mailbox is full.
func (mb *Mailbox) pushFront(it item) {
	if mb.max > 0 && mb.n >= mb.max {
		mb.drop(mb.popBack())
	}
	if mb.n == len(mb.buf) {
		mb.grow()
	}
	mb.head = (mb.head - 1) & (len(mb.buf) - 1)
	mb.buf[mb.head] = it
	mb.n++
}

func (mb *Mailbox) popFront() item {
	p := mb.at(0)
	it := *p
	*p = item{}
	mb.head = (mb.head + 1) & (len(mb.buf) - 1)
	mb.n--
	mb.release()
	return it
}

// release drops a large ring once the mailbox is empty, so a burst does not pin memory.
func (mb *Mailbox) release() {
	if mb.n == 0 && len(mb.buf) > 1024 {
		mb.buf, mb.head = nil, 0
	}
}

func (mb *Mailbox) popBack() item {
	p := mb.at(mb.n - 1)
	it := *p
	*p = item{}
	mb.n--
	mb.release()
	return it
}

// removeAt removes and returns the i-th oldest item, keeping the others in order.
func (mb *Mailbox) removeAt(i int) item {
	if i == 0 {
		return mb.popFront()
	}
	it := *mb.at(i)
	for j := i; j < mb.n-1; j++ {
		*mb.at(j) = *mb.at(j + 1)
	}
	*mb.at(mb.n - 1) = item{}
	mb.n--
	mb.release()
	return it
}

// find returns the position of the oldest message that match accepts, and the case match gave.
func (mb *Mailbox) find(match func(any) int) (pos, cas int) {
	for i := 0; i < mb.n; i++ {
		if match == nil {
			return i, 0
		}
		if c := match(mb.at(i).m); c >= 0 {
			return i, c
		}
	}
	return -1, -1
}

// drop counts a dropped item; a dropped call fails.
func (mb *Mailbox) drop(it item) {
	mb.dropped++
	if it.c != nil && mb.owner != nil {
		d := mb.owner.d
		d.settle(it.c)
		d.failCall(it.c, fmt.Errorf("%w (the message was dropped by a full mailbox)", ErrNoReply))
	}
}

// ownerFinished drops what is left when the owner ends (its calls fail separately).
func (mb *Mailbox) ownerFinished() {
	mb.dropped += mb.n
	clear(mb.buf)
	mb.head, mb.n = 0, 0
	mb.buf = nil
}

// Append adds m at the end of the mailbox. A tasklet waiting for it (the owner in a matching
// receive, or a Pop) takes it at once and runs next. It never blocks.
func (mb *Mailbox) Append(m any) {
	if !mb.owner.d.offer(mb.owner, m, nil) {
		mb.pushBack(item{m: m})
	}
}

// AppendLeft adds m at the start of the mailbox (it becomes the oldest). It never blocks.
func (mb *Mailbox) AppendLeft(m any) {
	if !mb.owner.d.offer(mb.owner, m, nil) {
		mb.pushFront(item{m: m})
	}
}

// TryPopLeft removes and returns the oldest message; ok is false when the mailbox is empty.
func (mb *Mailbox) TryPopLeft() (m any, ok bool) {
	if mb.n == 0 {
		return nil, false
	}
	return mb.popFront().m, true
}

// TryPop removes and returns the newest message; ok is false when the mailbox is empty.
func (mb *Mailbox) TryPop() (m any, ok bool) {
	if mb.n == 0 {
		return nil, false
	}
	return mb.popBack().m, true
}

// Pop returns the operation that removes the newest message, waiting for one if the mailbox is
// empty (`m := await mb.Pop() timeout D`).
func (mb *Mailbox) Pop() Op[any] { return &mb.pop[0] }

// PopLeft returns the operation that removes the oldest message, waiting for one if the mailbox
// is empty.
func (mb *Mailbox) PopLeft() Op[any] { return &mb.pop[1] }

type popOp struct {
	mb   *Mailbox
	left bool
}

// Start pops a message at once if there is one, else waits for the next one to arrive.
func (o *popOp) Start(t *Tasklet, timeout time.Duration) bool {
	if t.begin() {
		return true
	}
	mb := o.mb
	if mb.n > 0 {
		var it item
		if o.left {
			it = mb.popFront()
		} else {
			it = mb.popBack()
		}
		t.value, t.err = it.m, nil
		return true
	}
	mb.popq.push(&t.w)
	t.park(waitPop, timeout)
	return false
}

// Result returns the message popped, or the operation's error.
func (o *popOp) Result(t *Tasklet) (any, error) { return t.value, t.err }

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
			to.value, to.caseIdx, to.err = m, int32(idx), nil
			if c != nil { // (else its reply register is nil since it parked)
				to.x().reply = c
			}
			d.readyFront(to)
			return true
		}
	case waitBatch:
		b := to.value.(*batch)
		if c != nil {
			d.settle(c)
			d.failCall(c, fmt.Errorf("%w (a receive batch took the call)", ErrNoReply))
		}
		b.items = append(b.items, m)
		if len(b.items) >= b.n {
			to.finishBatch()
			d.ready(to, true)
		} else if len(b.items) == 1 {
			d.timers.remove(to)
			to.setTimer(b.fill)
		}
		return true
	case waitSelect:
		if d.offerSelect(to, m, c) {
			return true
		}
	}
	if mb := to.mbox(); mb != nil && !mb.popq.empty() {
		w := mb.popq.popFront()
		r := w.tasklet()
		r.value, r.err = m, nil
		d.ready(r, true)
		if c != nil {
			d.settle(c)
			d.failCall(c, fmt.Errorf("%w (a mailbox Pop took the call)", ErrNoReply))
		}
		return true
	}
	return false
}

// deliver puts m into to's mailbox (or gives it to a tasklet waiting for it). It reports
// whether a waiting tasklet was woken (a hand-over).
func (d *Dispatcher) deliver(to *Tasklet, m any, c *call) bool {
	if to.state == stFinished {
		to.Mailbox().dropped++
		if c != nil {
			d.settle(c)
			d.failCall(c, ErrNoReply)
		}
		return false
	}
	if d.offer(to, m, c) {
		return to.state == stRunnable
	}
	to.Mailbox().pushBack(item{m: m, c: c})
	return false
}

// Send puts m into to's mailbox. It never blocks: it returns false (a switch) only when it
// handed m to a tasklet waiting for it, which then runs next while t goes to the back of the run
// queue. A message sent to a finished tasklet is dropped and counted in its mailbox's Dropped.
func (t *Tasklet) Send(to *Tasklet, m any) bool {
	d := t.d
	if to.wait == waitReceive && to.value == nil {
		// deliver and offer, inlined by hand for the common hand-over: to waits in a receive
		// that takes any message (Receive(nil, …) left nil in its value register).
		to.value, to.caseIdx = m, 0 // (its reply register is nil since it parked)
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
// case index, or -1 to leave the message in the mailbox; a nil match accepts anything as case
// 0). Value() is the message, Case() the case (-1 on timeout), ReplyTo() its reply handle.
func (t *Tasklet) Receive(match func(any) int, timeout time.Duration) bool {
	if t.begin() {
		return true
	}
	if mb := t.mbox(); mb != nil && mb.n > 0 {
		if i, cas := mb.find(match); i >= 0 {
			it := mb.removeAt(i)
			t.value, t.caseIdx, t.err = it.m, int32(cas), nil
			if x := t.ext; it.c != nil || x.reply != nil {
				x.reply = it.c
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
	n     int
	fill  time.Duration // how long to wait for the batch to fill after its first message
	items []any
}

func (b *batch) started() bool { return len(b.items) > 0 }

// finishBatch completes a batch receive with what it collected.
func (t *Tasklet) finishBatch() {
	b := t.value.(*batch)
	t.value, t.err, t.caseIdx = b.items, nil, 0
}

// giveBack returns the messages of an interrupted batch to the front of the mailbox, in order.
func (b *batch) giveBack(t *Tasklet) {
	for i := len(b.items) - 1; i >= 0; i-- {
		t.Mailbox().pushFront(item{m: b.items[i]})
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
	b := &batch{n: n, fill: timeout}
	if mb := t.mbox(); mb != nil {
		for mb.n > 0 && len(b.items) < n {
			it := mb.popFront()
			if it.c != nil {
				t.d.settle(it.c)
				t.d.failCall(it.c, fmt.Errorf("%w (a receive batch took the call)", ErrNoReply))
			}
			b.items = append(b.items, it.m)
		}
	}
	if len(b.items) == n {
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
