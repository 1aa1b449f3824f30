package runtime

import (
	"testing"
)

// recovering is a frame whose deferred call recovers (Recoverer) a panic of a frame it calls.
type recovering struct {
	e   *env
	sub Frame
	pc  int
	dl  int
}

func (r *recovering) Recover(t *Tasklet, p any) bool {
	r.e.log("recovered:%v", p)
	t.DropDeadlines(r.dl)
	t.Return("fallback")
	return true
}

func (r *recovering) Resume(t *Tasklet) Status {
	if r.pc == 0 {
		r.pc = 1
		r.dl = t.DeadlineDepth()
		t.PushDeadline(1 << 40)
		t.Enter(r.sub)
		return Suspended
	}
	r.e.log("never: the recovering frame has returned")
	return t.Return(nil)
}

// A panic two frames down is stopped by the recovering frame: the frame between runs its
// deferred calls first, the recovering frame's caller goes on with its result, before any other
// runnable tasklet, and the deadline the abandoned frames pushed is gone.
func TestRecoverInCaller(t *testing.T) {
	e := newEnv(t)
	inner := steps("crash", do(func(*Tasklet) { panic("boom") }))
	mid := &unwinding{e: e, name: "mid", sub: inner}
	rec := &recovering{e: e, sub: mid}
	outer := steps("outer",
		func(t *Tasklet) bool { t.Enter(rec); return false },
		do(func(t *Tasklet) {
			e.log("outer:%v:%v:deadlines:%d", t.Value(), t.Err(), t.DeadlineDepth())
		}))
	c := e.d.Spawn(outer, Options{})
	e.d.Spawn(steps("other", do(func(*Tasklet) { e.log("other") })), Options{})
	e.run(0)
	if _, err := c.Result(); err != nil {
		t.Fatalf("Result err = %v", err)
	}
	e.wantTrace("defer:mid", "recovered:boom", "outer:fallback:<nil>:deadlines:0", "other")
}
