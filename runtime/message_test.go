package runtime

import (
	"errors"
	"testing"
	"time"
)

type ping struct{ n int }
type add struct{ a, b int }

func matchPingAdd(m any) int {
	switch m.(type) {
	case ping:
		return 0
	case add:
		return 1
	}
	return -1
}

func matchAdd(m any) int {
	if _, ok := m.(add); ok {
		return 0
	}
	return -1
}

// A send to a tasklet blocked in a matching receive hands over: it runs next, the sender goes
// to the back of the run queue.
func TestSendHandsOverToWaitingReceiver(t *testing.T) {
	e := newEnv(t)
	var r *Tasklet
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) {
			r = t.Spawn(steps("R",
				func(t *Tasklet) bool { return t.Receive(nil, NoTimeout) },
				do(func(t *Tasklet) { e.log("r:%v", t.Value()) })), Options{})
		}),
		(*Tasklet).Yield,
		do(func(t *Tasklet) { t.Spawn(steps("X", do(func(*Tasklet) { e.log("x") })), Options{}) }),
		func(t *Tasklet) bool { return t.Send(r, "m1") },
		do(func(*Tasklet) { e.log("main") }),
	), Options{})
	e.run(0)
	e.wantTrace("r:m1", "x", "main")
}

// Messages that do not match stay in the mailbox, in order; a send that does not match a
// waiting receive does not switch.
func TestSelectiveReceive(t *testing.T) {
	e := newEnv(t)
	var r *Tasklet
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) {
			r = t.Spawn(steps("R",
				func(t *Tasklet) bool { return t.Receive(matchAdd, NoTimeout) },
				do(func(t *Tasklet) { e.log("r:add:%v:%d", t.Value(), t.Case()) }),
				func(t *Tasklet) bool { return t.Receive(matchPingAdd, NoTimeout) },
				do(func(t *Tasklet) { e.log("r:%v:%d", t.Value(), t.Case()) }),
				func(t *Tasklet) bool { return t.Receive(matchPingAdd, NoTimeout) },
				do(func(t *Tasklet) { e.log("r:%v:%d", t.Value(), t.Case()) }),
				func(t *Tasklet) bool { return t.Receive(matchPingAdd, time.Second) },
				do(func(t *Tasklet) { e.logAt("r:%v:%d:%d", t.Err(), t.Case(), t.Mailbox().Len()) }),
			), Options{})
		}),
		(*Tasklet).Yield,
		func(t *Tasklet) bool { return t.Send(r, ping{1}) },
		do(func(*Tasklet) { e.log("main:1") }),
		func(t *Tasklet) bool { return t.Send(r, "junk") },
		func(t *Tasklet) bool { return t.Send(r, ping{2}) },
		do(func(*Tasklet) { e.log("main:2") }),
		func(t *Tasklet) bool { return t.Send(r, add{1, 2}) },
		do(func(*Tasklet) { e.log("main:3") }),
	), Options{})
	e.run(0)
	e.wantTrace("main:1", "main:2", "r:add:{1 2}:0", "r:{1}:0", "r:{2}:0", "main:3", "r:tskrt: timeout:-1:1@1s")
}

func TestCallReply(t *testing.T) {
	e := newEnv(t)
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) {
			srv := t.Spawn(&forever{name: "Server",
				op: func(t *Tasklet) bool { return t.Receive(matchPingAdd, NoTimeout) },
				after: func(t *Tasklet) bool {
					if t.Err() != nil {
						return true
					}
					switch m := t.Value().(type) {
					case add:
						e.log("srv:add")
						t.Reply(t.ReplyTo(), m.a+m.b)
					case ping:
						e.log("srv:ping:%v", t.ReplyTo().IsZero())
					}
					return false
				}}, Options{})
			t.value = srv
		}),
		func(t *Tasklet) bool {
			srv := t.Value().(*Tasklet)
			t.Send(srv, ping{1})
			return t.Call(srv, add{2, 3}, time.Second)
		},
		do(func(t *Tasklet) { e.logAt("main:%v:%v", t.Value(), t.Err()) }),
	), Options{})
	e.run(2) // the server waits forever afterwards: deadlock
	e.wantTrace("srv:ping:true", "srv:add", "main:5:<nil>@0s")
}

func TestCallFailures(t *testing.T) {
	e := newEnv(t)
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) {
			// A callee that receives the call, sleeps and finishes without replying.
			t.value = t.Spawn(steps("Mute",
				func(t *Tasklet) bool { return t.Receive(nil, NoTimeout) },
				func(t *Tasklet) bool { return t.Sleep(time.Second) }), Options{})
		}),
		func(t *Tasklet) bool { return t.Call(t.Value().(*Tasklet), "q", NoTimeout) },
		do(func(t *Tasklet) { e.logAt("noreply:%v", errors.Is(t.Err(), ErrNoReply)) }),
		func(t *Tasklet) bool {
			// Now it is finished: a call fails at once, a send is dropped and counted.
			mute := t.Children()
			if len(mute) != 0 {
				e.log("children %v", mute)
			}
			return true
		},
	), Options{})
	e.run(0)
	e.wantTrace("noreply:true@1s")

	e = newEnv(t)
	var mute *Tasklet
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) { mute = t.Spawn(&script{name: "Done"}, Options{}) }),
		(*Tasklet).Yield,
		func(t *Tasklet) bool {
			ok := t.Call(mute, "q", NoTimeout)
			e.log("call:%v:%v", ok, errors.Is(t.Err(), ErrNoReply))
			t.Send(mute, "x")
			e.log("dropped:%d", mute.Mailbox().Dropped())
			return ok
		},
		func(t *Tasklet) bool {
			// A callee that never answers: the caller times out, a late reply is dropped.
			mute = t.Spawn(steps("Slow",
				func(t *Tasklet) bool { return t.Receive(nil, NoTimeout) },
				do(func(t *Tasklet) { t.value = t.ReplyTo() }),
				func(t *Tasklet) bool { return t.Sleep(2 * time.Second) },
				func(t *Tasklet) bool { return t.Reply(t.value.(ReplyTo), "late") }), Options{})
			return t.Call(mute, "q", time.Second)
		},
		do(func(t *Tasklet) { e.logAt("slow:%v", t.Err()) }),
		func(t *Tasklet) bool { return t.Sleep(5 * time.Second) },
	), Options{})
	e.run(0)
	e.wantTrace("call:true:true", "dropped:2", "slow:tskrt: timeout@1s")
}

func TestBoundedMailboxDropsOldest(t *testing.T) {
	e := newEnv(t)
	var r *Tasklet
	var got []any
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) {
			r = t.Spawn(steps("R",
				func(t *Tasklet) bool { return t.Sleep(time.Second) },
				func(t *Tasklet) bool { return t.ReceiveBatch(10, 0) },
				do(func(t *Tasklet) { got = t.Value().([]any) })), Options{Mailbox: 3})
			for i := range 5 {
				t.Send(r, i)
			}
			e.log("len:%d:dropped:%d", r.Mailbox().Len(), r.Mailbox().Dropped())
		}),
	), Options{})
	e.run(0)
	e.wantTrace("len:3:dropped:2")
	if len(got) != 3 || got[0] != 2 || got[2] != 4 {
		t.Fatalf("batch %v", got)
	}
}
