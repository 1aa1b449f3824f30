package runtime

import "unsafe"

// runQueue is the dispatcher's FIFO of runnable tasklets: a growable ring buffer that also
// supports pushing at the front (for hand-over, where the woken tasklet runs next), behind a
// one-tasklet fast lane.
//
// The fast lane: a tasklet made runnable while the queue is empty goes to next instead of the
// ring, and next is the front of the queue. In a ping-pong between two tasklets the queue never
// holds more than that one, so each switch costs a pointer store and a load instead of a trip
// through the ring. Pushing at the back of the ring is always right (next stays in front); an
// insertion at the front moves next into the ring first.
type runQueue struct {
	next *Tasklet   // the front of the queue, if not nil (not counted in n)
	buf  []*Tasklet // len is a power of two
	head int
	n    int // tasklets in the ring
	low  int // shrink calls in a row that found the ring mostly empty

	// fast tells the dispatcher loop it may end a round without its full boundary (see
	// Dispatcher.loop): no timer is pending and the ring is at most maxFastRing long. It is
	// set at each full boundary, and cleared whenever a timer is set or the ring grows past
	// maxFastRing.
	fast bool
}

const shrinkAfter = 64

// ringSlot returns &buf[i] without the bounds check, for the dispatcher loop's pop and push.
// i must be a ring index: head, or a position masked with len(buf)-1 of a ring that holds at
// least one slot (the loop pops only from a non-empty ring and pushes after grow).
func ringSlot(buf []*Tasklet, i int) **Tasklet {
	return (**Tasklet)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(buf)), uintptr(i)*unsafe.Sizeof((*Tasklet)(nil))))
}

// len returns the number of tasklets in the queue (stale entries included).
func (q *runQueue) len() int {
	if q.next != nil {
		return q.n + 1
	}
	return q.n
}

// flushNext moves the fast lane's tasklet to the front of the ring.
func (q *runQueue) flushNext() {
	if t := q.next; t != nil {
		q.next = nil
		q.ringPushFront(t)
	}
}

// grow doubles the ring. It is kept out of line: it is rare, and inlined it would make the
// callers' common paths spill more registers.
//
//go:noinline
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
	if size > maxFastRing {
		q.fast = false
	}
}

// shrink releases most of a large ring that has stayed mostly empty for shrinkAfter calls in
// a row (the dispatcher calls it once a round), so that waves of runnable tasklets that come
// and go reuse the ring instead of regrowing it each time.
func (q *runQueue) shrink() {
	if len(q.buf) <= 1024 || q.n >= len(q.buf)/8 {
		q.low = 0
		return
	}
	if q.low++; q.low >= shrinkAfter {
		q.low = 0
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
	if q.n == 0 && q.next == nil {
		q.next = t
		return
	}
	if q.n == len(q.buf) {
		q.grow()
	}
	buf := q.buf
	buf[(q.head+q.n)&(len(buf)-1)] = t
	q.n++
}

func (q *runQueue) pushFront(t *Tasklet) {
	q.flushNext()
	q.ringPushFront(t)
}

func (q *runQueue) ringPushFront(t *Tasklet) {
	if q.n == len(q.buf) {
		q.grow()
	}
	q.head = (q.head - 1) & (len(q.buf) - 1)
	q.buf[q.head] = t
	q.n++
}

// insertAt puts t at position k (0 = front), k <= len.
func (q *runQueue) insertAt(k int, t *Tasklet) {
	q.flushNext()
	q.ringPushFront(t)
	mask := len(q.buf) - 1
	for i := 0; i < k; i++ {
		a, b := (q.head+i)&mask, (q.head+i+1)&mask
		q.buf[a], q.buf[b] = q.buf[b], q.buf[a]
	}
}

func (q *runQueue) popFront() *Tasklet {
	if t := q.next; t != nil {
		q.next = nil
		return t
	}
	t := q.buf[q.head]
	q.buf[q.head] = nil
	q.head = (q.head + 1) & (len(q.buf) - 1)
	q.n--
	return t
}

// waiter is one tasklet's place in a wait queue. Every tasklet embeds one for its ordinary
// waits; a select allocates one per case.
type waiter struct {
	link // its links in a waitq's ring (see queued)

	// A waiter's element (channel receive: the destination; channel send: the value slot) is
	// the caseWaiter's elem for a select case, and the tasklet's value register (an
	// unsafe.Pointer) for a tasklet's own waiter: see elem.

	// A waiter's flags (waiterSendErr, waiterSelect) are the byte right after it, in the
	// structure that embeds it (Tasklet.wflags, caseWaiter.flags): see flags. Kept out of the
	// waiter itself, they share a word of the tasklet record with its other small fields.
}

// caseWaiter is the waiter of one case of a select, which records its tasklet and its case.
// (The waiter embedded in a tasklet finds its tasklet from its own address: see owner.)
type caseWaiter struct {
	waiter
	flags uint8 // waiterSelect (| waiterSendErr): at the offset flags expects
	ci    int16 // the index of the case
	elem  unsafe.Pointer
	t     *Tasklet
}

// The flags byte follows the waiter in both structures that embed one.
var (
	_ [unsafe.Offsetof(Tasklet{}.wflags) - unsafe.Offsetof(Tasklet{}.w) - unsafe.Sizeof(waiter{})]struct{}
	_ [unsafe.Offsetof(Tasklet{}.w) + unsafe.Sizeof(waiter{}) - unsafe.Offsetof(Tasklet{}.wflags)]struct{}
	_ [unsafe.Offsetof(caseWaiter{}.flags) - unsafe.Sizeof(waiter{})]struct{}
	_ [unsafe.Sizeof(waiter{}) - unsafe.Offsetof(caseWaiter{}.flags)]struct{}
)

// flags returns the address of w's flags: the byte after w in the tasklet or select case
// that holds it.
func (w *waiter) flags() *uint8 {
	return (*uint8)(unsafe.Add(unsafe.Pointer(w), unsafe.Sizeof(waiter{})))
}

// tasklet returns the tasklet w belongs to.
func (w *waiter) tasklet() *Tasklet {
	if *w.flags()&waiterSelect != 0 {
		return (*caseWaiter)(unsafe.Pointer(w)).t
	}
	return w.owner()
}

// elem returns w's element: a channel receiver's destination, a channel sender's value slot
// (nil for none, and for a sender of an error). A tasklet waiting in a channel operation keeps
// its own waiter's element in its value register, which such a wait leaves free: that saves the
// tasklet record a word.
func (w *waiter) elem() unsafe.Pointer {
	if *w.flags()&waiterSelect != 0 {
		return (*caseWaiter)(unsafe.Pointer(w)).elem
	}
	return w.owner().elem()
}

// elem returns the element of t's own waiter, in its value register (see waiter.elem): the
// interface's data word, which for an unsafe.Pointer is the pointer itself (TestWaiterElem).
// t must wait in a channel operation, or have just been taken from one: its value register
// holds an unsafe.Pointer then (nil included), never another type.
func (t *Tasklet) elem() unsafe.Pointer {
	return (*[2]unsafe.Pointer)(unsafe.Pointer(&t.value))[1]
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

// link is a node of a waitq's ring: a waiter's links, or the queue's own sentinel node.
type link struct {
	prev, next *link
}

// waitq is a FIFO of waiters: a ring doubly linked through the waiters and the queue's own
// node, the sentinel (its next is the head, its prev the tail). A waiter leaves it in O(1),
// without knowing which queue it is in, which is why a waiter does not record its queue. An
// empty queue is two nil words: the sentinel's links are set by the first push and cleared
// when the last waiter leaves.
type waitq struct {
	link
}

func (q *waitq) empty() bool { return q.next == nil }

// first returns the waiter at the head of q, or nil.
func (q *waitq) first() *waiter {
	// The link is the first field of a waiter, and a nil link is a nil waiter.
	return (*waiter)(unsafe.Pointer(q.next))
}

func (q *waitq) push(w *waiter) {
	s := &q.link
	if tail := q.prev; tail != nil {
		w.prev, w.next = tail, s
		tail.next = &w.link
		q.prev = &w.link
	} else {
		w.prev, w.next = s, s
		q.next, q.prev = &w.link, &w.link
	}
}

// pushEmpty is push into q, which must be empty.
func (q *waitq) pushEmpty(w *waiter) {
	s := &q.link
	w.prev, w.next = s, s
	q.next, q.prev = &w.link, &w.link
}

// leaveFirst takes w, the first waiter of q, out of q: leave, with q known.
func (q *waitq) leaveFirst(w *waiter) {
	if q.prev == &w.link {
		// The only waiter (see leave: w's links are left pointing at q's sentinel).
		q.link = link{}
		return
	}
	w.leave()
}

// leave takes w out of the queue it is in.
func (w *waiter) leave() {
	p, n := w.prev, w.next
	if p == n {
		// The only waiter: p is its queue's sentinel, which it leaves empty. w's links are left
		// pointing at that sentinel (see queued): they are set again by the next push, and keep
		// nothing alive but the queue's owner.
		p.prev, p.next = nil, nil
		return
	}
	p.next, n.prev = n, p
	w.prev, w.next = nil, nil
}

// queued reports whether w is in a queue. (A waiter that left a queue as its only waiter still
// points at the queue's sentinel, whose links no longer point back.)
func (w *waiter) queued() bool {
	n := w.next
	return n != nil && n.prev == &w.link
}

func (q *waitq) popFront() *waiter {
	w := q.first()
	if w != nil {
		q.leaveFirst(w)
	}
	return w
}
