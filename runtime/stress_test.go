package runtime

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// chaos is a tasklet that performs random operations (every one bounded by a timeout) and logs
// each outcome, so that a whole run can be compared with another run of the same seed.
type chaos struct {
	w    *world
	id   int
	r    *rand.Rand
	left int
	pc   int
	v    int
	op   string
}

// world is what the chaos tasklets share.
type world struct {
	e     *env
	chans []*Channel[int]
	ts    []*Tasklet
	next  int
}

func (c *chaos) Name() string { return fmt.Sprintf("c%d", c.id) }

func (c *chaos) Resume(t *Tasklet) Status {
	for {
		if c.pc == 1 {
			c.w.e.log("%d:%s:%v:%v:%d", c.id, c.op, t.Err(), t.Case(), c.v)
		}
		c.pc = 1
		if c.left == 0 {
			return t.Return(c.id)
		}
		c.left--
		if c.start(t) {
			continue
		}
		return Suspended
	}
}

// start starts one random operation; it returns what the operation returned.
func (c *chaos) start(t *Tasklet) bool {
	w, r := c.w, c.r
	timeout := time.Duration(r.IntN(4)) * time.Millisecond
	ch := w.chans[r.IntN(len(w.chans))]
	other := w.ts[r.IntN(len(w.ts))]
	c.v = 0
	switch k := r.IntN(11); k {
	case 0:
		c.op = "yield"
		return t.Yield()
	case 1:
		c.op = "sleep"
		return t.Sleep(timeout)
	case 2:
		c.op = "send"
		return ch.Send(t, c.id, timeout)
	case 3:
		c.op = "recv"
		return ch.Recv(t, &c.v, timeout)
	case 4:
		c.op = "msg"
		return t.Send(other, c.id)
	case 5:
		c.op = "receive"
		return t.Receive(nil, timeout)
	case 6:
		c.op = "call"
		return t.Call(other, c.id, timeout)
	case 7:
		c.op = "reply"
		return t.Reply(t.ReplyTo(), c.id)
	case 8:
		c.op = "select"
		return t.Select([]SelectCase{ch.RecvCase(&c.v), w.chans[0].SendCase(c.id), ReceiveCase(nil)}, timeout)
	case 9:
		if w.next < 60 && r.IntN(2) == 0 {
			c.op = "spawn"
			w.next++
			n := &chaos{w: w, id: w.next, r: rand.New(rand.NewPCG(uint64(w.next), 7)), left: 20}
			w.ts = append(w.ts, t.Spawn(n, Options{Mailbox: r.IntN(3)}))
			return true
		}
		c.op = "join"
		return t.Join(other, timeout)
	default:
		if r.IntN(4) == 0 {
			c.op = "kill"
			return t.KillWait(other)
		}
		c.op = "deadline"
		t.PushDeadline(timeout)
		ok := ch.Recv(t, &c.v, NoTimeout)
		t.PopDeadline()
		return ok
	}
}

func runChaos(t *testing.T, seed uint64) (trace string, code int) {
	e := newEnv(t)
	w := &world{e: e}
	for range 3 {
		w.chans = append(w.chans, NewChannel[int]())
	}
	for i := range 8 {
		w.next++
		c := &chaos{w: w, id: i, r: rand.New(rand.NewPCG(seed, uint64(i))), left: 30}
		w.ts = append(w.ts, e.d.Spawn(c, Options{}))
	}
	code = e.d.Run()
	checkInvariants(t, e.d)
	if code == 0 {
		for i, ch := range w.chans {
			if ch.HasSender() || ch.HasReceiver() {
				t.Fatalf("seed %d: channel %d still has waiters after every tasklet ended", seed, i)
			}
		}
		if e.d.timers.len() != 0 || e.d.runq.n != 0 {
			t.Fatalf("seed %d: %d timers, %d runnable left", seed, e.d.timers.len(), e.d.runq.n)
		}
	}
	return strings.Join(e.trace, "\n") + "\n" + e.stderr.String(), code
}

// checkInvariants verifies the dispatcher's structures after a run.
func checkInvariants(t *testing.T, d *Dispatcher) {
	t.Helper()
	if err := d.timers.check(); err != nil {
		t.Fatal(err)
	}
	live := 0
	for _, r := range d.roots.live() {
		for x := range r.Tree() {
			if x.state == stFinished {
				t.Fatalf("finished tasklet %s still in the tree", x.Name())
			}
			live++
		}
	}
	if live != d.live {
		t.Fatalf("live count %d, tree holds %d", d.live, live)
	}
}

// Random programs run to the end without breaking the runtime's structures, and two runs of
// the same program on the virtual clock are identical.
func TestChaosDeterministic(t *testing.T) {
	stats := map[int]int{}
	lines := 0
	defer func() { t.Logf("exit codes %v, %d events", stats, lines) }()
	for seed := range uint64(40) {
		a, codeA := runChaos(t, seed)
		b, codeB := runChaos(t, seed)
		if a != b || codeA != codeB {
			t.Fatalf("seed %d: two runs differ", seed)
		}
		if codeA != 0 && codeA != 2 {
			t.Fatalf("seed %d: exit %d\n%s", seed, codeA, a)
		}
		if strings.Contains(a, "panicked") {
			t.Fatalf("seed %d: a runtime panic:\n%s", seed, a)
		}
		stats[codeA]++
		lines += strings.Count(a, "\n")
	}
}
