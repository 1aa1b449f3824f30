package runtime

import "unsafe"

// runQueue is the dispatcher's FIFO of runnable tasklets: a growable ring buffer that also
// supports pushing at the front (for hand-over, where the woken tasklet runs next).
type runQueue struct {
	buf  []*Tasklet // len is a power of two
	head int
	n    int
}

func (q *runQueue) grow() {
	size := len(q.buf) * 2
	if size == 0 {
		size = 64
	}
	nb := make([]*Tasklet, size)
	mask := len(q.buf) - 1
	for i := 0; i < q.n; i++ {
		nb[i] = q.buf[(q.head+i)&mask]
	}
	q.buf, q.head = nb, 0
}

// shrink releases most of a large ring that has emptied out.
func (q *runQueue) shrink() {
	if len(q.buf) > 1024 && q.n < len(q.buf)/8 {
		size := 1024
		for size < 2*q.n {
			size *= 2
		}
		nb := make([]*Tasklet, size)
		mask := len(q.buf) - 1
		for i := 0; i < q.n; i++ {
			nb[i] = q.buf[(q.head+i)&mask]
		}
		q.buf, q.head = nb, 0
	}
}

func (q *runQueue) pushBack(t *Tasklet) {
	if q.n == len(q.buf) {
		q.grow()
	}
	buf := q.buf
	buf[(q.head+q.n)&(len(buf)-1)] = t
	q.n++
}

func (q *runQueue) pushFront(t *Tasklet) {
	if q.n == len(q.buf) {
		q.grow()
	}
	q.head = (q.head - 1) & (len(q.buf) - 1)
	q.buf[q.head] = t
	q.n++
}

// insertAt puts t at position k (0 = front), k <= n.
func (q *runQueue) insertAt(k int, t *Tasklet) {
	q.pushFront(t)
	mask := len(q.buf) - 1
	for i := 0; i < k; i++ {
		a, b := (q.head+i)&mask, (q.head+i+1)&mask
		q.buf[a], q.buf[b] = q.buf[b], q.buf[a]
	}
}

func (q *runQueue) popFront() *Tasklet {
	t := q.buf[q.head]
	q.buf[q.head] = nil
	q.head = (q.head + 1) & (len(q.buf) - 1)
	q.n--
	return t
}

// waiter is one tasklet's place in a wait queue. Every tasklet embeds one for its ordinary
// waits; a select allocates one per case.
type waiter struct {
	prev, next *waiter
	q          *waitq         // the queue it is in, nil when in none
	elem       unsafe.Pointer // channel receive: the destination; channel send: the value slot
	ci         int32          // select case index, or -1 for an ordinary wait
	flags      uint8          // waiterSendErr, waiterSelect
}

// caseWaiter is the waiter of one case of a select, which records its tasklet. (The waiter
// embedded in a tasklet finds its tasklet from its own address: see owner.)
type caseWaiter struct {
	waiter
	t *Tasklet
}

// tasklet returns the tasklet w belongs to.
func (w *waiter) tasklet() *Tasklet {
	if w.flags&waiterSelect != 0 {
		return (*caseWaiter)(unsafe.Pointer(w)).t
	}
	return w.owner()
}

// owner returns the tasklet of w, which must be the waiter embedded in a tasklet (Tasklet.w):
// not a select case (see tasklet). Not storing the tasklet in its own waiter saves a pointer
// write (and a write barrier) per spawn.
func (w *waiter) owner() *Tasklet {
	return (*Tasklet)(unsafe.Add(unsafe.Pointer(w), -int(unsafe.Offsetof(Tasklet{}.w))))
}

const (
	waiterSendErr uint8 = 1 << iota // a channel sender that sends the error in its tasklet's value register
	waiterSelect                    // a case of a select (see Tasklet.sel)
)

// waitq is a FIFO of waiters: a ring doubly linked through the waiters (head.prev is the
// tail), so that a timed-out or killed waiter leaves in O(1) and an empty queue is one nil word.
type waitq struct {
	head *waiter
}

func (q *waitq) empty() bool { return q.head == nil }

func (q *waitq) push(w *waiter) {
	w.q = q
	h := q.head
	if h == nil {
		w.prev, w.next = w, w
		q.head = w
		return
	}
	tail := h.prev
	w.prev, w.next = tail, h
	tail.next = w
	h.prev = w
}

func (q *waitq) remove(w *waiter) {
	if w.next == w {
		q.head = nil
	} else {
		w.prev.next = w.next
		w.next.prev = w.prev
		if q.head == w {
			q.head = w.next
		}
	}
	w.prev, w.next, w.q = nil, nil, nil
}

func (q *waitq) popFront() *waiter {
	w := q.head
	if w != nil {
		q.remove(w)
	}
	return w
}
