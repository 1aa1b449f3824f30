package runtime

import (
	"testing"
	"time"
)

// TestJoinQueuesDropped checks the life of the join queues (Dispatcher.joinqs): only a tasklet
// that something waits for while it runs gets one; joins, join alls, kill waits and a join
// that timed out all use it; it is dropped when the tasklet ends, and its queue is reused.
func TestJoinQueuesDropped(t *testing.T) {
	e := newEnv(t)
	sleeper := func(d time.Duration) *script {
		return steps("S", func(t *Tasklet) bool { return t.Sleep(d) })
	}
	var peak int
	e.d.Spawn(steps("Main",
		func(t *Tasklet) bool {
			done := t.Spawn(steps("Done"), Options{})
			a := t.Spawn(sleeper(time.Second), Options{})
			b := t.Spawn(sleeper(2*time.Second), Options{})
			c := t.Spawn(sleeper(3*time.Second), Options{})
			k := t.Spawn(forEver(), Options{})
			t.Spawn(steps("JA", func(t *Tasklet) bool { return t.Join(a, NoTimeout) }), Options{})
			t.Spawn(steps("JT", func(t *Tasklet) bool { return t.Join(c, time.Second/2) },
				do(func(t *Tasklet) { e.logAt("jt:%v", t.Err()) })), Options{})
			t.Spawn(steps("JAll", func(t *Tasklet) bool { return t.JoinAll([]*Tasklet{done, a, b}, NoTimeout) },
				do(func(t *Tasklet) { e.logAt("jall:%v", t.Value()) })), Options{})
			t.Spawn(steps("KW", func(t *Tasklet) bool { return t.Sleep(time.Second / 4) },
				func(t *Tasklet) bool { return t.KillWait(k) },
				do(func(t *Tasklet) { e.logAt("kw:%v", k.HasFinished()) })), Options{})
			return t.Sleep(time.Second / 8)
		},
		do(func(t *Tasklet) {
			peak = len(t.d.joinqs) // a (JA, JAll) and c (JT); done ended before anyone waited
			e.logAt("queues:%d", peak)
		}),
	), Options{})
	e.run(0)
	e.wantTrace("queues:2@125ms", "kw:true@250ms", "jt:tskrt: timeout@500ms", "jall:[<nil> <nil> <nil>]@2s")
	if n := len(e.d.joinqs); n != 0 {
		t.Fatalf("%d join queues left after every tasklet ended", n)
	}
	if n := len(e.d.freeJoinqs); n == 0 || n > 4 {
		t.Fatalf("%d join queues kept for reuse, want 1 to 4", n)
	}
	for _, q := range e.d.freeJoinqs {
		if !q.empty() {
			t.Fatal("a join queue kept for reuse is not empty")
		}
	}
}

// forEver returns a frame that yields until it is killed.
func forEver() Frame {
	return &forever{name: "K", op: func(t *Tasklet) bool { return t.Sleep(time.Hour) }, after: func(t *Tasklet) bool { return t.Err() != nil }}
}

// TestJoinRunningAllocates bounds what a join of a running tasklet allocates: its queue (once,
// then reused) and the map entry, not a tasklet's extra state.
func TestJoinRunningAllocates(t *testing.T) {
	d := NewDispatcher()
	var target *Tasklet
	join := &script{name: "J"}
	join.steps = []func(*Tasklet) bool{func(t *Tasklet) bool { return t.Join(target, NoTimeout) }}
	allocs := testing.AllocsPerRun(100, func() {
		target = d.Spawn(&forever{name: "T", op: func(t *Tasklet) bool { return t.Yield() }, after: func(*Tasklet) bool { return true }}, Options{Daemon: true})
		join.pc = 0
		d.Spawn(join, Options{Daemon: true})
		d.Run()
	})
	if target.ext != nil {
		t.Fatal("a joined tasklet got extra state")
	}
	// The target's frame is the one allocation (records come many to a slab; the queue and the
	// map entry are reused).
	if allocs > 1 {
		t.Fatalf("%v allocations per spawn and join of a running tasklet", allocs)
	}
}
