package runtime

import (
	"time"
	"unsafe"
)

// Channel is a synchronous (rendezvous) channel between tasklets: a send waits for a receiver and
// a receive for a sender, each in FIFO order. When a sender finds a waiting receiver, the value
// is handed over: the receiver runs next and the sender goes to the back of the run queue. A
// receiver that finds a waiting sender takes its value and goes on without a switch.
type Channel[T any] struct {
	recvq, sendq waitq
	one          T    // the value slot of the first parked sender (the common case)
	oneUsed      bool // one holds a parked sender's value
	free         []*T // more value slots for parked senders, reused
}

// NewChannel returns a new channel of T.
func NewChannel[T any]() *Channel[T] { return &Channel[T]{} }

// HasReceiver reports whether a tasklet waits to receive on c.
func (c *Channel[T]) HasReceiver() bool { return !c.recvq.empty() }

// HasSender reports whether a tasklet waits to send on c.
func (c *Channel[T]) HasSender() bool { return !c.sendq.empty() }

// slot returns a place for a parked sender's value. A sender that timed out or was killed
// leaves its slot behind; c.one is reclaimed as soon as no sender is parked.
func (c *Channel[T]) slot() *T {
	if !c.oneUsed || c.sendq.empty() {
		c.oneUsed = true
		return &c.one
	}
	if n := len(c.free); n > 0 {
		p := c.free[n-1]
		c.free = c.free[:n-1]
		return p
	}
	return new(T)
}

func (c *Channel[T]) release(p *T) {
	var zero T
	*p = zero
	if p == &c.one {
		c.oneUsed = false
		return
	}
	if len(c.free) < 64 {
		c.free = append(c.free, p)
	}
}

// Send sends v on c, waiting up to timeout for a receiver. Err() is nil, ErrTimeout or ErrKilled.
func (c *Channel[T]) Send(t *Tasklet, v T, timeout time.Duration) bool {
	if t.begin() {
		return true
	}
	if w := c.recvq.first(); w != nil {
		c.recvq.leaveFirst(w)
		r := w.tasklet()
		if p := w.elem(); p != nil {
			*(*T)(p) = v // (r's value register, which held p, is not a result of Recv)
		}
		if *w.flags()&waiterSelect != 0 {
			r.err = nil
			t.d.selected(w)
		} // else r.err is nil since Recv parked
		t.d.readyFront(r)
		if t.err != nil {
			t.err = nil
		}
		t.requeue()
		return false
	}
	// Park with the value in a slot: the channel's own while no other sender is parked.
	// The slot is the waiter's element (see waiter.elem), where nil stands for c.one: in a
	// steady exchange the register is nil already, and is not written.
	if c.sendq.empty() {
		c.one = v
		c.oneUsed = true
		if t.elem() != nil {
			t.value = nil
		}
		c.sendq.pushEmpty(&t.w)
	} else {
		p := c.slot()
		*p = v
		t.value = unsafe.Pointer(p)
		c.sendq.push(&t.w)
	}
	if t.err != nil {
		t.err = nil // the outcome if a receiver takes the value (takeFrom leaves it alone)
	}
	t.state, t.wait = stWaiting, waitChanSend // t.park, by hand
	if t.needsTimer(timeout) {
		t.setTimer(timeout)
	}
	return false
}

// Recv receives a value from c into *dst, waiting up to timeout for a sender. Err() is nil,
// ErrTimeout, ErrKilled, or the error a sender sent with SendError (*dst is then unchanged).
func (c *Channel[T]) Recv(t *Tasklet, dst *T, timeout time.Duration) bool {
	if t.begin() {
		return true
	}
	if w := c.sendq.first(); w != nil {
		c.sendq.leaveFirst(w)
		// A sender of an error, a select case, a sender with a slot of its own, or one with a
		// timer: out of line, so that the common path below makes no call (and spills
		// nothing).
		if *w.flags() != 0 {
			c.takeFromSlow(w, t, dst)
			return true
		}
		s := w.owner() // (not a select case: w is a tasklet's own waiter)
		if s.elem() != nil || s.tidx >= 0 {
			c.takeFromSlow(w, t, dst)
			return true
		}
		// takeFrom, inlined by hand for an ordinary parked sender whose value is in c.one: the
		// round trip's hot path. (The sender's element is left in its value register: it is
		// read only while the sender is parked, and Send has no value result.)
		*dst = c.one
		var zero T
		c.one = zero
		c.oneUsed = false
		if t.err != nil {
			t.err = nil
		}
		// t.d.readyBack(s), inlined by hand (s has no timer). Its err register is nil since it
		// parked.
		d := t.d
		s.state, s.wait = stRunnable, waitNone
		q := &d.runq
		if q.n == 0 && q.next == nil {
			q.next = s // the queue's fast lane
			return true
		}
		if q.n == len(q.buf) {
			q.grow()
		}
		buf := q.buf
		buf[(q.head+q.n)&(len(buf)-1)] = s
		q.n++
		return true
	}
	t.value = unsafe.Pointer(dst) // the waiter's element (see waiter.elem)
	c.recvq.push(&t.w)
	if t.err != nil {
		t.err = nil // the outcome if a sender hands a value over (Send leaves it alone)
	}
	t.state, t.wait = stWaiting, waitChanRecv // t.park, by hand
	if t.needsTimer(timeout) {
		t.setTimer(timeout)
	}
	return false
}

// senderSlot returns the value slot of s, a tasklet parked in Send: its waiter's element, where
// nil stands for c.one.
func (c *Channel[T]) senderSlot(s *Tasklet) *T {
	if e := s.elem(); e != nil {
		return (*T)(e)
	}
	return &c.one
}

// takeFrom completes the parked sender w into the receiver t (which goes on running): the value
// (or the sent error) lands in *dst / t's error register, the sender becomes runnable.
func (c *Channel[T]) takeFrom(w *waiter, t *Tasklet, dst *T) {
	if *w.flags() != 0 {
		c.takeFromSlow(w, t, dst)
		return
	}
	p := c.senderSlot(w.owner())
	if dst != nil {
		*dst = *p
	}
	c.release(p)
	t.err = nil
	t.d.readyBack(w.owner()) // its err register is nil since it parked
}

// takeFromSlow is takeFrom for any parked sender (a sender of an error, a select case
// included). It is kept out of line: it is the uncommon path of Recv.
//
//go:noinline
func (c *Channel[T]) takeFromSlow(w *waiter, t *Tasklet, dst *T) {
	s := w.tasklet()
	if *w.flags()&waiterSendErr != 0 {
		t.err = s.value.(error)
		s.value = nil
	} else {
		if *w.flags()&waiterSelect != 0 {
			if dst != nil {
				*dst = *(*T)(w.elem())
			}
		} else {
			p := c.senderSlot(s)
			if dst != nil {
				*dst = *p
			}
			c.release(p)
		}
		t.err = nil
	}
	*w.flags() &^= waiterSendErr
	s.err = nil
	if *w.flags()&waiterSelect != 0 {
		t.d.selected(w)
	}
	t.d.readyBack(s)
}

// SendError returns the operation `await ch.SendError(err)`: it waits like a send, and the
// receiver's receive completes with err instead of a value.
func (c *Channel[T]) SendError(err error) Op[struct{}] {
	return &sendErrOp[T]{c: c, err: err}
}

type sendErrOp[T any] struct {
	c   *Channel[T]
	err error
}

// Start hands the error to a waiting receiver, or waits for one.
func (o *sendErrOp[T]) Start(t *Tasklet, timeout time.Duration) bool {
	if t.begin() {
		return true
	}
	c := o.c
	if w := c.recvq.popFront(); w != nil {
		r := w.tasklet()
		r.err, r.value = o.err, nil
		if *w.flags()&waiterSelect != 0 {
			t.d.selected(w)
		}
		t.d.readyFront(r)
		t.err = nil
		t.requeue()
		return false
	}
	t.wflags |= waiterSendErr
	t.value = o.err
	c.sendq.push(&t.w)
	t.park(waitChanSend, timeout)
	return false
}

// Result returns the operation's error (nil once a receiver took the error).
func (o *sendErrOp[T]) Result(t *Tasklet) (struct{}, error) { return struct{}{}, t.err }
