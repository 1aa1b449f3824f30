package runtime

import (
	"fmt"
	"testing"
	"time"
)

// TestChannelSenderSlots checks the value slots of parked senders, kept in their value
// registers (nil for the channel's own slot): senders that time out, at the head (holding the
// channel's slot) and in the middle, leave the others' values intact and in order, and a
// sender whose value register held a pointer before it sent still hands over its own value.
func TestChannelSenderSlots(t *testing.T) {
	e := newEnv(t)
	ch := NewChannel[string]()
	send := func(v string, timeout time.Duration) Frame {
		return steps("S"+v, func(t *Tasklet) bool { return ch.Send(t, v, timeout) },
			do(func(t *Tasklet) {
				if t.Err() != nil {
					e.logAt("%s:%v", v, t.Err())
				}
			}))
	}
	var got []string
	recv := func(n int) Frame {
		var v string
		s := steps("R")
		for range n {
			s.steps = append(s.steps,
				func(t *Tasklet) bool { return ch.Recv(t, &v, NoTimeout) },
				do(func(t *Tasklet) { got = append(got, v) }))
		}
		return s
	}
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) {
			t.Spawn(send("a", time.Second), Options{}) // the channel's own slot; times out
			t.Spawn(send("b", NoTimeout), Options{})
			t.Spawn(send("c", time.Second), Options{}) // times out in the middle
			t.Spawn(send("d", NoTimeout), Options{})
		}),
		func(t *Tasklet) bool { return t.Sleep(2 * time.Second) },
		func(t *Tasklet) bool { return t.Join(t.Spawn(recv(2), Options{}), NoTimeout) },
		do(func(t *Tasklet) { e.logAt("got:%v", got) }),
		// A sender whose register holds a pointer (a join's result) parks alone: it takes the
		// channel's own slot, a second sender a slot of its own.
		do(func(t *Tasklet) {
			p := t.Spawn(&script{name: "P", ret: &struct{ x int }{7}}, Options{})
			t.Spawn(steps("SP", func(t *Tasklet) bool { return t.Join(p, NoTimeout) },
				func(t *Tasklet) bool { return ch.Send(t, fmt.Sprint(t.Value()), NoTimeout) }), Options{})
			t.Spawn(send("f", NoTimeout), Options{})
		}),
		func(t *Tasklet) bool { return t.Sleep(time.Second) },
		func(t *Tasklet) bool { return t.Join(t.Spawn(recv(2), Options{}), NoTimeout) },
		do(func(t *Tasklet) { e.logAt("got:%v", got[2:]) }),
	), Options{})
	e.run(0)
	e.wantTrace("a:tskrt: timeout@1s", "c:tskrt: timeout@1s", "got:[b d]@2s", "got:[&{7} f]@3s")
}
