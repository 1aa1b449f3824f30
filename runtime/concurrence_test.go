package runtime

// Ports of Concurrence's own core tests (test/testcore.py, testdeque.py, testtimer.py and the
// channel parts of teststackless.py), with the same counts and orderings, on the virtual clock.
// Where Concurrence and the .tsk language differ, the language wins (noted at the test).

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// ret is a frame that returns v at once.
func ret(name string, v any) *script { return &script{name: name, ret: v} }

func TestConcurrenceSleep(t *testing.T) {
	e := newEnv(t)
	e.d.Spawn(steps("Main", func(t *Tasklet) bool { return t.Sleep(time.Second) },
		do(func(*Tasklet) { e.logAt("woke") })), Options{})
	e.run(0)
	e.wantTrace("woke@1s")
}

func TestConcurrenceJoinResult(t *testing.T) {
	e := newEnv(t)
	var ch1, ch2 *Tasklet
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) { ch1 = t.Spawn(ret("child", 1), Options{}); ch2 = t.Spawn(ret("child", 2), Options{}) }),
		func(t *Tasklet) bool { return t.Join(ch1, NoTimeout) },
		do(func(t *Tasklet) { e.log("%v", t.Value()) }),
		func(t *Tasklet) bool { return t.Join(ch2, NoTimeout) },
		do(func(t *Tasklet) { e.log("%v", t.Value()) }),
	), Options{})
	e.run(0)
	e.wantTrace("1", "2")
}

func TestConcurrenceJoinKill(t *testing.T) {
	e := newEnv(t)
	var ch1 *Tasklet
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) {
			ch1 = t.Spawn(steps("child", func(t *Tasklet) bool { return t.Sleep(1000 * time.Second) }, failOnErr), Options{})
			t.SpawnAfter(time.Second, func() Frame { return steps("killer", do(func(*Tasklet) { ch1.Kill() })) }, Options{})
		}),
		func(t *Tasklet) bool { return t.Join(ch1, NoTimeout) },
		do(func(t *Tasklet) {
			var je *JoinError
			e.logAt("%v:%v", errors.As(t.Err(), &je) && je.Tasklet == ch1, errors.Is(t.Err(), ErrKilled))
		}),
	), Options{})
	e.run(0)
	e.wantTrace("true:true@1s")
}

func TestConcurrenceJoinAfterExit(t *testing.T) {
	e := newEnv(t)
	var ch1, ch2 *Tasklet
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) { ch1 = t.Spawn(ret("child", 1), Options{}); ch2 = t.Spawn(ret("child", 2), Options{}) }),
		(*Tasklet).Yield,
		do(func(*Tasklet) { e.log("finished:%v:%v", ch1.HasFinished(), ch2.HasFinished()) }),
		func(t *Tasklet) bool { return t.Join(ch1, NoTimeout) },
		do(func(t *Tasklet) { e.log("%v", t.Value()) }),
		func(t *Tasklet) bool { return t.Join(ch2, NoTimeout) },
		do(func(t *Tasklet) { e.log("%v", t.Value()) }),
	), Options{})
	e.run(0)
	e.wantTrace("finished:true:true", "1", "2")
}

func TestConcurrenceJoinTimeout(t *testing.T) {
	e := newEnv(t)
	var ch *Tasklet
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) {
			ch = t.Spawn(steps("child", func(t *Tasklet) bool { return t.Sleep(10 * time.Second) }), Options{})
		}),
		func(t *Tasklet) bool { return t.Join(ch, time.Second) },
		do(func(t *Tasklet) { e.logAt("%v", errors.Is(t.Err(), ErrTimeout)); ch.Kill() }),
	), Options{})
	e.run(0)
	e.wantTrace("true@1s")
	if e.elapsed() != time.Second {
		t.Fatalf("the killed child's timer still ran: %v", e.elapsed())
	}
}

func TestConcurrenceJoinException(t *testing.T) {
	e := newEnv(t)
	var ch *Tasklet
	sub2 := func() Frame { return &script{name: "sub2", err: errors.New("test_exc")} }
	sub1 := func() Frame {
		return steps("sub1", func(t *Tasklet) bool { return t.Enter(sub2()) },
			func(t *Tasklet) bool { return true })
	}
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) {
			s := steps("child")
			s.steps = []func(*Tasklet) bool{
				func(t *Tasklet) bool { return t.Enter(sub1()) },
				do(func(t *Tasklet) { s.err = t.Err() }),
			}
			// sub1 does not take the error: it fails with it.
			sub1f := sub1().(*script)
			sub1f.steps[1] = func(t *Tasklet) bool { sub1f.err = t.Err(); return true }
			s.steps[0] = func(t *Tasklet) bool { return t.Enter(sub1f) }
			ch = t.Spawn(s, Options{})
		}),
		func(t *Tasklet) bool { return t.Join(ch, NoTimeout) },
		do(func(t *Tasklet) {
			var je *JoinError
			if errors.As(t.Err(), &je) {
				e.log("%v:%v", je.Tasklet == ch, je.Cause)
			}
		}),
	), Options{})
	e.run(0)
	e.wantTrace("true:test_exc")
}

func TestConcurrenceJoinAll(t *testing.T) {
	e := newEnv(t)
	var results []any
	e.d.Spawn(steps("Main",
		func(t *Tasklet) bool {
			subs := []*Tasklet{
				t.Spawn(&script{name: "sub0", err: errors.New("a proper exc")}, Options{}),
				t.Spawn(ret("sub1", 1), Options{}),
				t.Spawn(ret("sub2", 2), Options{}),
				t.Spawn(&script{name: "sub3", err: errors.New("test exc")}, Options{}),
			}
			return t.JoinAll(subs, NoTimeout)
		},
		do(func(t *Tasklet) { results = t.Value().([]any) }),
	), Options{})
	e.run(0)
	je0, ok0 := results[0].(*JoinError)
	je3, ok3 := results[3].(*JoinError)
	if !ok0 || je0.Cause.Error() != "a proper exc" || results[1] != 1 || results[2] != 2 || !ok3 || je3.Cause.Error() != "test exc" {
		t.Fatalf("results %v", results)
	}
}

func TestConcurrenceJoinChildren(t *testing.T) {
	e := newEnv(t)
	e.d.Spawn(steps("Main",
		func(t *Tasklet) bool {
			for range 4 {
				t.Spawn(ret("t", 1), Options{})
			}
			e.log("children:%d", len(t.Children()))
			return t.JoinAll(t.Children(), NoTimeout)
		},
		do(func(t *Tasklet) { e.log("%v", t.Value()) }),
	), Options{})
	e.run(0)
	e.wantTrace("children:4", "[1 1 1 1]")
}

func TestConcurrenceInterval(t *testing.T) {
	for _, c := range []struct {
		now  bool
		want int
	}{{false, 2}, {true, 3}} {
		e := newEnv(t)
		count := 0
		var ival *Tasklet
		e.d.Spawn(steps("Main",
			do(func(t *Tasklet) {
				ival = t.SpawnEvery(time.Second, c.now, func() Frame {
					return steps("ival", do(func(*Tasklet) { count++ }))
				}, Options{})
			}),
			func(t *Tasklet) bool { return t.Join(ival, 3*time.Second) },
			do(func(t *Tasklet) { e.log("%v:%d", errors.Is(t.Err(), ErrTimeout), count); ival.Kill() }),
		), Options{})
		e.run(0)
		e.wantTrace(fmt.Sprintf("true:%d", c.want))
		if ival.Name() != "ival" {
			t.Errorf("name %q", ival.Name())
		}
	}
}

func TestConcurrenceLoop(t *testing.T) {
	e := newEnv(t)
	ch := NewChannel[any]()
	var recvd []any
	var looper *Tasklet
	sendAll := func(n int) []func(*Tasklet) bool {
		var st []func(*Tasklet) bool
		for i := range n {
			st = append(st, func(t *Tasklet) bool { return ch.Send(t, i, NoTimeout) })
		}
		return st
	}
	main := steps("Main", do(func(t *Tasklet) {
		looper = t.SpawnLoop(func() Frame {
			var v any
			return steps("looper",
				func(t *Tasklet) bool { return ch.Recv(t, &v, NoTimeout) },
				func(t *Tasklet) bool {
					if t.Err() != nil {
						t.frame.(*script).err = t.Err()
					} else if v == nil {
						t.frame.(*script).err = errors.New("some exception")
					} else {
						recvd = append(recvd, v)
					}
					return true
				})
		}, Options{})
	}))
	main.steps = append(main.steps, sendAll(10)...)
	main.steps = append(main.steps, do(func(*Tasklet) {
		e.log("%v:%v:%v", len(recvd), ch.HasReceiver(), !looper.HasFinished())
		recvd = nil
	}), func(t *Tasklet) bool { return ch.Send(t, nil, NoTimeout) })
	main.steps = append(main.steps, sendAll(10)...)
	main.steps = append(main.steps, do(func(*Tasklet) {
		e.logAt("%v:%v", len(recvd), ch.HasReceiver())
	}), func(t *Tasklet) bool { return t.KillWait(looper) }, do(func(*Tasklet) {
		e.log("%v:%v", ch.HasReceiver(), looper.HasFinished())
	}))
	e.d.Spawn(main, Options{})
	e.run(0)
	// The failing run is logged and the loop pauses 1 s before the next receive.
	e.wantTrace("10:true:true", "10:true@1s", "false:true")
	if !reflect.DeepEqual(recvd, []any{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Fatalf("recvd %v", recvd)
	}
	if got := e.stderr.String(); got != "tskrt: loop looper: some exception\n" {
		t.Fatalf("log %q", got)
	}
}

func TestConcurrenceYield(t *testing.T) {
	e := newEnv(t)
	child := func(c int) Frame {
		var st []func(*Tasklet) bool
		for i := range 5 {
			st = append(st, do(func(*Tasklet) { e.log("(%d,%d)", c, i) }), (*Tasklet).Yield)
		}
		return steps("child", st...)
	}
	e.d.Spawn(steps("Main", func(t *Tasklet) bool {
		return t.JoinAll([]*Tasklet{t.Spawn(child(1), Options{}), t.Spawn(child(2), Options{})}, NoTimeout)
	}), Options{})
	e.run(0)
	e.wantTrace("(1,0)", "(2,0)", "(1,1)", "(2,1)", "(1,2)", "(2,2)", "(1,3)", "(2,3)", "(1,4)", "(2,4)")
}

type msgPing struct{ n int }
type msgPong struct{ n int }

func TestConcurrenceMessageSend(t *testing.T) {
	e := newEnv(t)
	var child *Tasklet
	i := 0
	main := &forever{name: "Main"}
	main.op = func(t *Tasklet) bool {
		if child == nil {
			parent := t
			child = t.Spawn(&forever{name: "c",
				op: func(t *Tasklet) bool { return t.Receive(nil, NoTimeout) },
				after: func(t *Tasklet) bool {
					if m, ok := t.Value().(msgPing); ok && m.n == 10 {
						t.Send(parent, msgPong{20})
					}
					return t.Err() != nil
				}}, Options{})
			t.Send(child, msgPing{10})
		}
		return t.Receive(nil, NoTimeout)
	}
	main.after = func(t *Tasklet) bool {
		if m, ok := t.Value().(msgPong); ok && m.n == 20 {
			i++
			if i > 5 {
				return true
			}
			t.Send(child, msgPing{10})
		}
		return false
	}
	e.d.Spawn(steps("Test",
		func(t *Tasklet) bool { return t.Enter(main) },
		do(func(*Tasklet) { e.log("i=%d", i) }),
		func(t *Tasklet) bool { return t.Receive(nil, 2*time.Second) },
		do(func(t *Tasklet) { e.logAt("%v", t.Err()); child.Kill() }),
	), Options{})
	e.run(0)
	e.wantTrace("i=6", "tskrt: timeout@2s")
}

type sumMsg []int
type maxMsg []int
type sleepMsg time.Duration

func TestConcurrenceMessageCall(t *testing.T) {
	e := newEnv(t)
	var child *Tasklet
	server := func() Frame {
		var rt ReplyTo
		s := steps("c")
		s.steps = []func(*Tasklet) bool{
			func(t *Tasklet) bool { return t.Receive(nil, NoTimeout) },
			func(t *Tasklet) bool {
				if t.Err() != nil {
					s.err, s.pc = t.Err(), len(s.steps)
					return true
				}
				rt = t.ReplyTo()
				switch m := t.Value().(type) {
				case sumMsg:
					s.pc = 0
					total := 0
					for _, x := range m {
						total += x
					}
					return t.Reply(rt, total)
				case maxMsg:
					s.pc = 0
					return t.Reply(rt, max(m[0], m[1], m[2]))
				case sleepMsg:
					return t.Sleep(time.Duration(m))
				}
				return true
			},
			func(t *Tasklet) bool {
				if t.Err() != nil {
					s.err = t.Err()
					return true
				}
				s.pc = 0
				return t.Reply(rt, true)
			},
		}
		return s
	}
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) { child = t.Spawn(server(), Options{}) }),
		func(t *Tasklet) bool { return t.Call(child, sumMsg{10, 20, 30}, NoTimeout) },
		do(func(t *Tasklet) { e.log("%v", t.Value()) }),
		func(t *Tasklet) bool { return t.Call(child, maxMsg{10, 20, 30}, NoTimeout) },
		do(func(t *Tasklet) { e.log("%v", t.Value()) }),
		func(t *Tasklet) bool { return t.Call(child, sleepMsg(time.Second), NoTimeout) },
		do(func(t *Tasklet) { e.logAt("%v", t.Value()) }),
		func(t *Tasklet) bool { return t.Call(child, sleepMsg(2*time.Second), time.Second) },
		do(func(t *Tasklet) { e.logAt("%v", t.Err()); child.Kill() }),
	), Options{})
	e.run(0)
	e.wantTrace("60", "30", "true@1s", "tskrt: timeout@2s")
}

func TestConcurrenceChannelSendRecv(t *testing.T) {
	e := newEnv(t)
	ch := NewChannel[int]()
	var recvd []int
	var v int
	e.d.Spawn(steps("Main", func(t *Tasklet) bool {
		send := t.Spawn(steps("sender",
			func(t *Tasklet) bool { return ch.Send(t, 0, NoTimeout) },
			func(t *Tasklet) bool { return ch.Send(t, 1, NoTimeout) },
			func(t *Tasklet) bool { return ch.Send(t, 2, NoTimeout) }), Options{})
		recv := t.Spawn(&forever{name: "receiver",
			op: func(t *Tasklet) bool { return ch.Recv(t, &v, NoTimeout) },
			after: func(t *Tasklet) bool {
				if t.Err() != nil {
					return true
				}
				recvd = append(recvd, v)
				return false
			}}, Options{})
		t.value = recv
		return t.Join(send, NoTimeout)
	}, do(func(t *Tasklet) {
		e.log("%v", recvd)
		t.Children()[0].Kill()
	})), Options{})
	e.run(0)
	e.wantTrace("[0 1 2]")
}

func TestConcurrenceChannelRecvTimeout(t *testing.T) {
	for _, c := range []struct {
		after, timeout time.Duration
		want           string
	}{{time.Second, 2 * time.Second, "10:<nil>@1s"}, {2 * time.Second, time.Second, "0:tskrt: timeout@1s"}} {
		e := newEnv(t)
		ch := NewChannel[int]()
		var v int
		var t1 *Tasklet
		e.d.Spawn(steps("Main",
			do(func(t *Tasklet) {
				t1 = t.SpawnAfter(c.after, func() Frame {
					return steps("send", func(t *Tasklet) bool { return ch.Send(t, 10, NoTimeout) })
				}, Options{})
			}),
			func(t *Tasklet) bool { return ch.Recv(t, &v, c.timeout) },
			do(func(t *Tasklet) { e.logAt("%d:%v", v, t.Err()); t1.Kill() }),
		), Options{})
		e.run(0)
		e.wantTrace(c.want)
	}
}

func TestConcurrenceChannelSendTimeout(t *testing.T) {
	for _, c := range []struct {
		after, timeout time.Duration
		want           string
	}{{time.Second, 2 * time.Second, "<nil>@1s"}, {2 * time.Second, time.Second, "tskrt: timeout@1s"}} {
		e := newEnv(t)
		ch := NewChannel[int]()
		var v int
		var tl *Tasklet
		e.d.Spawn(steps("Main",
			do(func(t *Tasklet) {
				tl = t.SpawnAfter(c.after, func() Frame {
					return steps("recv", func(t *Tasklet) bool { return ch.Recv(t, &v, NoTimeout) })
				}, Options{})
			}),
			func(t *Tasklet) bool { return ch.Send(t, 10, c.timeout) },
			do(func(t *Tasklet) { e.logAt("%v", t.Err()); tl.Kill() }),
		), Options{})
		e.run(0)
		e.wantTrace(c.want)
	}
}

func TestConcurrenceChannelHasReceiverHasSender(t *testing.T) {
	e := newEnv(t)
	ch := NewChannel[int]()
	var v int
	var r, s *Tasklet
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) {
			e.log("r:%v", ch.HasReceiver())
			r = t.Spawn(steps("receiver", func(t *Tasklet) bool { return ch.Recv(t, &v, NoTimeout) }), Options{})
		}),
		func(t *Tasklet) bool { return t.Sleep(time.Second) },
		do(func(t *Tasklet) { e.log("r:%v", ch.HasReceiver()); r.Kill() }),
		func(t *Tasklet) bool { return t.Sleep(time.Second) },
		do(func(t *Tasklet) {
			e.log("r:%v:s:%v", ch.HasReceiver(), ch.HasSender())
			s = t.Spawn(steps("sender", func(t *Tasklet) bool { return ch.Send(t, 1, NoTimeout) }), Options{})
		}),
		func(t *Tasklet) bool { return t.Sleep(time.Second) },
		do(func(t *Tasklet) { e.log("s:%v", ch.HasSender()) }),
		func(t *Tasklet) bool { return t.KillWait(s) },
		do(func(t *Tasklet) { e.log("s:%v", ch.HasSender()) }),
	), Options{})
	e.run(0)
	e.wantTrace("r:false", "r:true", "r:false:s:false", "s:true", "s:false")
}

// Stackless's testChannel: ten values through a channel, in order, with the receiver
// preferred (it runs as soon as a value is handed to it).
func TestConcurrenceChannelPreferenceOrdering(t *testing.T) {
	e := newEnv(t)
	c := NewChannel[int]()
	var v int
	recv := &forever{name: "ch1"}
	n := 0
	recv.op = func(t *Tasklet) bool { return c.Recv(t, &v, NoTimeout) }
	recv.after = func(t *Tasklet) bool { e.log("r%d", v); n++; return n == 10 }
	var st []func(*Tasklet) bool
	for i := range 10 {
		st = append(st, func(t *Tasklet) bool { return c.Send(t, i, NoTimeout) }, do(func(*Tasklet) { e.log("s%d", i) }))
	}
	e.d.Spawn(recv, Options{})
	e.d.Spawn(steps("ch2", st...), Options{})
	e.run(0)
	// Each send hands over: the receiver runs first and parks again; the sender resumes.
	want := []string{}
	for i := range 10 {
		want = append(want, fmt.Sprintf("r%d", i), fmt.Sprintf("s%d", i))
	}
	e.wantTrace(want...)
}

// Stackless's testChannelException: a value, then an error, through the channel.
func TestConcurrenceChannelSendError(t *testing.T) {
	e := newEnv(t)
	c := NewChannel[bool]()
	var v bool
	testErr := errors.New("test")
	e.d.Spawn(steps("ch1",
		func(t *Tasklet) bool { return c.Recv(t, &v, NoTimeout) },
		do(func(t *Tasklet) { e.log("%v:%v", v, t.Err()) }),
		func(t *Tasklet) bool { return c.Recv(t, &v, NoTimeout) },
		do(func(t *Tasklet) { e.log("%v", t.Err() == testErr) }),
	), Options{})
	e.d.Spawn(steps("ch2",
		func(t *Tasklet) bool { return c.Send(t, true, NoTimeout) },
		func(t *Tasklet) bool { return c.SendError(testErr).Start(t, NoTimeout) },
	), Options{})
	e.run(0)
	e.wantTrace("true:<nil>", "true")
}

// Stackless's testKillOnChannel: a tasklet killed while it waits on a channel leaves the
// channel's balance at 0.
func TestConcurrenceKillOnChannel(t *testing.T) {
	e := newEnv(t)
	c := NewChannel[int]()
	var v int
	var ch *Tasklet
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) {
			ch = t.Spawn(steps("child",
				do(func(*Tasklet) { e.log("b1:%v", c.HasReceiver()) }),
				func(t *Tasklet) bool { return c.Recv(t, &v, NoTimeout) },
				do(func(t *Tasklet) { e.log("b2:%v:%v", c.HasReceiver(), t.Err()) })), Options{})
		}),
		(*Tasklet).Yield,
		func(t *Tasklet) bool { return t.KillWait(ch) },
		do(func(*Tasklet) { e.log("alive:%v", !ch.HasFinished()) }),
	), Options{})
	e.run(0)
	e.wantTrace("b1:false", "b2:false:tskrt: tasklet killed", "alive:false")
}

func TestConcurrenceDequeNonBlock(t *testing.T) {
	e := newEnv(t)
	e.d.Spawn(steps("Main", do(func(t *Tasklet) {
		d := t.Mailbox()
		d.Append(10)
		d.Append(20)
		a, _ := d.TryPopLeft()
		b, _ := d.TryPopLeft()
		d.Append(10)
		d.Append(20)
		c, _ := d.TryPop()
		x, _ := d.TryPop()
		_, ok := d.TryPop()
		e.log("%v %v %v %v %v", a, b, c, x, ok)
	})), Options{})
	e.run(0)
	e.wantTrace("10 20 20 10 false")
}

func TestConcurrenceDequeBlock(t *testing.T) {
	e := newEnv(t)
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) {
			mb := t.Mailbox()
			t.SpawnAfter(time.Second, func() Frame { return steps("app", do(func(*Tasklet) { mb.Append(20) })) }, Options{})
		}),
		func(t *Tasklet) bool { return t.Mailbox().Pop().Start(t, NoTimeout) },
		do(func(t *Tasklet) { v, err := t.Mailbox().Pop().Result(t); e.logAt("%v:%v", v, err) }),
	), Options{})
	e.run(0)
	e.wantTrace("20:<nil>@1s")
}

func TestConcurrenceDequeBlock2(t *testing.T) {
	e := newEnv(t)
	var mb *Mailbox
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) {
			mb = t.Mailbox()
			t.SpawnAfter(500*time.Millisecond, func() Frame { return steps("a", do(func(*Tasklet) { mb.Append(10) })) }, Options{})
			t.SpawnAfter(time.Second, func() Frame { return steps("b", do(func(*Tasklet) { mb.Append(20) })) }, Options{})
		}),
		func(t *Tasklet) bool { return t.Sleep(1500 * time.Millisecond) },
		func(t *Tasklet) bool { return mb.Pop().Start(t, NoTimeout) },
		do(func(t *Tasklet) { e.logAt("%v", t.Value()) }),
		func(t *Tasklet) bool { return mb.Pop().Start(t, NoTimeout) },
		do(func(t *Tasklet) { e.logAt("%v", t.Value()) }),
	), Options{})
	e.run(0)
	e.wantTrace("20@1.5s", "10@1.5s")
}

func TestConcurrenceDequeBlockTimeout(t *testing.T) {
	e := newEnv(t)
	e.d.Spawn(steps("Main",
		func(t *Tasklet) bool { return t.Mailbox().PopLeft().Start(t, 2*time.Second) },
		do(func(t *Tasklet) { e.logAt("%v", t.Err()) }),
	), Options{})
	e.run(0)
	e.wantTrace("tskrt: timeout@2s")
}

func TestConcurrenceTimeoutPushPop(t *testing.T) {
	e := newEnv(t)
	cur := func(t *Tasklet) string {
		if d, ok := t.DeadlineRemaining(); ok {
			return d.String()
		}
		return "-1"
	}
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) {
			e.log("%s", cur(t))
			t.PushDeadline(30 * time.Second)
			e.log("%s", cur(t))
			t.PopDeadline()
			e.log("%s", cur(t))
			t.PushDeadline(30 * time.Second)
		}),
		func(t *Tasklet) bool { return t.Sleep(time.Second) },
		do(func(t *Tasklet) {
			e.log("%s", cur(t))
			t.PushDeadline(5 * time.Second)
			e.log("%s", cur(t))
			t.PopDeadline()
			e.log("%s", cur(t))
			t.PushDeadline(60 * time.Second) // longer than the enclosing one: keeps it
			e.log("%s", cur(t))
			t.PopDeadline()
			e.log("%s", cur(t))
			t.PopDeadline()
			e.log("%s", cur(t))
			t.PushDeadline(NoTimeout)
			e.log("%s", cur(t))
			t.PopDeadline()
			t.PushDeadline(10 * time.Second)
			t.PushDeadline(5 * time.Second)
			e.log("%s", cur(t))
			t.PopDeadline()
			e.log("%s", cur(t))
			t.PopDeadline()
			e.log("%s", cur(t))
		}),
	), Options{})
	e.run(0)
	e.wantTrace("-1", "30s", "-1", "29s", "5s", "29s", "29s", "29s", "-1", "-1", "5s", "10s", "-1")
}

func TestConcurrenceTimer(t *testing.T) {
	for _, c := range []struct {
		deadline time.Duration
		want     string
	}{{10 * time.Second, "4:<nil>@4s"}, {2500 * time.Millisecond, "2:tskrt: timeout@2.5s"}} {
		e := newEnv(t)
		ch := NewChannel[bool]()
		var v bool
		var sender *Tasklet
		n := 0
		recv := &forever{name: "recv",
			op: func(t *Tasklet) bool { return ch.Recv(t, &v, NoTimeout) },
			after: func(t *Tasklet) bool {
				if t.Err() == nil {
					n++
				}
				return t.Err() != nil || n == 4
			}}
		e.d.Spawn(steps("Main",
			func(t *Tasklet) bool {
				t.PushDeadline(c.deadline)
				var st []func(*Tasklet) bool
				for range 4 {
					st = append(st, func(t *Tasklet) bool { return t.Sleep(time.Second) }, failOnErr,
						func(t *Tasklet) bool { return ch.Send(t, true, NoTimeout) }, failOnErr)
				}
				sender = t.Spawn(steps("sender", st...), Options{Daemon: true})
				return t.Enter(recv)
			},
			do(func(t *Tasklet) {
				e.logAt("%d:%v", n, t.Err())
				t.PopDeadline()
				sender.Kill()
			}),
		), Options{})
		e.run(0)
		e.wantTrace(c.want)
	}
}
