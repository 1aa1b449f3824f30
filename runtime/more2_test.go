package runtime

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSpawnAfterResultAndKill(t *testing.T) {
	e := newEnv(t)
	e.d.Spawn(steps("Main",
		func(t *Tasklet) bool {
			t.value = t.SpawnAfter(time.Second, func() Frame { return ret("F", 42) }, Options{})
			return t.Join(t.value.(*Tasklet), NoTimeout)
		},
		do(func(t *Tasklet) { e.logAt("joined:%v", t.Value()) }),
		func(t *Tasklet) bool {
			later := t.SpawnAfter(time.Hour, func() Frame { return steps("G", do(func(*Tasklet) { e.log("G ran") })) }, Options{})
			t.value = later
			return t.KillWait(later)
		},
		func(t *Tasklet) bool { return t.Join(t.value.(*Tasklet), NoTimeout) },
		do(func(t *Tasklet) { e.logAt("killed:%v", errors.Is(t.Err(), ErrKilled)) }),
	), Options{})
	e.run(0)
	e.wantTrace("joined:42@1s", "killed:true@1s")
}

func TestKillInSelectWithdrawsEveryCase(t *testing.T) {
	e := newEnv(t)
	a, b := NewChannel[int](), NewChannel[int]()
	var v int
	var s *Tasklet
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) {
			s = t.Spawn(steps("S",
				func(t *Tasklet) bool { return t.Select([]SelectCase{a.RecvCase(&v), b.SendCase(1)}, time.Hour) },
				do(func(t *Tasklet) { e.log("s:%d:%v", t.Case(), t.Err()) })), Options{})
		}),
		(*Tasklet).Yield,
		do(func(t *Tasklet) { e.log("before:%v:%v", a.HasReceiver(), b.HasSender()) }),
		func(t *Tasklet) bool { return t.KillWait(s) },
		do(func(t *Tasklet) { e.log("after:%v:%v:%d", a.HasReceiver(), b.HasSender(), e.d.timers.len()) }),
	), Options{})
	e.run(0)
	e.wantTrace("before:true:true", "s:-1:tskrt: tasklet killed", "after:false:false:0")
}

func TestSelectReceivesSentError(t *testing.T) {
	e := newEnv(t)
	a := NewChannel[int]()
	var v int
	boom := errors.New("boom")
	e.d.Spawn(steps("R",
		func(t *Tasklet) bool { return t.Select([]SelectCase{a.RecvCase(&v)}, NoTimeout) },
		do(func(t *Tasklet) { e.log("%d:%v", t.Case(), t.Err()) })), Options{})
	e.d.Spawn(steps("S", func(t *Tasklet) bool { return a.SendError(boom).Start(t, NoTimeout) }), Options{})
	e.run(0)
	e.wantTrace("0:boom")
}

func TestDeadlockReportNamesWhatEachWaitsFor(t *testing.T) {
	e := newEnv(t)
	var srv *Tasklet
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) {
			srv = t.Spawn(steps("Server", func(t *Tasklet) bool { return t.Receive(matchAdd, NoTimeout) }), Options{})
			t.Spawn(steps("Client", func(t *Tasklet) bool { return t.Call(srv, "not an add", NoTimeout) }), Options{})
		}),
		func(t *Tasklet) bool { return t.Join(srv, NoTimeout) },
	), Options{})
	e.run(2)
	out := e.stderr.String()
	for _, want := range []string{
		"3 tasklet(s)",
		"Main: join Server",
		"Server: receive (no matching message among 1 in its mailbox)",
		"Client: the reply to a call to Server",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

// Go operations keep a dispatcher alive; a deadlock is only declared once they are done.
func TestGoOperationKeepsDispatcherAlive(t *testing.T) {
	e := newEnv(t)
	e.d.Spawn(steps("A",
		func(t *Tasklet) bool {
			return Go(func() (int, error) { time.Sleep(5 * time.Millisecond); return 0, nil }).Start(t, NoTimeout)
		},
		do(func(*Tasklet) { e.log("a") })), Options{})
	e.run(0)
	e.wantTrace("a")
}

// unwinding is a frame with a deferred call (Unwinder) that calls a sub-frame.
type unwinding struct {
	e    *env
	name string
	sub  Frame
	pc   int
}

func (u *unwinding) Unwind(*Tasklet) { u.e.log("defer:%s", u.name) }

func (u *unwinding) Resume(t *Tasklet) Status {
	if u.pc == 0 {
		u.pc = 1
		t.Enter(u.sub)
		return Suspended
	}
	u.e.log("never: the caller goes on")
	return t.Return(nil)
}

// A panic in a sub-frame runs the deferred calls of every calling frame, innermost first.
func TestPanicUnwindsCallers(t *testing.T) {
	e := newEnv(t)
	inner := steps("crash", do(func(*Tasklet) {
		var p *struct{ n int }
		_ = p.n
	}))
	mid := &unwinding{e: e, name: "mid", sub: inner}
	outer := &unwinding{e: e, name: "outer", sub: mid}
	c := e.d.Spawn(outer, Options{Name: "C"})
	e.run(0)
	var pe *PanicError
	if _, err := c.Result(); !errors.As(err, &pe) {
		t.Fatalf("Result err = %v", err)
	}
	e.wantTrace("defer:mid", "defer:outer")
}

func TestDispatchVirtualClockFromEnvironment(t *testing.T) {
	t.Setenv("TSKRT_CLOCK", "virtual")
	var at time.Time
	start := time.Now()
	code := Dispatch(steps("Main", func(t *Tasklet) bool { return t.Sleep(time.Hour) },
		do(func(t *Tasklet) { at = t.Now() })))
	if code != 0 || !at.Equal(VirtualEpoch.Add(time.Hour)) || time.Since(start) > time.Minute {
		t.Fatalf("code %d, woke at %v", code, at)
	}
}

func TestMailboxReleasesBurst(t *testing.T) {
	e := newEnv(t)
	e.d.Spawn(steps("Main", do(func(t *Tasklet) {
		mb := t.Mailbox()
		for i := range 5000 {
			mb.Append(i)
		}
		for i := range 5000 {
			if m, _ := mb.TryPopLeft(); m != i {
				e.log("out of order at %d: %v", i, m)
			}
		}
		e.log("len:%d:buf:%d", mb.Len(), len(mb.chunks))
	})), Options{})
	e.run(0)
	e.wantTrace("len:0:buf:0")
}

// Under a virtual clock, time does not skip past a timeout while a Go operation runs.
func TestVirtualClockWaitsForGoOperations(t *testing.T) {
	e := newEnv(t)
	e.d.Spawn(steps("A",
		func(t *Tasklet) bool {
			return Go(func() (int, error) { time.Sleep(2 * time.Millisecond); return 1, nil }).Start(t, time.Second)
		},
		do(func(t *Tasklet) { e.logAt("go:%v", t.Err()) })), Options{})
	e.d.Spawn(steps("B", func(t *Tasklet) bool { return t.Sleep(time.Hour) }, do(func(t *Tasklet) { e.logAt("b") })), Options{})
	e.run(0)
	e.wantTrace("go:<nil>@0s", "b@1h0m0s")
}
