package runtime

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestYieldInterleavesStrictly(t *testing.T) {
	e := newEnv(t)
	worker := func(name string) *script {
		var st []func(*Tasklet) bool
		for i := range 3 {
			st = append(st, do(func(*Tasklet) { e.log("%s%d", name, i) }), (*Tasklet).Yield)
		}
		return steps(name, st...)
	}
	e.d.Spawn(worker("A"), Options{})
	e.d.Spawn(worker("B"), Options{})
	e.run(0)
	e.wantTrace("A0", "B0", "A1", "B1", "A2", "B2")
}

func TestYieldAloneDoesNotSwitch(t *testing.T) {
	e := newEnv(t)
	var got []bool
	e.d.Spawn(steps("A", func(t *Tasklet) bool {
		got = append(got, t.Yield())
		return true
	}), Options{})
	e.run(0)
	if len(got) != 1 || !got[0] {
		t.Fatalf("Yield alone = %v, want true", got)
	}
}

func TestSpawnedRunsAfterCreatorSuspends(t *testing.T) {
	e := newEnv(t)
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) {
			t.Spawn(steps("C1", do(func(*Tasklet) { e.log("c1") })), Options{})
			t.Spawn(steps("C2", do(func(*Tasklet) { e.log("c2") })), Options{})
			e.log("main-spawned")
		}),
		(*Tasklet).Yield,
		do(func(*Tasklet) { e.log("main-resumed") }),
	), Options{})
	e.run(0)
	e.wantTrace("main-spawned", "c1", "c2", "main-resumed")
}

// A channel send to a waiting receiver hands over: the receiver runs next, the sender goes to
// the back of the run queue (behind tasklets that were already runnable).
func TestChannelSendHandsOver(t *testing.T) {
	e := newEnv(t)
	ch := NewChannel[int]()
	var v int
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) {
			t.Spawn(steps("R",
				func(t *Tasklet) bool { return ch.Recv(t, &v, NoTimeout) },
				do(func(*Tasklet) { e.log("r:%d", v) })), Options{})
		}),
		(*Tasklet).Yield, // R runs and parks in Recv
		do(func(t *Tasklet) {
			t.Spawn(steps("X", do(func(*Tasklet) { e.log("x") })), Options{})
		}),
		func(t *Tasklet) bool {
			if ch.Send(t, 7, NoTimeout) {
				e.log("send completed at once")
			}
			return false
		},
		do(func(*Tasklet) { e.log("main") }),
	), Options{})
	e.run(0)
	e.wantTrace("r:7", "x", "main")
}

// Receiving from a waiting sender completes at once: no switch.
func TestChannelRecvFromWaitingSenderDoesNotSwitch(t *testing.T) {
	e := newEnv(t)
	ch := NewChannel[string]()
	var v string
	e.d.Spawn(steps("S",
		func(t *Tasklet) bool { return ch.Send(t, "hello", NoTimeout) },
		do(func(*Tasklet) { e.log("s:sent") })), Options{})
	e.d.Spawn(steps("R",
		func(t *Tasklet) bool {
			if !ch.HasSender() {
				e.log("no sender?")
			}
			done := ch.Recv(t, &v, NoTimeout)
			e.log("r:%v:%s", done, v)
			return done
		},
		do(func(*Tasklet) { e.log("r:continues") })), Options{})
	e.run(0)
	e.wantTrace("r:true:hello", "r:continues", "s:sent")
}

func TestChannelTimeoutIsExact(t *testing.T) {
	e := newEnv(t)
	ch := NewChannel[int]()
	var v int
	e.d.Spawn(steps("R",
		func(t *Tasklet) bool { return ch.Recv(t, &v, 1500*time.Millisecond) },
		do(func(t *Tasklet) {
			e.logAt("recv:%v", t.Err())
			if ch.HasReceiver() {
				e.log("receiver left behind")
			}
		}),
		func(t *Tasklet) bool { return ch.Send(t, 1, 250*time.Millisecond) },
		do(func(t *Tasklet) { e.logAt("send:%v", t.Err()) }),
	), Options{})
	e.run(0)
	e.wantTrace("recv:tskrt: timeout@1.5s", "send:tskrt: timeout@1.75s")
	if !errors.Is(ErrTimeout, ErrTimeout) || e.d.timers.len() != 0 {
		t.Fatal("timers left behind")
	}
}

// Timeout 0 polls with one scheduling round of grace: a sender that runs in the same round
// still gets through; otherwise the receive times out at once.
func TestTimeoutZeroGivesOneRoundOfGrace(t *testing.T) {
	e := newEnv(t)
	ch := NewChannel[int]()
	var v int
	e.d.Spawn(steps("R",
		func(t *Tasklet) bool { return ch.Recv(t, &v, 0) },
		do(func(t *Tasklet) { e.logAt("first:%v:%d", t.Err(), v) }),
		func(t *Tasklet) bool { return ch.Recv(t, &v, 0) },
		do(func(t *Tasklet) { e.logAt("second:%v", t.Err()) }),
	), Options{})
	e.d.Spawn(steps("S", func(t *Tasklet) bool { return ch.Send(t, 5, 0) }), Options{})
	e.run(0)
	e.wantTrace("first:<nil>:5@0s", "second:tskrt: timeout@0s")
}

func TestSleepWakesInTimeOrderThenFIFO(t *testing.T) {
	e := newEnv(t)
	for _, s := range []struct {
		name string
		d    time.Duration
	}{{"a", 2 * time.Second}, {"b", time.Second}, {"c", 2 * time.Second}, {"d", time.Second}} {
		e.d.Spawn(steps(s.name,
			func(t *Tasklet) bool { return t.Sleep(s.d) },
			do(func(*Tasklet) { e.logAt("%s", s.name) })), Options{})
	}
	e.run(0)
	e.wantTrace("b@1s", "d@1s", "a@2s", "c@2s")
}

// Timers are checked between rounds even when the run queue never empties.
func TestTimersFireWhileRunQueueIsBusy(t *testing.T) {
	d := NewDispatcher()
	woke := false
	yields := 0
	d.Spawn(steps("sleeper", func(t *Tasklet) bool { return t.Sleep(2 * time.Millisecond) },
		do(func(*Tasklet) { woke = true })), Options{})
	d.Spawn(&forever{name: "spinner", op: (*Tasklet).Yield, after: func(*Tasklet) bool { yields++; return woke }}, Options{})
	d.Spawn(&forever{name: "spinner2", op: (*Tasklet).Yield, after: func(*Tasklet) bool { return woke }}, Options{})
	if code := d.Run(); code != 0 || !woke {
		t.Fatalf("Run() = %d, woke = %v", code, woke)
	}
}

func TestSubFrameReturnsWithoutRunQueueTrip(t *testing.T) {
	e := newEnv(t)
	var depth func(n int) Frame
	depth = func(n int) Frame {
		if n == 0 {
			return steps("leaf", do(func(*Tasklet) { e.log("leaf") }), func(t *Tasklet) bool {
				return true
			})
		}
		s := steps("inner")
		s.steps = []func(*Tasklet) bool{
			func(t *Tasklet) bool { return t.Enter(depth(n - 1)) },
			do(func(t *Tasklet) {
				if t.Err() != nil {
					e.log("err")
				}
				s.ret = n
			}),
		}
		return s
	}
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) { t.Spawn(steps("X", do(func(*Tasklet) { e.log("x") })), Options{}) }),
		func(t *Tasklet) bool { return t.Enter(depth(50)) },
		do(func(t *Tasklet) { e.log("main:%v", t.Value()) }),
		(*Tasklet).Yield,
		do(func(t *Tasklet) { e.log("main:end") }),
	), Options{})
	e.run(0)
	e.wantTrace("leaf", "main:50", "x", "main:end")
}

func TestSubFrameFailurePropagates(t *testing.T) {
	e := newEnv(t)
	boom := errors.New("boom")
	main := e.d.Spawn(steps("Main",
		func(t *Tasklet) bool { return t.Enter(&script{name: "sub", err: boom}) },
		do(func(t *Tasklet) { e.log("caught:%v", t.Err()) }),
		func(t *Tasklet) bool { return t.Enter(&script{name: "sub", ret: 42}) },
		do(func(t *Tasklet) { e.log("value:%v:%v", t.Value(), t.Err()) }),
	), Options{})
	e.run(0)
	e.wantTrace("caught:boom", "value:42:<nil>")
	if v, err := main.Result(); v != nil || err != nil {
		t.Fatalf("Result() = %v, %v", v, err)
	}
}

func TestQuitEndsAtOnce(t *testing.T) {
	e := newEnv(t)
	e.d.Spawn(steps("A", do(func(*Tasklet) { e.log("a") }), func(t *Tasklet) bool {
		t.Quit(3)
		return false
	}, do(func(*Tasklet) { e.log("a-after-quit") })), Options{})
	e.d.Spawn(steps("B", do(func(*Tasklet) { e.log("b") })), Options{})
	e.run(3)
	e.wantTrace("a")
}

func TestDeadlockReport(t *testing.T) {
	e := newEnv(t)
	ch := NewChannel[int]()
	var v int
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) {
			t.Spawn(steps("Worker", func(t *Tasklet) bool { return t.Receive(nil, NoTimeout) }), Options{})
		}),
		func(t *Tasklet) bool { return ch.Recv(t, &v, NoTimeout) },
	), Options{})
	e.run(2)
	out := e.stderr.String()
	for _, want := range []string{"deadlock", "Main: receive from a channel", "Worker: receive (mailbox empty)"} {
		if !strings.Contains(out, want) {
			t.Errorf("deadlock report lacks %q:\n%s", want, out)
		}
	}
}

func TestAllFinishedExitsZero(t *testing.T) {
	e := newEnv(t)
	e.d.Spawn(steps("Main", func(t *Tasklet) bool { return t.Sleep(time.Hour) }), Options{})
	e.run(0)
	if e.elapsed() != time.Hour {
		t.Fatalf("elapsed %v", e.elapsed())
	}
}

func TestPanicFailsOnlyThatTasklet(t *testing.T) {
	e := newEnv(t)
	var joinErr error
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) {
			p := t.Spawn(steps("P", do(func(*Tasklet) {
				var s []int
				_ = s[len(e.trace)+3]
			})), Options{})
			t.Spawn(steps("Q", do(func(*Tasklet) { e.log("q runs") })), Options{})
			t.value = p
		}),
		func(t *Tasklet) bool { return t.Join(t.Value().(*Tasklet), NoTimeout) },
		do(func(t *Tasklet) { joinErr = t.Err() }),
	), Options{})
	e.run(0)
	e.wantTrace("q runs")
	var je *JoinError
	var pe *PanicError
	if !errors.As(joinErr, &je) || !errors.As(joinErr, &pe) || je.Tasklet.Name() != "P" {
		t.Fatalf("join error = %#v", joinErr)
	}
	if !strings.Contains(string(pe.Stack), "TestPanicFailsOnlyThatTasklet") {
		t.Errorf("stack lacks the panicking function:\n%s", pe.Stack)
	}
	if !strings.Contains(e.stderr.String(), "tasklet P panicked: runtime error: index out of range [3] with length 0") {
		t.Errorf("panic not logged: %s", e.stderr.String())
	}
}

func TestFrameSuspendedWithoutOperationFails(t *testing.T) {
	e := newEnv(t)
	p := e.d.Spawn(steps("Bad", func(*Tasklet) bool { return false }), Options{})
	e.run(0)
	if _, err := p.Result(); err == nil || !strings.Contains(err.Error(), "without starting an operation") {
		t.Fatalf("Result err = %v", err)
	}
}
