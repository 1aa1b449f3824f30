package runtime

import (
	"testing"
	"time"
)

// A Quit from a Do callback (outside any run) ends Run with its code although the run queue
// never empties and no timer is pending (the loop then looks at posts only every outsideEvery
// rounds); no tasklet runs after the callback.
func TestQuitFromDoWhileBusy(t *testing.T) {
	e := newEnv(t)
	runs, atQuit := 0, -1
	a := e.d.Spawn(&forever{name: "A", op: (*Tasklet).Yield, after: func(*Tasklet) bool { runs++; return false }}, Options{})
	e.d.Spawn(&forever{name: "B", op: (*Tasklet).Yield, after: func(*Tasklet) bool { runs++; return false }}, Options{})
	go func() {
		time.Sleep(time.Millisecond)
		e.d.Do(func() { atQuit = runs; a.Quit(7) })
	}()
	e.run(7)
	if runs == 0 {
		t.Fatal("no tasklet ran")
	}
	if runs != atQuit {
		t.Fatalf("%d runs after the Do callback quit", runs-atQuit)
	}
}

// A frame that quits after it started an operation (here a send that parks, and one that hands
// a value over): Run returns with its code as soon as the frame returns, and no other tasklet
// runs, not even the receiver the value was handed to. The loop's test after a plain suspension
// does not look at the quit: Quit ends the round instead.
func TestQuitAfterOperation(t *testing.T) {
	for _, handOver := range []bool{false, true} {
		e := newEnv(t)
		ch := NewChannel[int]()
		var v int
		if handOver {
			e.d.Spawn(steps("R", func(t *Tasklet) bool { return ch.Recv(t, &v, NoTimeout) },
				do(func(*Tasklet) { e.log("r") })), Options{})
		}
		e.d.Spawn(steps("A", do(func(*Tasklet) { e.log("a") }), func(t *Tasklet) bool {
			if ch.Send(t, 1, NoTimeout) {
				e.log("send-completed")
			}
			t.Quit(5)
			return false
		}, do(func(*Tasklet) { e.log("a-after-quit") })), Options{})
		e.d.Spawn(steps("B", do(func(*Tasklet) { e.log("b") })), Options{})
		e.d.Spawn(&forever{name: "Y", op: (*Tasklet).Yield, after: func(*Tasklet) bool { e.log("y"); return false }}, Options{})
		e.run(5)
		e.wantTrace("a")
	}
}

// Timers still fire after every round while the run queue never empties: a poll (timeout 0)
// gets exactly one round of grace, and a sleep(0) wakes after one round, whatever the rounds'
// lengths.
func TestTimersEveryRoundWhileBusy(t *testing.T) {
	e := newEnv(t)
	ch := NewChannel[int]()
	v := 0
	e.d.Spawn(steps("P",
		do(func(*Tasklet) { e.log("P0") }),
		func(t *Tasklet) bool { return ch.Recv(t, &v, 0) }, // nobody sends: times out at the round's end
		do(func(t *Tasklet) { e.log("P:%v", t.Err()) }),
	), Options{})
	n := 0
	e.d.Spawn(&forever{name: "Y", op: (*Tasklet).Yield, after: func(*Tasklet) bool {
		n++
		e.log("Y%d", n)
		return n == 3
	}}, Options{})
	e.run(0)
	e.wantTrace("P0", "Y1", "P:"+ErrTimeout.Error(), "Y2", "Y3")
}
