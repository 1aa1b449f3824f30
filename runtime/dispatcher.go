package runtime

import (
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/tskc-lang/tskc/runtime/internal/poll"
)

// Dispatcher runs tasklets, one at a time, on the goroutine that calls Run: a FIFO run queue, a
// timer heap, and a poller for outside wake-ups (Post) and IO.
type Dispatcher struct {
	clock   Clock
	base    time.Time // clock reading at creation: dispatcher nanoseconds count from it
	stderr  io.Writer
	signals bool

	runq   runQueue
	slab   *[slabSize]Tasklet // tasklet records allocated ahead (see newTasklet)
	slabi  int                // the next free record of slab; slabSize when none is left
	timers timerHeap
	roots  childList // the live tasklets without a parent (roots, daemons, orphans)
	live   int       // tasklets not finished
	// joinqs holds, for each unfinished tasklet with the flag flJoinq, the queue of the
	// tasklets waiting for it to end: joins, and kills waiting for it to unwind. Most tasklets
	// are joined after they ended, or never, so the queue is not part of every record.
	joinqs     map[*Tasklet]*waitq
	freeJoinqs []*waitq // empty queues of finished tasklets, for reuse
	cur        *Tasklet // the tasklet being resumed
	// fronts counts the tasklets the current run woke by hand-over: each goes right behind the
	// previous one, so several hand-overs in one run keep their order.
	fronts int
	left   int   // runs left in the loop's current round
	skip   int   // rounds left before the loop's next look at the outside world
	boxes  boxes // cells of Box (box.go)

	quitting bool
	code     int
	running  bool

	// The outside world. posts and the wake-up are shared with other goroutines.
	mu       sync.Mutex
	posts    []post
	hasPosts atomic.Bool
	holds    atomic.Int64
	sigint   atomic.Bool
	inflight int // operations parked on the outside world: Go operations and IO (dispatcher goroutine only)
	offloads int // Go operations running (a virtual clock waits for them before it skips ahead)

	poller  *poll.Poller // guarded by mu
	pollErr error
}

// post is a message posted from outside (or a function to run on the dispatcher).
type post struct {
	to *Tasklet
	m  any
	fn func()
}

// DispatcherOption configures a Dispatcher.
type DispatcherOption func(*Dispatcher)

// WithClock makes the dispatcher use c (for example a VirtualClock) instead of the real clock.
func WithClock(c Clock) DispatcherOption { return func(d *Dispatcher) { d.clock = c } }

// WithStderr sets where the dispatcher writes its log: panics, errors of loop, every, rate and
// receiver tasklets, deadlock reports. The default is os.Stderr.
func WithStderr(w io.Writer) DispatcherOption { return func(d *Dispatcher) { d.stderr = w } }

// WithSignals makes Run end with exit code 130 when the process receives SIGINT.
func WithSignals() DispatcherOption { return func(d *Dispatcher) { d.signals = true } }

// NewDispatcher returns a dispatcher (by default on the real clock, logging to os.Stderr,
// without signal handling).
func NewDispatcher(opts ...DispatcherOption) *Dispatcher {
	d := &Dispatcher{clock: realClock{}, stderr: os.Stderr, slabi: slabSize}
	for _, o := range opts {
		o(d)
	}
	d.base = d.clock.Now()
	return d
}

// Dispatch runs f as the first tasklet of a new dispatcher on the real clock, with SIGINT
// handling, and returns the program's exit code. A generated main is
// os.Exit(tskrt.Dispatch(Main())).
//
// With the environment variable TSKRT_CLOCK=virtual, the dispatcher runs on a virtual clock
// that starts at VirtualEpoch instead: time moves only when nothing can run, so sleeps and
// timeouts take no real time and every run of a program that does no IO is the same.
//
// While it runs, the garbage collector's percent is DispatchGCPercent, unless the program set
// its own (GOGC, GOMEMLIMIT, or debug.SetGCPercent / SetMemoryLimit before Dispatch).
func Dispatch(f Frame) int {
	defer raiseGCPercent()()
	opts := []DispatcherOption{WithSignals()}
	if os.Getenv("TSKRT_CLOCK") == "virtual" {
		opts = append(opts, WithClock(NewVirtualClock(VirtualEpoch)))
	}
	d := NewDispatcher(opts...)
	d.Spawn(f, Options{})
	return d.Run()
}

// VirtualEpoch is where the virtual clock of Dispatch starts (TSKRT_CLOCK=virtual).
var VirtualEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Now returns the dispatcher clock's time.
func (d *Dispatcher) Now() time.Time { return d.clock.Now() }

// nanos returns the time since the dispatcher was created, in nanoseconds: the time base of
// timers and deadlines.
func (d *Dispatcher) nanos() int64 {
	if _, ok := d.clock.(realClock); ok {
		return int64(time.Since(d.base)) // reads only the monotonic clock (Now reads the wall clock too)
	}
	return int64(d.clock.Now().Sub(d.base))
}

// Spawn starts f as a root tasklet (no parent). Before Run it may be called from any goroutine
// that owns the dispatcher; during Run, only from the dispatcher goroutine.
func (d *Dispatcher) Spawn(f Frame, o Options) *Tasklet {
	return d.spawn(f, o, nil)
}

// Current returns the tasklet being resumed, or nil.
func (d *Dispatcher) Current() *Tasklet { return d.cur }

// slabSize is how many tasklet records the dispatcher allocates at once: as many as fit in
// 8 KiB (a size class of the Go allocator) beside the allocator's own header. The Go allocator
// puts an 8-byte header of pointer bits at the start of every object of more than 512 bytes
// that holds pointers, so a slab of exactly 8 KiB would take the next class (9,472 B). A slab
// lives as long as any of its tasklets is referenced.
const slabSize = (8192 - mallocHeader) / int(unsafe.Sizeof(Tasklet{}))

// mallocHeader is the size of the Go allocator's header on a large object with pointers.
const mallocHeader = 8

func (d *Dispatcher) newTasklet() *Tasklet {
	// An index into a fixed array, rather than reslicing: no pointer is written (and no write
	// barrier taken) but once per slab, and no bounds check.
	if i := uint(d.slabi); i < uint(slabSize) {
		d.slabi = int(i) + 1
		return &d.slab[i]
	}
	return d.newSlab()
}

// newSlab allocates the next slab and returns its first record.
func (d *Dispatcher) newSlab() *Tasklet {
	d.slab = new([slabSize]Tasklet)
	d.slabi = 1
	return &d.slab[0]
}

func (d *Dispatcher) spawn(f Frame, o Options, parent *Tasklet) *Tasklet {
	t := d.newTasklet()
	t.d, t.frame, t.parent, t.tidx = d, f, parent, -1
	if o.Name != "" {
		t.x().name = o.Name
	}
	if o.Daemon {
		t.flags |= flDaemon
	}
	if o.Mailbox > 0 {
		t.Mailbox().max = o.Mailbox
	}
	if parent != nil {
		l := parent.children()
		if pos := l.end; uint(pos)%childChunkLen != 0 {
			// l.add(t), inlined by hand for a position inside the last chunk.
			l.tail[uint(pos)%childChunkLen] = t
			t.kidx = int32(pos)
			l.end = pos + 1
			l.n++
		} else {
			l.add(t)
		}
	} else {
		d.roots.add(t)
	}
	d.live++
	q := &d.runq // pushBack, inlined by hand (see readyBack)
	if q.n == len(q.buf) {
		q.grow()
	}
	buf := q.buf
	buf[(q.head+q.n)&(len(buf)-1)] = t
	q.n++
	return t
}

// Run runs tasklets until the program ends and returns its exit code: the code given to Quit;
// 0 when every tasklet has finished; 2 after a deadlock report; 130 on SIGINT (WithSignals).
// Run must not be called twice at the same time.
func (d *Dispatcher) Run() int {
	if d.running {
		panic("tskrt: Dispatcher.Run called while running")
	}
	d.running = true
	defer func() { d.running = false }()
	if d.signals {
		stop := d.watchSigint()
		defer stop()
	}
	defer d.closePoller()
	for {
		if code, ok := d.loop(); ok {
			return code
		}
	}
}

// loop is the dispatcher's main loop. It works in rounds: a round resumes, in FIFO order, as
// many tasklets as the run queue held when it began (tasklets that become runnable meanwhile run
// in the next round, unless handed a value: those run next). Between rounds the dispatcher fires
// due timers, so timers fire fairly even when the run queue never empties, and it takes what
// other goroutines posted, SIGINT and IO readiness, and shrinks a large run queue. While no
// timer is pending and the run queue's ring is small, those outside checks are made every
// outsideEvery rounds only (and whenever the run queue empties): nothing in the dispatcher
// orders them against the rounds, and a round is often a single switch.
// A panic in a frame fails its tasklet and returns ok == false; Run then calls loop again.
// (Recovering here, once, keeps a defer off the path of every switch.)
func (d *Dispatcher) loop() (code int, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if d.cur == nil {
				panic(r) // not from a frame: a bug of the runtime itself
			}
			d.panicked(d.cur, r)
			code, ok = 0, false
		}
	}()
	// (The counters live in d, not in locals: locals would be spilled across every frame call
	// and reloaded after it.)
	d.skip = 0
	d.left = d.runq.len()
	for {
		for ; d.left > 0; d.left-- {
			// d.runq.popFront(), inlined by hand: this is the path of every switch. (Entries
			// are only ever taken here, so the queue holds at least the d.left runs left in the
			// round.)
			// (d.cur is set next to the pointer store that empties the slot: one write barrier
			// check covers both.)
			t := d.runq.next
			if t != nil {
				d.runq.next = nil
				d.cur = t
			} else {
				buf := d.runq.buf
				h := d.runq.head
				p := ringSlot(buf, h)
				t = *p
				*p = nil
				d.cur = t
				d.runq.head = (h + 1) & (len(buf) - 1)
				d.runq.n--
			}
			if t.state&3 != 0 {
				continue // a stale entry (not stNew or stRunnable): killed before it ever ran
			}
			// d.run(t), inlined by hand for the common case of a frame that suspends in an
			// operation.
			d.fronts = 0
			t.state = stRunning // (which also marks t as started: no longer stNew)
			f := t.frame
			st := f.Resume(t)
			t = d.cur // (the same tasklet: d is reloaded after the call anyway, t need not be kept)
			if st == Yielded {
				// A plain yield (see Yielded): t goes to the back of the run queue, as
				// Tasklet.Yield would put it there. With a kill or a deadline flag to
				// take, an error register to clear, or a quit, resumed calls Yield itself.
				if t.flags&(flKill|flKillWaited|flDeadlineHit)|uint8(t.state^stRunning) == 0 &&
					t.err == nil && !d.quitting {
					t.state = stRunnable // (t.wait is waitNone while it runs)
					// (Into the ring even when the queue is empty: the fast lane is for
					// hand-overs, and the ring's back is always right.)
					if d.runq.n == len(d.runq.buf) {
						d.runq.grow()
					}
					buf := d.runq.buf
					*ringSlot(buf, (d.runq.head+d.runq.n)&(len(buf)-1)) = t
					d.runq.n++
					continue
				}
			} else if uint8(st)|uint8(t.state&1)|t.flags&flKillWaited == 0 {
				// A plain suspension in an operation: st is Suspended (0), t's state is
				// stRunnable (4) or stWaiting (2) and no kill waits for the run. The tests are
				// made as one: of the states t can be in here, only stRunning is odd
				// (TestStateParity). (A quit ended the round: see quit.)
				continue
			}
			d.resumed(t, f, st)
			if d.quitting {
				d.cur = nil
				d.quitting = false
				return d.code, true
			}
		}
		// The round is over.
		// (A Quit ends the round and sets skip to 0 (see quit): the full boundary returns. A
		// large ring takes the full boundary every round, for shrink.)
		// d.runq.fast is false while a timer is pending or the ring is large: setTimer and grow
		// clear it, and only a full boundary sets it again.
		if d.skip > 0 && d.runq.fast {
			n := d.runq.n
			if d.runq.next != nil {
				n++
			}
			if n > 0 {
				d.left = n
				d.skip--
				continue // (d.cur is cleared below, once in outsideEvery rounds)
			}
		}
		d.skip = outsideEvery - 1
		n, code, done := d.between()
		if done {
			return code, true
		}
		d.left = n
		if d.quitting {
			d.left, d.skip = 0, 0 // a Do callback quit: the next boundary quits, before any run
		}
		d.runq.fast = d.timers.len() == 0 && len(d.runq.buf) <= maxFastRing
	}
}

// quit makes Run return code once the current run is over: no other tasklet runs. It ends the
// round, and the next boundary is a full one, which returns; so the loop's test after a plain
// suspension need not look at d.quitting.
func (d *Dispatcher) quit(code int) {
	d.quitting = true
	d.code = code
	d.left, d.skip = 0, 0
}

// between is the full boundary between two rounds: it fires due timers, takes posts, SIGINT and
// IO readiness, shrinks a large run queue, and waits when nothing is runnable. It returns the
// length of the next round, or done with the exit code when the program is over.
func (d *Dispatcher) between() (n, code int, done bool) {
	d.cur = nil
	d.fronts = 0 // (endRun, for the last run of the round)
	if d.quitting {
		// Quit was called outside a run (by a Do callback), and nothing has run since.
		d.quitting = false
		return 0, d.code, true
	}
	q := &d.runq
	q.shrink()
	if d.hasPosts.Load() {
		d.takePosts()
	}
	if d.sigint.Load() {
		d.sigint.Store(false)
		return 0, 130, true
	}
	if d.timers.len() > 0 {
		d.fireTimers(d.nanos())
	}
	if q.len() > 0 {
		if d.poller != nil {
			d.pollIO() // sockets ready meanwhile (io.go): IO is not starved by a busy run queue
		}
		return q.len(), 0, false
	}
	if d.live == 0 {
		return 0, 0, true
	}
	if !d.idle() {
		d.reportDeadlock()
		return 0, 2, true
	}
	return q.len(), 0, false // (IO handlers may have readied tasklets while idle waited)
}

// outsideEvery is how many rounds may pass, while no timer is pending, between two looks at
// what other goroutines posted, SIGINT and IO readiness.
const outsideEvery = 64

// maxFastRing is the largest run queue ring for which the loop skips the full boundary: a
// larger one takes it every round, so that shrink sees it.
const maxFastRing = 1024

// resumed finishes the run of t after its frame f returned st, when that was not a plain
// suspension in an operation: the frame finished (its caller frame resumes at once, or t ends),
// entered a sub-frame (resumed at once), yielded (Yielded, when the loop's fast path did not
// apply), quit, or returned Suspended without starting an operation (a broken frame, failed).
// It also wakes the tasklets waiting in `kill t`. The loop of the dispatcher resumes t (and
// handles a plain suspension and a plain yield) itself.
func (d *Dispatcher) resumed(t *Tasklet, f Frame, st Status) {
	for {
		if st == Yielded && t.state == stRunning && !d.quitting {
			// A yield the loop did not complete itself: Yield takes a kill or deadline flag,
			// and goes on at once (ErrKilled) or queues t.
			if t.Yield() {
				st = f.Resume(t)
				continue
			}
			break
		}
		if st == Finished {
			if t.ext != nil && len(t.ext.stack) > 0 {
				s := t.ext.stack
				t.frame, t.PC = s[len(s)-1].f, s[len(s)-1].pc
				s[len(s)-1] = stackFrame{}
				t.ext.stack = s[:len(s)-1]
				f = t.frame
				st = f.Resume(t) // the caller resumes at once, with the result in its registers
				continue
			}
			d.finish(t)
			break
		}
		if t.state != stRunning || d.quitting {
			break
		}
		if t.frame != f {
			f = t.frame
			st = f.Resume(t) // Enter: resume the sub-frame at once
			continue
		}
		// Suspended without starting an operation: a broken frame.
		t.unwindFrames()
		t.value, t.err = nil, fmt.Errorf("tskrt: frame %T of tasklet %s returned Suspended without starting an operation", f, t.Name())
		d.logf("%v", t.err)
		d.finish(t)
		break
	}
	d.endRun(t)
}

// endRun wakes the tasklets waiting in `kill t` once t's run is over.
// (d.cur is cleared once per round, in loop: nothing between two runs can panic.)
func (d *Dispatcher) endRun(t *Tasklet) {
	if t.flags&flKillWaited != 0 {
		d.fronts = 0
		d.wakeKillers(t)
	}
	d.fronts = 0
}

// panicked fails t, whose frame panicked with r: the whole tasklet ends with a *PanicError
// (the value and the stack), which the dispatcher logs.
func (d *Dispatcher) panicked(t *Tasklet, r any) {
	if t.state == stFinished {
		panic(r) // after the frame ended: a bug of the runtime itself
	}
	pe := &PanicError{Value: r, Stack: debug.Stack(), Pos: panicPos()}
	if t.state == stWaiting {
		d.withdraw(t)
	}
	t.state = stRunning
	if d.unwindOrRecover(t, r) { // recover.go: a calling frame's deferred call stopped it
		d.cur = nil
		return
	}
	d.logf("tasklet %s panicked: %v\n%s", t.Name(), r, pe.Stack)
	t.unwindFrames()
	t.value, t.err = nil, pe
	d.finish(t)
	d.endRun(t)
	d.cur = nil
}

// unwindFrames drops every outer frame (keeping the outermost as t.frame, for the name) and the
// deadlines.
func (t *Tasklet) unwindFrames() {
	if t.ext != nil {
		if len(t.ext.stack) > 0 {
			t.frame, t.PC = t.ext.stack[0].f, t.ext.stack[0].pc
			clear(t.ext.stack)
			t.ext.stack = nil
		}
		t.ext.deadlines = nil
	}
}

// finish ends t with the result in its registers: it leaves the tree, fails calls it never
// answered, empties its mailbox and wakes its joiners.
func (d *Dispatcher) finish(t *Tasklet) {
	t.state = stFinished
	t.wait = waitNone
	t.flags &^= flKill
	if t.tidx >= 0 {
		d.timers.remove(t)
	}
	d.live--
	if t.parent != nil {
		t.parent.ext.kids.remove(t)
		t.parent = nil
	} else {
		d.roots.remove(t)
	}
	if x := t.ext; x != nil {
		d.finishExtra(t, x)
	}
	if t.flags&(flKillWaited|flJoinq) != 0 {
		d.wakeWaiters(t)
	}
}

// joinq returns the queue of the tasklets waiting for t to end, creating it if t has none.
func (d *Dispatcher) joinq(t *Tasklet) *waitq {
	if t.flags&flJoinq != 0 {
		return d.joinqs[t]
	}
	if d.joinqs == nil {
		d.joinqs = make(map[*Tasklet]*waitq)
	}
	var q *waitq
	if n := len(d.freeJoinqs); n > 0 {
		q = d.freeJoinqs[n-1]
		d.freeJoinqs[n-1] = nil
		d.freeJoinqs = d.freeJoinqs[:n-1]
	} else {
		q = new(waitq)
	}
	d.joinqs[t] = q
	t.flags |= flJoinq
	return q
}

// maxFreeJoinqs bounds the empty join queues kept for reuse.
const maxFreeJoinqs = 64

// wakeWaiters wakes the tasklets waiting for the finished t: those waiting in `kill t` first,
// then its joiners, in the order they came. t's join queue is dropped.
func (d *Dispatcher) wakeWaiters(t *Tasklet) {
	if t.flags&flKillWaited != 0 {
		d.wakeKillers(t)
	}
	if t.flags&flJoinq == 0 {
		return
	}
	q := d.joinqs[t]
	delete(d.joinqs, t)
	t.flags &^= flJoinq
	for w := q.popFront(); w != nil; w = q.popFront() {
		r := w.tasklet()
		switch r.wait {
		case waitJoin:
			r.setJoined(t)
			d.ready(r, false)
		case waitJoinAll:
			d.advanceJoinAll(r)
		}
	}
	if len(d.freeJoinqs) < maxFreeJoinqs {
		d.freeJoinqs = append(d.freeJoinqs, q)
	}
}

// finishExtra is the part of finish for a tasklet with rarely used state: its children become
// roots, calls it never answered fail, its mailbox is emptied.
func (d *Dispatcher) finishExtra(t *Tasklet, x *extra) {
	if x.kids != nil && x.kids.n > 0 {
		for _, c := range x.kids.live() { // orphans become roots
			c.parent = nil
			d.roots.add(c)
		}
	}
	x.kids = nil
	x.deadlines = nil
	x.sel = nil
	x.reply = nil
	calls := x.calls
	x.calls = nil
	for _, c := range calls {
		c.idx = -1
		d.failCall(c, errCalleeFinished)
	}
	if x.mb != nil {
		x.mb.ownerFinished()
	}
}

// wakeKillers makes the tasklets waiting in `kill t` runnable at the front of the run queue,
// in the order they killed.
func (d *Dispatcher) wakeKillers(t *Tasklet) {
	t.flags &^= flKillWaited
	if t.flags&flJoinq == 0 {
		return // no one waits (a kill waiting for t put itself into t's join queue)
	}
	q := d.joinqs[t]
	var ks []*Tasklet
	var rest []*waiter
	for w := q.popFront(); w != nil; w = q.popFront() {
		if r := w.tasklet(); r.wait == waitKill {
			ks = append(ks, r)
		} else {
			rest = append(rest, w)
		}
	}
	for _, w := range rest {
		q.push(w)
	}
	for _, k := range ks {
		k.err, k.value = nil, nil
		d.ready(k, true)
	}
}

// park puts the running tasklet t to sleep in an operation of the given kind, with the timer of
// timeout (and of the enclosing deadline).
func (t *Tasklet) park(kind waitKind, timeout time.Duration) {
	t.state = stWaiting
	t.wait = kind
	if timeout != NoTimeout || t.ext != nil {
		t.setTimer(timeout)
	}
}

// needsTimer reports whether a wait with timeout may need a timer: a timeout, or deadlines
// pushed at some time (flDeadlines stays set once PushDeadline set it: setTimer checks whether
// one is in force). The hot operations park by hand with it, as park itself must stay small
// enough to inline.
func (t *Tasklet) needsTimer(timeout time.Duration) bool {
	return timeout != NoTimeout || t.flags&flDeadlines != 0
}

// setTimer starts the timer of a wait with the given timeout, shortened by the enclosing
// deadline. With neither, no timer is set.
func (t *Tasklet) setTimer(timeout time.Duration) {
	if t.ext == nil || len(t.ext.deadlines) == 0 {
		// No deadline: the operation's own timeout, if any.
		if timeout == NoTimeout {
			return
		}
		now := t.d.nanos()
		t.flags &^= flDeadlineTimer
		t.d.timers.add(t, addClamp(now, max(timeout, 0)), now)
		t.d.runq.fast = false // timers are fired at every boundary while one is pending
		return
	}
	// The operation's timeout or the innermost deadline, whichever ends first.
	var when int64
	timed := false
	now := t.d.nanos()
	if timeout != NoTimeout {
		when, timed = addClamp(now, max(timeout, 0)), true
	}
	t.flags &^= flDeadlineTimer
	if dl := t.ext.deadlines[len(t.ext.deadlines)-1]; dl != math.MaxInt64 && (!timed || dl < when) {
		when, timed = dl, true
		t.flags |= flDeadlineTimer
	}
	if timed {
		t.d.timers.add(t, when, now)
		t.d.runq.fast = false // timers are fired at every boundary while one is pending
	}
}

// ready makes the parked tasklet r runnable, at the front of the run queue (hand-over: it runs
// next) or at the back. Its registers must already hold the outcome.
func (d *Dispatcher) ready(r *Tasklet, front bool) {
	if front {
		d.readyFront(r)
	} else {
		d.readyBack(r)
	}
}

// readyFront makes the parked tasklet r runnable by hand-over: it runs next, behind the
// tasklets the current run already handed values to.
func (d *Dispatcher) readyFront(r *Tasklet) {
	if r.tidx >= 0 {
		d.timers.remove(r)
	}
	r.state = stRunnable
	r.wait = waitNone
	q := &d.runq
	if q.n == 0 && q.next == nil {
		q.next = r // the queue is empty: r is its front
		d.fronts = 1
		return
	}
	if n := q.len(); d.fronts > n {
		d.fronts = n
	}
	q.insertAt(d.fronts, r)
	d.fronts++
}

// readyBack makes the parked tasklet r runnable at the back of the run queue.
func (d *Dispatcher) readyBack(r *Tasklet) {
	if r.tidx >= 0 {
		d.timers.remove(r)
	}
	r.state = stRunnable
	r.wait = waitNone
	q := &d.runq // pushBack, inlined by hand: this is on the path of every hand-over
	if q.n == 0 && q.next == nil {
		q.next = r
		return
	}
	if q.n == len(q.buf) {
		q.grow()
	}
	buf := q.buf
	buf[(q.head+q.n)&(len(buf)-1)] = r
	q.n++
}

// requeue puts the running tasklet t at the back of the run queue (a yield, or a hand-over's
// sender).
func (t *Tasklet) requeue() {
	t.state = stRunnable
	t.wait = waitNone
	t.d.runq.pushBack(t)
}

// fireTimers ends, in time order, the waits whose timer is due at now.
func (d *Dispatcher) fireTimers(now int64) {
	for {
		t := d.timers.popDue(now)
		if t == nil {
			return
		}
		dl := t.flags&flDeadlineTimer != 0
		t.flags &^= flDeadlineTimer
		switch {
		case t.wait == waitSleep && !dl:
			if t.err != nil {
				t.err = nil
			}
			if t.value != nil {
				t.value = nil
			}
		case t.wait == waitBatch && !dl && t.value.(*batch).started():
			t.finishBatch()
		default:
			d.withdraw(t)
			t.err, t.value, t.caseIdx = ErrTimeout, nil, -1
			if dl {
				t.flags |= flDeadlineHit
			}
		}
		d.readyBack(t)
	}
}

// idle waits for something to happen when nothing is runnable: the next timer (a virtual clock
// just skips to it), a Post, a Hold's release, IO, or an outside operation's result.
// It returns false when nothing can ever happen: a deadlock.
func (d *Dispatcher) idle() bool {
	when, hasTimer := d.timers.peek()
	// A virtual clock skips to the next timer, unless a Go operation is still running: its
	// result may come first, and a blocking Go call takes real time.
	if hasTimer && d.offloads == 0 && d.clock.Skip(d.base.Add(time.Duration(when))) {
		return true
	}
	// Create the poller before reading the outside state: a Post or release that happens after
	// the reads below then finds the poller and wakes it.
	p := d.getPoller()
	if d.hasPosts.Load() || d.sigint.Load() {
		return true
	}
	outside := d.holds.Load() > 0 || d.inflight > 0
	if !hasTimer && !outside {
		return false
	}
	if p == nil {
		// No poller (it could not be created): poll.
		time.Sleep(time.Millisecond)
		return true
	}
	timeout := time.Duration(-1)
	if hasTimer {
		timeout = time.Duration(when - d.nanos())
		if timeout <= 0 {
			return true
		}
	}
	if _, err := p.Wait(timeout); err != nil {
		d.logf("%v", err)
		time.Sleep(time.Millisecond)
	}
	return true
}

// getPoller returns the dispatcher's poller, creating it on first use (nil if that failed).
func (d *Dispatcher) getPoller() *poll.Poller {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.poller == nil && d.pollErr == nil {
		d.poller, d.pollErr = poll.New()
		if d.pollErr != nil {
			d.logf("%v", d.pollErr)
		}
	}
	return d.poller
}

// closePoller releases the poller at the end of Run, unless sockets are still registered.
func (d *Dispatcher) closePoller() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if p := d.poller; p != nil && p.Len() == 0 {
		p.Close()
		d.poller = nil
	}
}

// wake interrupts an idle wait of the dispatcher. Safe from any goroutine. Without a poller the
// dispatcher is not waiting (it creates the poller before it checks what to wait for).
func (d *Dispatcher) wake() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if p := d.poller; p != nil {
		if err := p.Wake(); err != nil {
			d.logf("%v", err)
		}
	}
}

func (d *Dispatcher) watchSigint() (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt)
	done := make(chan struct{})
	go func() {
		select {
		case <-ch:
			d.sigint.Store(true)
			d.wake()
		case <-done:
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}

// Post puts m into to's mailbox, as a send from outside any tasklet would. It is safe to call
// from any goroutine, and never blocks. A tasklet blocked in a matching receive becomes runnable.
// Posting to a finished tasklet drops the message (counted in its mailbox's Dropped).
func (d *Dispatcher) Post(to *Tasklet, m any) {
	if to == nil || to.d != d {
		panic("tskrt: Post to a nil tasklet or to a tasklet of another dispatcher")
	}
	d.postItem(post{to: to, m: m})
}

// Do runs fn on the dispatcher goroutine between two tasklet runs. Safe from any goroutine.
func (d *Dispatcher) Do(fn func()) {
	d.postItem(post{fn: fn})
}

func (d *Dispatcher) postItem(p post) {
	d.mu.Lock()
	first := len(d.posts) == 0
	d.posts = append(d.posts, p)
	d.hasPosts.Store(true)
	d.mu.Unlock()
	if first {
		d.wake()
	}
}

// Hold keeps the dispatcher from declaring a deadlock while outside code may still Post: until
// release is called, tasklets waiting for messages count as waiting for the outside world.
// Safe from any goroutine; release may be called more than once.
func (d *Dispatcher) Hold() (release func()) {
	d.holds.Add(1)
	var once sync.Once
	return func() {
		once.Do(func() {
			d.holds.Add(-1)
			d.wake()
		})
	}
}

func (d *Dispatcher) takePosts() {
	d.mu.Lock()
	ps := d.posts
	d.posts = nil
	d.hasPosts.Store(false)
	d.mu.Unlock()
	for i := range ps {
		p := &ps[i]
		if p.fn != nil {
			p.fn()
		} else {
			d.deliver(p.to, p.m, nil)
		}
		*p = post{}
	}
}

func (d *Dispatcher) logf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if !strings.HasSuffix(msg, "\n") {
		msg += "\n"
	}
	io.WriteString(d.stderr, "tskrt: "+msg)
}

// reportDeadlock writes which tasklets wait, and for what, to stderr.
func (d *Dispatcher) reportDeadlock() {
	var lines []string
	for _, r := range d.roots.live() {
		for t := range r.Tree() {
			if t.state == stWaiting {
				lines = append(lines, "\t"+t.Name()+": "+t.waitDescription())
			}
		}
	}
	fmt.Fprintf(d.stderr, "tskrt: deadlock: %d tasklet(s) wait and none can ever run:\n%s\n", len(lines), strings.Join(lines, "\n"))
}

// waitDescription says what a parked tasklet waits for, for the deadlock report.
func (t *Tasklet) waitDescription() string {
	switch t.wait {
	case waitSleep:
		return "sleep"
	case waitChanSend:
		return "send on a channel (no receiver)"
	case waitChanRecv:
		return "receive from a channel (no sender)"
	case waitReceive:
		n := 0
		if t.mbox() != nil {
			n = t.mbox().Len()
		}
		if n > 0 {
			return fmt.Sprintf("receive (no matching message among %d in its mailbox)", n)
		}
		return "receive (mailbox empty)"
	case waitBatch:
		return "receive batch (mailbox empty)"
	case waitPop:
		return "pop from a mailbox"
	case waitCall:
		if c, _ := t.value.(*call); c != nil && c.callee != nil {
			return "the reply to a call to " + c.callee.Name()
		}
		return "the reply to a call"
	case waitJoin:
		return "join " + t.joinTarget().Name()
	case waitJoinAll:
		return "join all (" + t.joinTarget().Name() + " has not finished)"
	case waitKill:
		return "kill " + t.joinTarget().Name()
	case waitSelect:
		return "select"
	case waitOp:
		return "an outside operation"
	}
	return "nothing"
}
