package runtime

import (
	"fmt"
	"time"
	"unsafe"
)

// SelectCase is one case of a Select: a channel receive (Channel.RecvCase), a channel send
// (Channel.SendCase) or a mailbox receive (ReceiveCase).
type SelectCase interface {
	// poll completes the case at once if it can. switched is true when that handed a value
	// over, so t is now queued and Select must return false.
	poll(t *Tasklet) (fired, switched bool)
	// enqueue parks w (a waiter of t) on the case's queue.
	enqueue(w *waiter)
}

type recvCase[T any] struct {
	c   *Channel[T]
	dst *T
}

// RecvCase returns the select case that receives from c into *dst.
func (c *Channel[T]) RecvCase(dst *T) SelectCase { return &recvCase[T]{c: c, dst: dst} }

func (rc *recvCase[T]) poll(t *Tasklet) (bool, bool) {
	if w := rc.c.sendq.popFront(); w != nil {
		rc.c.takeFrom(w, t, rc.dst)
		return true, false
	}
	return false, false
}

func (rc *recvCase[T]) enqueue(w *waiter) {
	(*caseWaiter)(unsafe.Pointer(w)).elem = unsafe.Pointer(rc.dst)
	rc.c.recvq.push(w)
}

type sendCase[T any] struct {
	c *Channel[T]
	v T
}

// SendCase returns the select case that sends v on c.
func (c *Channel[T]) SendCase(v T) SelectCase { return &sendCase[T]{c: c, v: v} }

func (sc *sendCase[T]) poll(t *Tasklet) (bool, bool) {
	w := sc.c.recvq.popFront()
	if w == nil {
		return false, false
	}
	r := w.tasklet()
	if p := w.elem(); p != nil {
		*(*T)(p) = sc.v
	}
	r.err = nil
	if *w.flags()&waiterSelect != 0 {
		t.d.selected(w)
	}
	t.d.ready(r, true)
	return true, true
}

func (sc *sendCase[T]) enqueue(w *waiter) {
	(*caseWaiter)(unsafe.Pointer(w)).elem = unsafe.Pointer(&sc.v)
	sc.c.sendq.push(w)
}

type mailCase struct {
	match func(any) bool
}

// ReceiveCase returns the select case that receives the oldest message of the selecting
// tasklet's mailbox that match accepts (nil accepts any). Value() and ReplyTo() give the message.
func ReceiveCase(match func(any) bool) SelectCase { return &mailCase{match: match} }

func (mc *mailCase) accepts(m any) bool { return mc.match == nil || mc.match(m) }

func (mc *mailCase) poll(t *Tasklet) (bool, bool) {
	mb := t.mbox()
	if mb == nil {
		return false, false
	}
	for i := 0; i < mb.n; i++ {
		if mc.accepts(message(*mb.at(i))) {
			t.value, t.ext.reply = mb.take(i)
			return true, false
		}
	}
	return false, false
}

func (mc *mailCase) enqueue(w *waiter) {} // the owner's mailbox offers messages (Dispatcher.offer)

// selectState is a parked select: its cases and one waiter per case.
type selectState struct {
	cases []SelectCase
	ws    []caseWaiter
}

// Select waits up to timeout for the first of cases that can proceed, and completes it. When
// several can proceed at once, the first in order wins. Case() is the index of the case (-1 on
// timeout); a receive case stored its value, a mailbox case left the message in Value() and
// ReplyTo(); Err() is nil, ErrTimeout, ErrKilled, or the error a channel sender sent. It panics
// with more than MaxCases+1 cases.
func (t *Tasklet) Select(cases []SelectCase, timeout time.Duration) bool {
	if len(cases) > MaxCases+1 {
		panic(fmt.Sprintf("tskrt: Select of %d cases (at most %d)", len(cases), MaxCases+1))
	}
	if t.begin() {
		return true
	}
	t.err, t.value = nil, nil
	t.clearReply()
	for i, c := range cases {
		if fired, switched := c.poll(t); fired {
			t.caseIdx = int16(i)
			if switched {
				t.requeue()
				return false
			}
			return true
		}
	}
	s := &selectState{cases: cases, ws: make([]caseWaiter, len(cases))}
	for i, c := range cases {
		cw := &s.ws[i]
		cw.t, cw.ci, cw.flags = t, int16(i), waiterSelect
		c.enqueue(&cw.waiter)
	}
	t.x().sel = s
	t.park(waitSelect, timeout)
	return false
}

// selected is called when the select case waiter w fired: the select of w's tasklet leaves its
// other queues and records the case.
func (d *Dispatcher) selected(w *waiter) {
	r := w.tasklet()
	r.caseIdx = (*caseWaiter)(unsafe.Pointer(w)).ci
	d.cancelSelect(r)
}

// cancelSelect takes every case waiter of t's select out of its queue.
func (d *Dispatcher) cancelSelect(t *Tasklet) {
	if t.ext == nil || t.ext.sel == nil {
		return
	}
	s := t.ext.sel
	for i := range s.ws {
		if w := &s.ws[i].waiter; w.queued() {
			w.leave()
		}
	}
	t.ext.sel = nil
}

// offerSelect gives m to the owner to, parked in a select with a matching mailbox case.
func (d *Dispatcher) offerSelect(to *Tasklet, m any, c *call) bool {
	s := to.ext.sel
	for i, sc := range s.cases {
		if mc, ok := sc.(*mailCase); ok && mc.accepts(m) {
			d.cancelSelect(to)
			to.value, to.ext.reply, to.caseIdx, to.err = m, c, int16(i), nil
			d.ready(to, true)
			return true
		}
	}
	return false
}
