package sample

// Benchmarks of generated frames against hand-written frames doing the same
// work (the hand-written ones mirror runtime/bench_test.go), and of the two
// ways a frame can dispatch on its program counter.
//
//	go test -run '^$' -bench . ./codegen/internal/sample

import (
	"iter"
	"syscall"
	"testing"
	"time"

	tskrt "github.com/tskc-lang/tskc/runtime"
)

// cpuTime is the CPU time (user + system) of the process: on a shared,
// loaded machine wall time measures the neighbours, so each benchmark also
// reports cpu-ns/op.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// runCPU runs the dispatcher and reports its CPU time per op.
func runCPU(b *testing.B, d *tskrt.Dispatcher, ops int) {
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	d.Run()
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(ops), "cpu-ns/op")
}

// yielder is the hand-written frame of Yielder.
type yielder struct{ n int }

func (y *yielder) Resume(t *tskrt.Tasklet) tskrt.Status {
	for y.n > 0 {
		y.n--
		if !t.Yield() {
			return tskrt.Suspended
		}
	}
	return t.Return(nil)
}

// BenchmarkYield: 100 tasklets yield in turn; one op is one switch.
func BenchmarkYield(b *testing.B) {
	const T = 100
	run := func(b *testing.B, mk func(n int) tskrt.Frame) {
		d := tskrt.NewDispatcher()
		per := b.N/T + 1
		for range T {
			d.Spawn(mk(per), tskrt.Options{})
		}
		runCPU(b, d, per*T)
	}
	b.Run("generated", func(b *testing.B) { run(b, Yielder) })
	b.Run("handwritten", func(b *testing.B) {
		run(b, func(n int) tskrt.Frame { return &yielder{n: n} })
	})
}

// pinger and ponger are the hand-written frames of Pinger and Ponger.
type pinger struct {
	ping, pong *tskrt.Channel[int]
	n, i, v    int
	pc         int
}

func (p *pinger) Resume(t *tskrt.Tasklet) tskrt.Status {
	for {
		switch p.pc {
		case 0:
			if p.i == p.n {
				return t.Return(nil)
			}
			p.pc = 1
			if !p.ping.Send(t, p.i, tskrt.NoTimeout) {
				return tskrt.Suspended
			}
			fallthrough
		case 1:
			p.pc = 2
			if !p.pong.Recv(t, &p.v, tskrt.NoTimeout) {
				return tskrt.Suspended
			}
			fallthrough
		case 2:
			p.i++
			p.pc = 0
		}
	}
}

type ponger struct {
	ping, pong *tskrt.Channel[int]
	n, i, v    int
	pc         int
}

func (p *ponger) Resume(t *tskrt.Tasklet) tskrt.Status {
	for {
		switch p.pc {
		case 0:
			if p.i == p.n {
				return t.Return(nil)
			}
			p.pc = 1
			if !p.ping.Recv(t, &p.v, tskrt.NoTimeout) {
				return tskrt.Suspended
			}
			fallthrough
		case 1:
			p.pc = 2
			if !p.pong.Send(t, p.v, tskrt.NoTimeout) {
				return tskrt.Suspended
			}
			fallthrough
		case 2:
			p.i++
			p.pc = 0
		}
	}
}

// BenchmarkPingPong: one op is a round trip over two channels.
func BenchmarkPingPong(b *testing.B) {
	run := func(b *testing.B, mkPing, mkPong func(ping, pong *tskrt.Channel[int], n int) tskrt.Frame) {
		d := tskrt.NewDispatcher()
		ping, pong := tskrt.NewChannel[int](), tskrt.NewChannel[int]()
		d.Spawn(mkPong(ping, pong, b.N), tskrt.Options{})
		d.Spawn(mkPing(ping, pong, b.N), tskrt.Options{})
		runCPU(b, d, b.N)
	}
	b.Run("generated", func(b *testing.B) { run(b, Pinger, Ponger) })
	b.Run("handwritten", func(b *testing.B) {
		run(b,
			func(ping, pong *tskrt.Channel[int], n int) tskrt.Frame { return &pinger{ping: ping, pong: pong, n: n} },
			func(ping, pong *tskrt.Channel[int], n int) tskrt.Frame { return &ponger{ping: ping, pong: pong, n: n} })
	})
}

// Two dispatch layouts of one state machine (three resume points in a
// loop): a switch that jumps to labels of straight-line code (what tskc
// emits), and a loop around a switch whose cases are the blocks.
type gotoFrame struct{ pc, n, acc int }

func (f *gotoFrame) Resume(t *tskrt.Tasklet) tskrt.Status {
	switch f.pc {
	case 1:
		goto resume1
	case 2:
		goto resume2
	case 3:
		goto resume3
	}
loop:
	if f.n == 0 {
		return t.Return(nil)
	}
	f.n--
	f.acc++
	f.pc = 1
	if !t.Yield() {
		return tskrt.Suspended
	}
resume1:
	f.acc += 2
	f.pc = 2
	if !t.Yield() {
		return tskrt.Suspended
	}
resume2:
	f.acc += 3
	f.pc = 3
	if !t.Yield() {
		return tskrt.Suspended
	}
resume3:
	goto loop
}

type loopFrame struct{ pc, n, acc int }

func (f *loopFrame) Resume(t *tskrt.Tasklet) tskrt.Status {
	for {
		switch f.pc {
		case 0:
			if f.n == 0 {
				return t.Return(nil)
			}
			f.n--
			f.acc++
			f.pc = 1
			if !t.Yield() {
				return tskrt.Suspended
			}
		case 1:
			f.acc += 2
			f.pc = 2
			if !t.Yield() {
				return tskrt.Suspended
			}
		case 2:
			f.acc += 3
			f.pc = 3
			if !t.Yield() {
				return tskrt.Suspended
			}
		case 3:
			f.pc = 0
		}
	}
}

// BenchmarkDispatch compares the two layouts; one op is one switch.
func BenchmarkDispatch(b *testing.B) {
	const T = 100
	run := func(b *testing.B, mk func(n int) tskrt.Frame) {
		d := tskrt.NewDispatcher()
		per := b.N/(3*T) + 1
		for range T {
			d.Spawn(mk(per), tskrt.Options{})
		}
		runCPU(b, d, 3*per*T)
	}
	b.Run("goto", func(b *testing.B) { run(b, func(n int) tskrt.Frame { return &gotoFrame{n: n} }) })
	b.Run("loop", func(b *testing.B) { run(b, func(n int) tskrt.Frame { return &loopFrame{n: n} }) })
}

// BenchmarkRangeOverFunc: what a range over a function iterator with a
// suspension point costs (iter.Pull: a coroutine per loop, a coroutine
// switch per value) against the same loop over a slice. "value" ops are one
// iteration of one long loop; "loop" ops are a whole loop over one value
// (setting up and stopping the iterator).
func BenchmarkRangeOverFunc(b *testing.B) {
	seq := func(n int) iter.Seq[int] {
		return func(yield func(int) bool) {
			for i := range n {
				if !yield(i) {
					return
				}
			}
		}
	}
	value := func(b *testing.B, f tskrt.Frame) {
		d := tskrt.NewDispatcher()
		d.Spawn(f, tskrt.Options{})
		runCPU(b, d, b.N)
	}
	b.Run("value/slice", func(b *testing.B) { value(b, SumSlice(make([]int, b.N))) })
	b.Run("value/func", func(b *testing.B) { value(b, SumSeq(seq(b.N))) })
	loops := func(b *testing.B, mk func() tskrt.Frame) {
		d := tskrt.NewDispatcher()
		d.Spawn(&repeat{n: b.N, mk: mk}, tskrt.Options{})
		runCPU(b, d, b.N)
	}
	one := []int{1}
	b.Run("loop/slice", func(b *testing.B) { loops(b, func() tskrt.Frame { return SumSlice(one) }) })
	b.Run("loop/func", func(b *testing.B) { loops(b, func() tskrt.Frame { return SumSeq(seq(1)) }) })
}

// repeat calls the frames mk makes n times, one after the other (Enter).
type repeat struct {
	n  int
	mk func() tskrt.Frame
}

func (r *repeat) Resume(t *tskrt.Tasklet) tskrt.Status {
	if r.n == 0 {
		return t.Return(nil)
	}
	r.n--
	t.Enter(r.mk())
	return tskrt.Suspended
}

// BenchmarkAwait: one tasklet awaits operations that complete at once; one
// op is one await. typed: the frame keeps the operation in a field of type
// tskrt.Op[int]; shared: awaits of two types share a field of type any,
// asserted back to tskrt.Op[T] for the result.
func BenchmarkAwait(b *testing.B) {
	b.Run("typed", func(b *testing.B) {
		d := tskrt.NewDispatcher()
		d.Spawn(AwaitOne(b.N), tskrt.Options{})
		runCPU(b, d, b.N)
	})
	b.Run("shared", func(b *testing.B) {
		d := tskrt.NewDispatcher()
		d.Spawn(AwaitTwo((b.N+1)/2), tskrt.Options{})
		runCPU(b, d, b.N)
	})
}

// BenchmarkDefer: a tasklet that defers a method call and yields once,
// spawned and run to its end; one op is one tasklet. The defer is kept in
// frame fields: compare allocs/op with BenchmarkDefer/none.
func BenchmarkDefer(b *testing.B) {
	for _, c := range []struct {
		name string
		mk   func(*closer) tskrt.Frame
	}{{"static", Deferrer}, {"none", NoDeferrer}} {
		b.Run(c.name, func(b *testing.B) {
			d := tskrt.NewDispatcher()
			cl := &closer{}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				d.Spawn(c.mk(cl), tskrt.Options{})
				d.Run()
			}
		})
	}
}
