package runtime

import (
	"time"

	"github.com/tskc-lang/tskc/runtime/internal/poll"
)

// This file is the seam between the dispatcher and the network operations (net*.go,
// stream*.go): registering sockets with the poller, and parking a tasklet in an IO operation
// until the poller reports readiness.

// dispatcher returns the dispatcher of t.
func (t *Tasklet) dispatcher() *Dispatcher { return t.d }

// pollAdd registers sysfd with the poller (edge-triggered, both directions); h.PollReady is
// called with its events on the dispatcher goroutine.
func (d *Dispatcher) pollAdd(sysfd int, h poll.Handler) error {
	p := d.getPoller()
	if p == nil {
		return d.pollErr
	}
	return p.Register(sysfd, poll.Readable|poll.Writable|poll.EdgeTriggered|poll.Hangup, h)
}

// pollIO takes, without blocking, the readiness of the registered sockets. The dispatcher
// calls it between rounds while the run queue stays busy, so tasklets waiting for IO get their
// turn even when other tasklets never stop yielding (the poller is otherwise consulted only
// when nothing is runnable). Without registered sockets it costs nothing.
func (d *Dispatcher) pollIO() {
	if p := d.poller; p != nil && p.Len() > 0 {
		if _, err := p.Wait(0); err != nil {
			d.logf("%v", err)
		}
	}
}

// pollDel unregisters sysfd (before it is closed).
func (d *Dispatcher) pollDel(sysfd int) {
	if p := d.getPoller(); p != nil {
		p.Unregister(sysfd)
	}
}

// ioParked is an IO operation a tasklet is parked in. abandon withdraws it (timeout or kill).
// The operation itself is the wait state (t.value), so parking allocates nothing.
type ioParked interface {
	abandon()
}

// ioPark parks t in the IO operation w with timeout (and the enclosing deadline). On timeout or
// kill, w.abandon is called and the tasklet resumes with ErrTimeout or ErrKilled in Err(); when
// the operation completes, its owner calls ioDone.
func (d *Dispatcher) ioPark(t *Tasklet, w ioParked, timeout time.Duration) {
	t.value = w
	d.inflight++
	t.park(waitOp, timeout)
	if t.flags&flKill != 0 {
		t.flags &^= flKill
		d.withdraw(t)
		t.err, t.value, t.caseIdx = ErrKilled, nil, -1
		d.ready(t, false)
	}
}

// ioDone makes t, parked in the IO operation w, runnable with a nil Err() (the operation keeps
// its own outcome). It does nothing if t no longer waits for w.
func (d *Dispatcher) ioDone(t *Tasklet, w ioParked) {
	if t == nil || t.wait != waitOp {
		return
	}
	if iw, ok := t.value.(ioParked); !ok || iw != w {
		return
	}
	d.inflight--
	t.err, t.value = nil, nil
	d.ready(t, false)
}
