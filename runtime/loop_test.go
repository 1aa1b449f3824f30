package runtime

import (
	"testing"
	"time"
)

// A Quit from a Do callback (outside any run) ends Run with its code although the run queue
// never empties and no timer is pending (the loop then looks at posts only every outsideEvery
// rounds); at most one more tasklet runs, as before.
func TestQuitFromDoWhileBusy(t *testing.T) {
	e := newEnv(t)
	runs := 0
	a := e.d.Spawn(&forever{name: "A", op: (*Tasklet).Yield, after: func(*Tasklet) bool { runs++; return false }}, Options{})
	e.d.Spawn(&forever{name: "B", op: (*Tasklet).Yield, after: func(*Tasklet) bool { runs++; return false }}, Options{})
	go func() {
		time.Sleep(time.Millisecond)
		e.d.Do(func() { a.Quit(7) })
	}()
	e.run(7)
	if runs == 0 {
		t.Fatal("no tasklet ran")
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
