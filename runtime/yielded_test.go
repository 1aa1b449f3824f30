package runtime

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// A frame may yield in two ways: by calling Tasklet.Yield (hand-written frames) or by returning
// Yielded (generated code). The tests below run each scenario both ways and want the same trace.

// ysteps is a frame of steps like script, where a step may also end the resume with a status of
// its own (Yielded): a step returns (st, false) to return st from Resume, (_, true) to go on.
type ysteps struct {
	name  string
	steps []func(t *Tasklet) (Status, bool)
	pc    int
}

func (s *ysteps) Name() string { return s.name }

func (s *ysteps) Resume(t *Tasklet) Status {
	for s.pc < len(s.steps) {
		st := s.steps[s.pc]
		s.pc++
		if status, goOn := st(t); !goOn {
			return status
		}
	}
	if err := t.Err(); err != nil {
		return t.Fail(err)
	}
	return t.Return(nil)
}

// yop is a step that starts an operation, as a step of script does.
func yop(op func(t *Tasklet) bool) func(t *Tasklet) (Status, bool) {
	return func(t *Tasklet) (Status, bool) { return Suspended, op(t) }
}

// ydo is a step that runs fn and starts no operation.
func ydo(fn func(t *Tasklet)) func(t *Tasklet) (Status, bool) {
	return func(t *Tasklet) (Status, bool) { fn(t); return Suspended, true }
}

// yieldStep is the step `yield`: a call of Tasklet.Yield, or returning Yielded.
func yieldStep(byStatus bool) func(t *Tasklet) (Status, bool) {
	if byStatus {
		return func(*Tasklet) (Status, bool) { return Yielded, false }
	}
	return yop((*Tasklet).Yield)
}

// failIfErr is a step that ends the frame with the error of the operation before it, as
// generated code does with an error it does not take.
func yfailIfErr(t *Tasklet) (Status, bool) {
	if err := t.Err(); err != nil {
		return t.Fail(err), false
	}
	return Suspended, true
}

// bothWays runs the scenario with frames that yield by calling Yield and by returning Yielded.
func bothWays(t *testing.T, scenario func(t *testing.T, byStatus bool)) {
	for _, byStatus := range []bool{false, true} {
		t.Run(fmt.Sprintf("Yielded=%v", byStatus), func(t *testing.T) { scenario(t, byStatus) })
	}
}

func TestYieldedInterleavesStrictly(t *testing.T) {
	bothWays(t, func(t *testing.T, byStatus bool) {
		e := newEnv(t)
		worker := func(name string, byStatus bool) *ysteps {
			var st []func(*Tasklet) (Status, bool)
			for i := range 3 {
				st = append(st, ydo(func(*Tasklet) { e.log("%s%d", name, i) }), yieldStep(byStatus), yfailIfErr)
			}
			return &ysteps{name: name, steps: st}
		}
		// A third tasklet yields the other way: both kinds of yield share one queue.
		e.d.Spawn(worker("A", byStatus), Options{})
		e.d.Spawn(worker("B", byStatus), Options{})
		e.d.Spawn(worker("C", !byStatus), Options{})
		e.run(0)
		e.wantTrace("A0", "B0", "C0", "A1", "B1", "C1", "A2", "B2", "C2")
	})
}

// A tasklet alone goes on after its yield (Yield returns true; Yielded is queued and run again).
func TestYieldedAlone(t *testing.T) {
	bothWays(t, func(t *testing.T, byStatus bool) {
		e := newEnv(t)
		var st []func(*Tasklet) (Status, bool)
		for i := range 3 {
			st = append(st, ydo(func(*Tasklet) { e.log("A%d", i) }), yieldStep(byStatus), yfailIfErr)
		}
		e.d.Spawn(&ysteps{name: "A", steps: st}, Options{})
		e.run(0)
		e.wantTrace("A0", "A1", "A2")
	})
}

// A tasklet killed while runnable gets ErrKilled from its next yield, and goes on at once with
// it (here: takes it, logs it and yields again).
func TestYieldedKilledWhileRunnable(t *testing.T) {
	bothWays(t, func(t *testing.T, byStatus bool) {
		e := newEnv(t)
		a := e.d.Spawn(&ysteps{name: "A", steps: []func(*Tasklet) (Status, bool){
			ydo(func(*Tasklet) { e.log("a0") }),
			yieldStep(byStatus), // B runs and kills A, which is runnable
			ydo(func(t *Tasklet) { e.log("a1:%v", t.Err()) }),
			yieldStep(byStatus), // fails at once with ErrKilled
			ydo(func(t *Tasklet) { e.log("a2:%v", t.Err()) }),
			yieldStep(byStatus), // an ordinary yield again: B runs
			ydo(func(t *Tasklet) { e.log("a3:%v", t.Err()) }),
		}}, Options{})
		e.d.Spawn(&ysteps{name: "B", steps: []func(*Tasklet) (Status, bool){
			ydo(func(*Tasklet) { a.Kill(); e.log("b-killed") }),
			yieldStep(byStatus),
			ydo(func(*Tasklet) { e.log("b1") }),
		}}, Options{})
		e.run(0)
		e.wantTrace("a0", "b-killed", "a1:<nil>", "a2:"+ErrKilled.Error(), "b1", "a3:<nil>")
	})
}

// `kill a` waits for a to unwind: a runnable a fails at its next yield, and the killer runs
// right after a's run ends.
func TestYieldedKillWaitUnwinds(t *testing.T) {
	bothWays(t, func(t *testing.T, byStatus bool) {
		e := newEnv(t)
		var st []func(*Tasklet) (Status, bool)
		for i := range 4 {
			st = append(st, ydo(func(*Tasklet) { e.log("a%d", i) }), yieldStep(byStatus), yfailIfErr)
		}
		a := e.d.Spawn(&ysteps{name: "A", steps: st}, Options{})
		e.d.Spawn(&ysteps{name: "B", steps: []func(*Tasklet) (Status, bool){
			yop(func(t *Tasklet) bool { return t.KillWait(a) }),
			ydo(func(t *Tasklet) {
				_, err := a.Result()
				e.log("b:%v,%v", t.Err(), errors.Is(err, ErrKilled))
			}),
		}}, Options{})
		e.d.Spawn(&ysteps{name: "C", steps: []func(*Tasklet) (Status, bool){
			ydo(func(*Tasklet) { e.log("c0") }),
			yieldStep(byStatus),
			ydo(func(*Tasklet) { e.log("c1") }),
		}}, Options{})
		e.run(0)
		// A yields, B kills it (runnable) and waits; C runs; A's next yield fails and A ends
		// (the yield it made before B's kill completed normally); B runs next.
		e.wantTrace("a0", "c0", "a1", "b:<nil>,true", "c1")
	})
}

// A yield clears the error register: an error the frame took before does not come back.
func TestYieldedClearsErr(t *testing.T) {
	bothWays(t, func(t *testing.T, byStatus bool) {
		e := newEnv(t)
		ch := NewChannel[int]()
		var v int
		e.d.Spawn(&ysteps{name: "A", steps: []func(*Tasklet) (Status, bool){
			yop(func(t *Tasklet) bool { return ch.Recv(t, &v, 0) }), // times out
			ydo(func(t *Tasklet) { e.log("recv:%v", t.Err()) }),
			yieldStep(byStatus),
			ydo(func(t *Tasklet) { e.log("yield:%v", t.Err()) }),
		}}, Options{})
		e.d.Spawn(&ysteps{name: "B", steps: []func(*Tasklet) (Status, bool){
			yieldStep(byStatus), yieldStep(byStatus), yieldStep(byStatus),
		}}, Options{})
		e.run(0)
		e.wantTrace("recv:"+ErrTimeout.Error(), "yield:<nil>")
	})
}

// A yield clears the flag that the last operation ended by the deadline.
func TestYieldedClearsDeadlineExpired(t *testing.T) {
	bothWays(t, func(t *testing.T, byStatus bool) {
		e := newEnv(t)
		e.d.Spawn(&ysteps{name: "A", steps: []func(*Tasklet) (Status, bool){
			ydo(func(t *Tasklet) { t.PushDeadline(time.Millisecond) }),
			yop(func(t *Tasklet) bool { return t.Sleep(time.Second) }),
			ydo(func(t *Tasklet) { e.log("sleep:%v,%v", t.Err(), t.DeadlineExpired()); t.PopDeadline() }),
			yieldStep(byStatus),
			ydo(func(t *Tasklet) { e.log("yield:%v,%v", t.Err(), t.DeadlineExpired()) }),
		}}, Options{})
		e.run(0)
		e.wantTrace("sleep:"+ErrTimeout.Error()+",true", "yield:<nil>,false")
	})
}

// A sub-frame (Enter) yields like the outermost frame; its caller goes on with its result.
func TestYieldedInSubFrame(t *testing.T) {
	bothWays(t, func(t *testing.T, byStatus bool) {
		e := newEnv(t)
		sub := func() *ysteps {
			return &ysteps{name: "sub", steps: []func(*Tasklet) (Status, bool){
				ydo(func(*Tasklet) { e.log("s0") }),
				yieldStep(byStatus),
				yfailIfErr,
				ydo(func(*Tasklet) { e.log("s1") }),
				yieldStep(byStatus),
				yfailIfErr,
			}}
		}
		e.d.Spawn(&ysteps{name: "A", steps: []func(*Tasklet) (Status, bool){
			func(t *Tasklet) (Status, bool) { return Suspended, t.Enter(sub()) },
			ydo(func(t *Tasklet) { e.log("a:%v", t.Err()) }),
		}}, Options{})
		e.d.Spawn(&ysteps{name: "B", steps: []func(*Tasklet) (Status, bool){
			ydo(func(*Tasklet) { e.log("b0") }),
			yieldStep(byStatus),
			ydo(func(*Tasklet) { e.log("b1") }),
			yieldStep(byStatus),
			ydo(func(*Tasklet) { e.log("b2") }),
		}}, Options{})
		e.run(0)
		e.wantTrace("s0", "b0", "s1", "b1", "a:<nil>", "b2")
	})
}

// A timer that falls due while tasklets yield fires at the end of the round, as with Yield:
// its tasklet is readied behind the ones that yielded in that round.
func TestYieldedTimersFireBetweenRounds(t *testing.T) {
	bothWays(t, func(t *testing.T, byStatus bool) {
		e := newEnv(t)
		e.d.Spawn(&ysteps{name: "S", steps: []func(*Tasklet) (Status, bool){
			yop(func(t *Tasklet) bool { return t.Sleep(0) }),
			ydo(func(*Tasklet) { e.log("s") }),
		}}, Options{})
		for _, name := range []string{"A", "B"} {
			var st []func(*Tasklet) (Status, bool)
			for i := range 3 {
				st = append(st, ydo(func(*Tasklet) { e.log("%s%d", name, i) }), yieldStep(byStatus))
			}
			e.d.Spawn(&ysteps{name: name, steps: st}, Options{})
		}
		e.run(0)
		e.wantTrace("A0", "B0", "A1", "B1", "s", "A2", "B2") // S is readied behind A and B
	})
}

// Quit from a run that follows yields ends the program at once.
func TestYieldedThenQuit(t *testing.T) {
	bothWays(t, func(t *testing.T, byStatus bool) {
		e := newEnv(t)
		e.d.Spawn(&ysteps{name: "A", steps: []func(*Tasklet) (Status, bool){
			yieldStep(byStatus),
			ydo(func(*Tasklet) { e.log("a") }),
			func(t *Tasklet) (Status, bool) { return t.Quit(3), false },
		}}, Options{})
		e.d.Spawn(&ysteps{name: "B", steps: []func(*Tasklet) (Status, bool){
			yieldStep(byStatus),
			ydo(func(*Tasklet) { e.log("b") }),
			yieldStep(byStatus),
			ydo(func(*Tasklet) { e.log("b-after-quit") }),
		}}, Options{})
		e.run(3)
		e.wantTrace("a")
	})
}
