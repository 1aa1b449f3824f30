package runtime

import (
	"errors"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestSelect(t *testing.T) {
	e := newEnv(t)
	a, b := NewChannel[int](), NewChannel[string]()
	var av int
	var bv string
	var main *Tasklet
	cases := func() []SelectCase {
		return []SelectCase{a.RecvCase(&av), b.SendCase("hi"), ReceiveCase(func(m any) bool { _, ok := m.(ping); return ok })}
	}
	main = e.d.Spawn(steps("Main",
		// Nothing ready: the first case to become ready wins (a send on a).
		do(func(t *Tasklet) {
			t.Spawn(steps("A", func(t *Tasklet) bool { return a.Send(t, 1, NoTimeout) }), Options{})
		}),
		func(t *Tasklet) bool { return t.Select(cases(), NoTimeout) },
		do(func(t *Tasklet) {
			e.log("case:%d:%d:a.recv=%v:b.send=%v", t.Case(), av, a.HasReceiver(), b.HasSender())
			t.Spawn(steps("B", func(t *Tasklet) bool { return b.Recv(t, &bv, NoTimeout) }), Options{})
		}),
		func(t *Tasklet) bool { return t.Select(cases(), NoTimeout) },
		do(func(t *Tasklet) { e.log("case:%d:%s", t.Case(), bv) }),
		func(t *Tasklet) bool {
			t.Spawn(steps("C", func(t *Tasklet) bool { t.Send(main, "junk"); return t.Send(main, ping{3}) }), Options{})
			return t.Select(cases(), NoTimeout)
		},
		do(func(t *Tasklet) { e.log("case:%d:%v:left=%d", t.Case(), t.Value(), t.Mailbox().Len()) }),
		func(t *Tasklet) bool { return t.Select(cases(), time.Second) },
		do(func(t *Tasklet) {
			e.logAt("case:%d:%v:a.recv=%v:b.send=%v", t.Case(), t.Err(), a.HasReceiver(), b.HasSender())
		}),
	), Options{})
	e.run(0)
	e.wantTrace("case:0:1:a.recv=false:b.send=false", "case:1:hi", "case:2:{3}:left=1",
		"case:-1:tskrt: timeout:a.recv=false:b.send=false@1s")
}

func TestSelectReadyCaseCompletesAtOnce(t *testing.T) {
	e := newEnv(t)
	a := NewChannel[int]()
	var v int
	e.d.Spawn(steps("S", func(t *Tasklet) bool { return a.Send(t, 4, NoTimeout) }, do(func(*Tasklet) { e.log("s") })), Options{})
	e.d.Spawn(steps("R",
		func(t *Tasklet) bool {
			ok := t.Select([]SelectCase{a.RecvCase(&v)}, 0)
			e.log("at-once:%v:%d", ok, v)
			return ok
		},
		do(func(*Tasklet) { e.log("r") })), Options{})
	e.run(0)
	e.wantTrace("at-once:true:4", "r", "s")
}

func TestReceiveBatch(t *testing.T) {
	e := newEnv(t)
	var r *Tasklet
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) {
			r = t.Spawn(&forever{name: "R",
				op: func(t *Tasklet) bool { return t.ReceiveBatch(3, time.Second) },
				after: func(t *Tasklet) bool {
					e.logAt("batch:%v:%v", t.Value(), t.Err())
					return t.Err() != nil
				}}, Options{})
		}),
		(*Tasklet).Yield,
		do(func(t *Tasklet) { t.Send(r, 1); t.Send(r, 2); t.Send(r, 3); t.Send(r, 4) }),
		func(t *Tasklet) bool { return t.Sleep(5 * time.Second) },
		do(func(t *Tasklet) { t.Send(r, 5) }),
		func(t *Tasklet) bool { return t.Sleep(500 * time.Millisecond) },
		do(func(t *Tasklet) { t.Send(r, 6) }),
		func(t *Tasklet) bool { return t.Sleep(5 * time.Second) },
		func(t *Tasklet) bool { return t.KillWait(r) },
	), Options{})
	e.run(0)
	e.wantTrace("batch:[1 2 3]:<nil>@0s", "batch:[4]:<nil>@1s", "batch:[5 6]:<nil>@6s", "batch:<nil>:tskrt: tasklet killed@10.5s")
}

func TestMailboxAppendLeftAndPopWaiters(t *testing.T) {
	e := newEnv(t)
	var owner *Tasklet
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) {
			owner = t.Spawn(steps("Owner", func(t *Tasklet) bool { return t.Sleep(time.Hour) }), Options{})
			mb := owner.Mailbox()
			for i := range 2 {
				t.Spawn(steps("P",
					func(t *Tasklet) bool { return mb.PopLeft().Start(t, NoTimeout) },
					do(func(t *Tasklet) { e.log("p%d:%v", i, t.Value()) })), Options{})
			}
		}),
		(*Tasklet).Yield,
		func(t *Tasklet) bool {
			mb := owner.Mailbox()
			mb.Append("a") // the first popper runs next
			mb.AppendLeft("b")
			mb.Append("c")
			mb.AppendLeft("d")
			e.log("len:%d", mb.Len())
			return t.Yield()
		},
		do(func(t *Tasklet) {
			mb := owner.Mailbox()
			x, _ := mb.TryPopLeft()
			y, _ := mb.TryPop()
			e.log("%v%v:%d", x, y, mb.Len())
			owner.Kill()
		}),
	), Options{})
	e.run(0)
	e.wantTrace("len:2", "p0:a", "p1:b", "dc:0")
}

func TestSendToFinishedIsDroppedAndCounted(t *testing.T) {
	e := newEnv(t)
	var c *Tasklet
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) { c = t.Spawn(ret("C", nil), Options{}) }),
		(*Tasklet).Yield,
		do(func(t *Tasklet) {
			t.Send(c, 1)
			t.Send(c, 2)
			e.log("%d:%d", c.Mailbox().Len(), c.Mailbox().Dropped())
		}),
	), Options{})
	e.run(0)
	e.wantTrace("0:2")
}

func TestHelpersAfterReceiverRate(t *testing.T) {
	e := newEnv(t)
	var times []time.Duration
	var rcv, rate *Tasklet
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) {
			t.SpawnAfter(2*time.Second, func() Frame { return steps("later", do(func(*Tasklet) { e.logAt("later") })) }, Options{})
			rcv = t.SpawnReceiver(func(m any) Frame {
				s := steps("handle", do(func(*Tasklet) { e.logAt("got:%v", m) }))
				if m == "bad" {
					s.err = errors.New("bad message")
				}
				return s
			}, Options{})
			rate = t.SpawnRate(4, func(now time.Time) Frame {
				return steps("tick", do(func(*Tasklet) { times = append(times, now.Sub(epoch)) }))
			}, Options{})
		}),
		func(t *Tasklet) bool {
			t.Send(rcv, "x")
			t.Send(rcv, "bad")
			t.Send(rcv, "y")
			return t.Sleep(3 * time.Second)
		},
		func(t *Tasklet) bool { return t.KillWait(rcv) },
		func(t *Tasklet) bool { return t.KillWait(rate) },
		do(func(t *Tasklet) { e.logAt("done:%v:%v", rcv.HasFinished(), rate.HasFinished()) }),
	), Options{})
	e.run(0)
	e.wantTrace("got:x@0s", "got:bad@0s", "got:y@0s", "later@2s", "done:true:true@3s")
	if len(times) != 12 || times[0] != 250*time.Millisecond || times[11] != 3*time.Second {
		t.Fatalf("rate ticks %v", times)
	}
	if got := e.stderr.String(); got != "tskrt: receiver receiver: bad message\n" {
		t.Fatalf("log %q", got)
	}
}

// The rate helper corrects drift: a body that takes time shortens the next waits.
func TestRateCorrectsDrift(t *testing.T) {
	e := newEnv(t)
	var times []time.Duration
	var rate *Tasklet
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) {
			rate = t.SpawnRate(10, func(now time.Time) Frame {
				return steps("tick", do(func(*Tasklet) { times = append(times, now.Sub(epoch)) }),
					func(t *Tasklet) bool { return t.Sleep(20 * time.Millisecond) }, failOnErr)
			}, Options{})
		}),
		func(t *Tasklet) bool { return t.Sleep(10 * time.Second) },
		do(func(t *Tasklet) { rate.Kill() }),
	), Options{})
	e.run(0)
	// Without correction each period would be 120ms (83 runs in 10s); with it, close to 100.
	if n := len(times); n < 95 || n > 101 {
		t.Fatalf("%d runs in 10s: %v", n, times)
	}
	for i := 1; i < len(times); i++ {
		if p := times[i] - times[i-1]; p < 50*time.Millisecond || p > 170*time.Millisecond {
			t.Fatalf("period %v out of the clamp", p)
		}
	}
}

func TestGoOperation(t *testing.T) {
	d := NewDispatcher()
	var got []any
	release := make(chan struct{})
	d.Spawn(steps("Main",
		func(t *Tasklet) bool { return Go(func() (int, error) { return 42, nil }).Start(t, NoTimeout) },
		do(func(t *Tasklet) { got = append(got, t.Err()) }),
		func(t *Tasklet) bool {
			op := Go(func() (string, error) { <-release; return "late", nil })
			return op.Start(t, 0)
		},
		do(func(t *Tasklet) { got = append(got, t.Err()); close(release) }),
		func(t *Tasklet) bool {
			op := Go(func() (int, error) { panic("boom") })
			t.value = op
			return op.Start(t, NoTimeout)
		},
		do(func(t *Tasklet) {
			var pe *PanicError
			got = append(got, t.Err() == nil)
			_ = pe
		}),
	), Options{})
	if code := d.Run(); code != 0 {
		t.Fatalf("Run() = %d", code)
	}
	if got[0] != nil || got[1] != ErrTimeout || got[2] != true {
		t.Fatalf("got %v", got)
	}
}

func TestGoOperationResult(t *testing.T) {
	d := NewDispatcher()
	var v int
	var err error
	op := Go(func() (int, error) { return 7, errors.New("e") })
	d.Spawn(steps("Main",
		func(t *Tasklet) bool { return op.Start(t, NoTimeout) },
		do(func(t *Tasklet) { v, err = op.Result(t) }),
	), Options{})
	d.Run()
	if v != 7 || err == nil || err.Error() != "e" {
		t.Fatalf("Result = %v, %v", v, err)
	}
}

// Many goroutines post into one tasklet's mailbox while it receives; no wake-up may be lost
// (run with -race).
func TestPostFromManyGoroutines(t *testing.T) {
	for _, virtual := range []bool{false, true} {
		var d *Dispatcher
		if virtual {
			d = NewDispatcher(WithClock(NewVirtualClock(epoch)))
		} else {
			d = NewDispatcher()
		}
		const G, K = 16, 500
		n := 0
		sum := 0
		r := d.Spawn(&forever{name: "R",
			op: func(t *Tasklet) bool { return t.Receive(nil, NoTimeout) },
			after: func(t *Tasklet) bool {
				sum += t.Value().(int)
				n++
				return n == G*K
			}}, Options{})
		var wg sync.WaitGroup
		for g := range G {
			release := d.Hold()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer release()
				for k := range K {
					d.Post(r, g*K+k)
					if k%50 == 0 {
						time.Sleep(time.Microsecond)
					}
				}
			}()
		}
		if code := d.Run(); code != 0 {
			t.Fatalf("Run() = %d", code)
		}
		wg.Wait()
		if want := (G*K - 1) * G * K / 2; sum != want || n != G*K {
			t.Fatalf("got %d messages, sum %d, want %d", n, sum, want)
		}
	}
}

// Without a Hold, a tasklet that waits for messages nobody can send is a deadlock; with one, the
// dispatcher waits for the outside poster.
func TestHoldKeepsDispatcherAlive(t *testing.T) {
	e := newEnv(t)
	r := e.d.Spawn(steps("R", func(t *Tasklet) bool { return t.Receive(nil, NoTimeout) },
		do(func(t *Tasklet) { e.log("got:%v", t.Value()) })), Options{})
	d, release := e.d, e.d.Hold()
	go func() {
		time.Sleep(5 * time.Millisecond)
		d.Post(r, "late")
		release()
	}()
	e.run(0)
	e.wantTrace("got:late")

	e2 := newEnv(t)
	e2.d.Spawn(steps("R", func(t *Tasklet) bool { return t.Receive(nil, NoTimeout) }), Options{})
	release2 := e2.d.Hold()
	go func() { time.Sleep(5 * time.Millisecond); release2() }()
	e2.run(2)
}

func TestSigintExits130(t *testing.T) {
	d := NewDispatcher(WithSignals(), WithStderr(os.Stderr))
	// The signal is sent from inside Run, once the handler is installed.
	d.Spawn(steps("Main", do(func(*Tasklet) { syscall.Kill(os.Getpid(), syscall.SIGINT) }),
		func(t *Tasklet) bool { return t.Sleep(time.Hour) }), Options{})
	if code := d.Run(); code != 130 {
		t.Fatalf("Run() = %d, want 130", code)
	}
}

// A tasklet that yields in a loop while another waits for a Go operation must still let the
// dispatcher take the operation's result: yield is not a no-op while outside work is pending.
func TestYieldLoopLetsOutsideResultsIn(t *testing.T) {
	d := NewDispatcher()
	done := false
	d.Spawn(steps("A",
		func(t *Tasklet) bool {
			return Go(func() (int, error) { time.Sleep(time.Millisecond); return 1, nil }).Start(t, NoTimeout)
		},
		do(func(*Tasklet) { done = true })), Options{})
	d.Spawn(&forever{name: "B", op: (*Tasklet).Yield, after: func(*Tasklet) bool { return done }}, Options{})
	if code := d.Run(); code != 0 || !done {
		t.Fatalf("Run() = %d, done = %v", code, done)
	}
}
