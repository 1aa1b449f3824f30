package runtime

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unsafe"
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

// check verifies the shape of the store: the chunks in use cover exactly the positions up to
// head+n, and every slot outside the items is empty.
func (mb *Mailbox) check() error {
	want := (mb.head + mb.n + mailChunkLen - 1) / mailChunkLen
	if mb.n == 0 {
		if mb.head != 0 || mb.nch > 1 {
			return fmt.Errorf("empty store: head %d, %d chunks", mb.head, mb.nch)
		}
		want = mb.nch
	}
	if mb.head >= mailChunkLen || mb.nch != want || mb.nch > len(mb.chunks) {
		return fmt.Errorf("head %d, n %d: %d chunks in use of a ring of %d, want %d", mb.head, mb.n, mb.nch, len(mb.chunks), want)
	}
	var first, last *mailChunk
	if mb.nch > 0 {
		first, last = mb.chunks[mb.c0], mb.chunks[(mb.c0+mb.nch-1)&(len(mb.chunks)-1)]
	}
	if mb.first != first || mb.last != last {
		return fmt.Errorf("first and last chunks %p, %p; want %p, %p", mb.first, mb.last, first, last)
	}
	for k := range mb.chunks {
		rel := (k - mb.c0) & (len(mb.chunks) - 1)
		ch := mb.chunks[k]
		if (ch != nil) != (rel < mb.nch) {
			return fmt.Errorf("ring slot %d (chunk %d of %d in use) is %p", k, rel, mb.nch, ch)
		}
		for i := 0; ch != nil && i < mailChunkLen; i++ {
			p := rel*mailChunkLen + i
			if in := p >= mb.head && p < mb.head+mb.n; !in && ch[i] != nil {
				return fmt.Errorf("position %d (head %d, n %d) holds %v", p, mb.head, mb.n, ch[i])
			}
		}
	}
	return nil
}

// The chunked store against a slice: random appends at both ends, pops at both ends and
// removals from the middle (selective receive), bounded and not, through growth across many
// chunks and back to empty.
func TestMailboxStoreModel(t *testing.T) {
	for _, max := range []int{0, 1, 5, mailChunkLen, 3*mailChunkLen + 7} {
		rng := rand.New(rand.NewPCG(uint64(max), 7))
		mb := &Mailbox{max: max}
		var model []any
		dropped, next := 0, 0
		for step := range 20000 {
			// Phases: mostly growing, then mostly shrinking, so the store spans many chunks.
			grow := (step/2000)%2 == 0
			op := rng.IntN(10)
			switch {
			case op < 4 && grow || op < 2:
				mb.pushBack(next)
				if max > 0 && len(model) >= max {
					model = model[1:]
					dropped++
				}
				model = append(model, next)
				next++
			case op < 5 && grow || op < 3:
				mb.pushFront(next)
				if max > 0 && len(model) >= max {
					model = model[:len(model)-1]
					dropped++
				}
				model = append([]any{next}, model...)
				next++
			case len(model) == 0:
				continue
			case op < 7:
				if got := mb.popFront(); got != model[0] {
					t.Fatalf("max %d, step %d: popFront %v, want %v", max, step, got, model[0])
				}
				model = model[1:]
			case op < 8 && rng.IntN(8) == 0:
				k := 1 + rng.IntN(min(len(model), 3*mailChunkLen))
				got := mb.popN([]any{"x"}, k)
				if len(got) != k+1 || got[0] != "x" {
					t.Fatalf("max %d, step %d: popN(%d) gave %d items", max, step, k, len(got)-1)
				}
				for i, m := range got[1:] {
					if m != model[i] {
						t.Fatalf("max %d, step %d: popN(%d): item %d is %v, want %v", max, step, k, i, m, model[i])
					}
				}
				model = model[k:]
			case op < 8:
				if got := mb.popBack(); got != model[len(model)-1] {
					t.Fatalf("max %d, step %d: popBack %v, want %v", max, step, got, model[len(model)-1])
				}
				model = model[:len(model)-1]
			default:
				i := rng.IntN(len(model))
				if got := mb.removeAt(i); got != model[i] {
					t.Fatalf("max %d, step %d: removeAt(%d) %v, want %v", max, step, i, got, model[i])
				}
				model = append(model[:i:i], model[i+1:]...)
			}
			if err := mb.check(); err != nil {
				t.Fatalf("max %d, step %d: %v", max, step, err)
			}
			if mb.Len() != len(model) || mb.Dropped() != dropped {
				t.Fatalf("max %d, step %d: Len %d, Dropped %d; want %d, %d", max, step, mb.Len(), mb.Dropped(), len(model), dropped)
			}
			if step%97 == 0 {
				for i, m := range model {
					if got := *mb.at(i); got != m {
						t.Fatalf("max %d, step %d: item %d is %v, want %v", max, step, i, got, m)
					}
				}
			}
		}
		for len(model) > 0 {
			if got := mb.popFront(); got != model[0] {
				t.Fatalf("max %d, draining: %v, want %v", max, got, model[0])
			}
			model = model[1:]
		}
		if err := mb.check(); err != nil || len(mb.chunks) > mailRingKeep {
			t.Fatalf("max %d, drained: %v, ring of %d", max, err, len(mb.chunks))
		}
	}
}

// A flood drains chunk by chunk: the store never holds more chunks than its messages need, and
// the ring of chunk pointers is let go once it empties.
func TestMailboxFloodGivesMemoryBack(t *testing.T) {
	mb := &Mailbox{}
	const n = 100 * mailChunkLen
	for i := range n {
		mb.pushBack(i)
	}
	for i := range n {
		if got := mb.popFront(); got != i {
			t.Fatalf("message %d is %v", i, got)
		}
		if need := (mb.n + mailChunkLen - 1) / mailChunkLen; mb.nch > need+1 {
			t.Fatalf("after %d pops, %d chunks hold %d messages", i+1, mb.nch, mb.n)
		}
	}
	if mb.nch != 0 || mb.chunks != nil {
		t.Fatalf("drained: %d chunks, a ring of %d", mb.nch, len(mb.chunks))
	}
}

// A receive batch takes queued messages a chunk at a time, oldest first, across chunks; a call
// among them is taken as its message and its caller fails at once with ErrNoReply. The next
// batch starts where the last one ended.
func TestReceiveBatchTakesQueuedMessages(t *testing.T) {
	e := newEnv(t)
	var r *Tasklet
	var batches [][]any
	e.d.Spawn(steps("Main",
		do(func(t *Tasklet) {
			r = t.Spawn(steps("R",
				func(t *Tasklet) bool { return t.Sleep(time.Second) },
				func(t *Tasklet) bool { return t.ReceiveBatch(2*mailChunkLen+5, 0) },
				do(func(t *Tasklet) { batches = append(batches, t.Value().([]any)) }),
				func(t *Tasklet) bool { return t.ReceiveBatch(1000, 0) },
				do(func(t *Tasklet) { batches = append(batches, t.Value().([]any)) })), Options{})
			for i := range 3 * mailChunkLen {
				t.Send(r, i)
				if i == 3 || i == 2*mailChunkLen+4 || i == 2*mailChunkLen+5 {
					t.Spawn(steps("C",
						func(t *Tasklet) bool { return t.Call(r, "call", NoTimeout) },
						do(func(t *Tasklet) { e.logAt("call:%v", errors.Is(t.Err(), ErrNoReply)) })), Options{})
				}
			}
		}),
	), Options{})
	e.run(0)
	// The callers run after Main: their calls queue behind all 96 messages.
	e.wantTrace("call:true@1s", "call:true@1s", "call:true@1s")
	if len(batches) != 2 || len(batches[0]) != 2*mailChunkLen+5 || len(batches[1]) != mailChunkLen-5+3 {
		t.Fatalf("batches of %d and %d messages", len(batches[0]), len(batches[len(batches)-1]))
	}
	all := append(batches[0], batches[1]...)
	for i, m := range all[:3*mailChunkLen] {
		if m != i {
			t.Fatalf("message %d is %v", i, m)
		}
	}
	for _, m := range all[3*mailChunkLen:] {
		if m != "call" {
			t.Fatalf("a call was taken as %v", m)
		}
	}
	if mb := r.Mailbox(); mb.Len() != 0 || mb.lastBatch != len(batches[1]) {
		t.Fatalf("mailbox left with %d messages; last batch %d", mb.Len(), mb.lastBatch)
	}
}

// A mailbox is 128 bytes (a size class of the allocator): the Pop and PopLeft operations are
// the mailbox itself under other types, and take no room.
func TestMailboxSize(t *testing.T) {
	if s := unsafe.Sizeof(Mailbox{}); s > 128 {
		t.Fatalf("Mailbox is %d bytes, want at most 128", s)
	}
	mb := &Mailbox{}
	if mb.Pop() == mb.PopLeft() || mb.Pop() != mb.Pop() {
		t.Fatal("Pop and PopLeft: two different operations, each the same at every call")
	}
}

// TestPopTakesCall checks that a call taken by a mailbox Pop fails at once with ErrNoReply,
// whichever way the Pop got it: waiting when the call came, or finding it queued (Pop,
// PopLeft, TryPop, TryPopLeft). No receive gave the callee a reply handle, so nothing could
// ever answer it; the caller must not wait until its timeout.
func TestPopTakesCall(t *testing.T) {
	for _, how := range []string{"waiting PopLeft", "queued PopLeft", "queued Pop", "TryPopLeft", "TryPop"} {
		t.Run(how, func(t *testing.T) {
			e := newEnv(t)
			var w *Tasklet
			pop := func(t *Tasklet) bool {
				mb := t.Mailbox()
				switch how {
				case "TryPopLeft":
					m, ok := mb.TryPopLeft()
					e.logAt("got %v %v", m, ok)
					return true
				case "TryPop":
					m, ok := mb.TryPop()
					e.logAt("got %v %v", m, ok)
					return true
				case "queued Pop":
					return mb.Pop().Start(t, NoTimeout)
				}
				return mb.PopLeft().Start(t, NoTimeout)
			}
			// W lives on after the Pop: the call must not wait for W's end to fail.
			stay := func(t *Tasklet) bool { return t.Sleep(time.Hour) }
			show := func(t *Tasklet) {
				if !strings.HasPrefix(how, "Try") {
					e.logAt("got %v %v", t.Value(), t.Err())
				}
			}
			if how == "waiting PopLeft" {
				w = e.d.Spawn(steps("W", pop, do(show), stay), Options{})
			} else {
				w = e.d.Spawn(steps("W",
					func(t *Tasklet) bool { return t.Sleep(time.Second) },
					pop, do(show), stay), Options{})
			}
			e.d.Spawn(steps("Caller",
				func(t *Tasklet) bool { return t.Call(w, "ask", 10*time.Second) },
				do(func(t *Tasklet) {
					e.logAt("call: %v, no reply: %v", t.Err() != nil, errors.Is(t.Err(), ErrNoReply))
				}),
			), Options{})
			e.run(0)
			at := "0s"
			if how != "waiting PopLeft" {
				at = "1s"
			}
			e.wantTrace("got ask "+map[bool]string{true: "true", false: "<nil>"}[strings.HasPrefix(how, "Try")]+"@"+at,
				"call: true, no reply: true@"+at)
		})
	}
}
