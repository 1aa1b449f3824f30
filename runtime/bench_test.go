package runtime

// Benchmarks of the runtime with hand-written frames, each beside its goroutine equivalent in
// the same run. The goroutine sub-benchmark reports "x" = goroutine cost / tasklet cost.
//
//	go test -run '^$' -bench . -benchmem ./runtime

import (
	"math/rand/v2"
	goruntime "runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ratios remembers the last tasklet figure of each benchmark, for the goroutine side's ratio.
var ratios = map[string]float64{}

// The figures are CPU time of the whole process (user + system, all threads) per operation,
// not wall time: on a shared, loaded machine wall time measures the neighbours. For the
// goroutine side it includes the Go scheduler's and the GC's work on every thread, which is
// the real cost of goroutines.
var cpuStart time.Duration

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// startCPU collects the garbage, then resets the benchmark timer and starts the CPU clock.
// The collection makes each figure independent of the benchmarks run before it: the heap they
// left behind (garbage, and the collector's pacing) would otherwise be paid for here.
func startCPU(b *testing.B) {
	goruntime.GC()
	b.ResetTimer()
	cpuStart = cpuTime()
}

// perOp stops the timers and returns the CPU nanoseconds per op over n ops.
func perOp(b *testing.B, n int) float64 {
	c := cpuTime() - cpuStart
	b.StopTimer()
	return float64(c.Nanoseconds()) / float64(n)
}

func reportRatio(b *testing.B, name string, goroutineCost float64) {
	if t := ratios[name]; t > 0 {
		b.ReportMetric(goroutineCost/t, "x")
	}
}

// yielder yields n times.
type yielder struct{ n int }

func (y *yielder) Resume(t *Tasklet) Status {
	for y.n > 0 {
		y.n--
		if !t.Yield() {
			return Suspended
		}
	}
	return t.Return(nil)
}

// statusYielder yields n times by returning Yielded, as generated code does.
type statusYielder struct{ n int }

func (y *statusYielder) Resume(t *Tasklet) Status {
	if y.n > 0 {
		y.n--
		return Yielded
	}
	return t.Return(nil)
}

// BenchmarkSwitch: 1000 tasklets (goroutines) yield in turn; one op is one switch. The tasklet
// side yields by calling Tasklet.Yield; "tasklet-yielded" by returning Yielded (generated code).
func BenchmarkSwitch(b *testing.B) {
	const T = 1000
	b.Run("tasklet", func(b *testing.B) {
		d := NewDispatcher()
		per := b.N/T + 1
		for range T {
			d.Spawn(&yielder{n: per}, Options{})
		}
		b.ReportAllocs()
		startCPU(b)
		d.Run()
		ratios["switch"] = perOp(b, per*T)
		b.ReportMetric(ratios["switch"], "cpu-ns/switch")
	})
	b.Run("tasklet-yielded", func(b *testing.B) {
		d := NewDispatcher()
		per := b.N/T + 1
		for range T {
			d.Spawn(&statusYielder{n: per}, Options{})
		}
		b.ReportAllocs()
		startCPU(b)
		d.Run()
		b.ReportMetric(perOp(b, per*T), "cpu-ns/switch")
	})
	b.Run("goroutine", func(b *testing.B) {
		per := b.N/T + 1
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range T {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for range per {
					goruntime.Gosched()
				}
			}()
		}
		b.ReportAllocs()
		startCPU(b)
		close(start)
		wg.Wait()
		c := perOp(b, per*T)
		b.ReportMetric(c, "cpu-ns/switch")
		reportRatio(b, "switch", c)
	})
}

// pinger sends on ping and waits for the answer on pong, n times.
type pinger struct {
	ping, pong *Channel[int]
	n, v, pc   int
}

func (p *pinger) Resume(t *Tasklet) Status {
	for {
		switch p.pc {
		case 0:
			if p.n == 0 {
				return t.Return(nil)
			}
			p.n--
			p.pc = 1
			if !p.ping.Send(t, p.n, NoTimeout) {
				return Suspended
			}
			fallthrough
		case 1:
			p.pc = 2
			if !p.pong.Recv(t, &p.v, NoTimeout) {
				return Suspended
			}
			fallthrough
		case 2:
			p.pc = 0
		}
	}
}

// ponger answers each value received on ping on pong, n times.
type ponger struct {
	ping, pong *Channel[int]
	n, v, pc   int
}

func (p *ponger) Resume(t *Tasklet) Status {
	for {
		switch p.pc {
		case 0:
			if p.n == 0 {
				return t.Return(nil)
			}
			p.n--
			p.pc = 1
			if !p.ping.Recv(t, &p.v, NoTimeout) {
				return Suspended
			}
			fallthrough
		case 1:
			p.pc = 2
			if !p.pong.Send(t, p.v, NoTimeout) {
				return Suspended
			}
			fallthrough
		case 2:
			p.pc = 0
		}
	}
}

// BenchmarkPingPong: one op is a round trip over two rendezvous channels.
func BenchmarkPingPong(b *testing.B) {
	b.Run("tasklet", func(b *testing.B) {
		d := NewDispatcher()
		ping, pong := NewChannel[int](), NewChannel[int]()
		d.Spawn(&ponger{ping: ping, pong: pong, n: b.N}, Options{})
		d.Spawn(&pinger{ping: ping, pong: pong, n: b.N}, Options{})
		b.ReportAllocs()
		startCPU(b)
		d.Run()
		ratios["pingpong"] = perOp(b, b.N)
		b.ReportMetric(ratios["pingpong"], "cpu-ns/roundtrip")
	})
	b.Run("goroutine", func(b *testing.B) {
		ping, pong := make(chan int), make(chan int)
		go func() {
			for v := range ping {
				pong <- v
			}
		}()
		b.ReportAllocs()
		startCPU(b)
		for i := range b.N {
			ping <- i
			<-pong
		}
		c := perOp(b, b.N)
		close(ping)
		b.ReportMetric(c, "cpu-ns/roundtrip")
		reportRatio(b, "pingpong", c)
	})
}

// doneFrame returns at once; zero-sized, so it costs no allocation of its own.
type doneFrame struct{}

func (doneFrame) Resume(t *Tasklet) Status { return t.Return(nil) }

// spawner spawns batches of children that end at once, yielding after each batch so they run.
type spawner struct{ n int }

func (s *spawner) Resume(t *Tasklet) Status {
	for s.n > 0 {
		k := min(s.n, 100)
		s.n -= k
		for range k {
			t.Spawn(doneFrame{}, Options{})
		}
		if !t.Yield() {
			return Suspended
		}
	}
	return t.Return(nil)
}

// BenchmarkSpawnFinish: one op is starting a tasklet (goroutine) that ends at once, and its end.
func BenchmarkSpawnFinish(b *testing.B) {
	b.Run("tasklet", func(b *testing.B) {
		d := NewDispatcher()
		d.Spawn(&spawner{n: b.N}, Options{})
		b.ReportAllocs()
		startCPU(b)
		d.Run()
		ratios["spawn"] = perOp(b, b.N)
		b.ReportMetric(ratios["spawn"], "cpu-ns/spawn")
	})
	b.Run("goroutine", func(b *testing.B) {
		var wg sync.WaitGroup
		b.ReportAllocs()
		startCPU(b)
		for n := b.N; n > 0; {
			k := min(n, 100)
			n -= k
			wg.Add(k)
			for range k {
				go wg.Done()
			}
			wg.Wait()
		}
		c := perOp(b, b.N)
		b.ReportMetric(c, "cpu-ns/spawn")
		reportRatio(b, "spawn", c)
	})
}

var benchMsg any = &struct{ x int }{1}

// producer sends n messages to its target.
type producer struct {
	to *Tasklet
	n  int
}

func (p *producer) Resume(t *Tasklet) Status {
	for p.n > 0 {
		p.n--
		if !t.Send(p.to, benchMsg) {
			return Suspended
		}
	}
	return t.Return(nil)
}

// consumer receives n messages (those match accepts, if match is set).
type consumer struct {
	n       int
	started bool
	match   func(any) int
}

// staleMsg is a message skipStale leaves in the mailbox.
var staleMsg any = new(int)

func skipStale(m any) int {
	if m == staleMsg {
		return -1
	}
	return 0
}

func (c *consumer) Resume(t *Tasklet) Status {
	for {
		if c.started {
			c.n--
		}
		if c.n == 0 {
			return t.Return(nil)
		}
		c.started = true
		if !t.Receive(c.match, NoTimeout) {
			return Suspended
		}
	}
}

// BenchmarkMailbox: one op is a message sent to a tasklet blocked in receive (a hand-over) and
// received; the goroutine side is a buffered chan any.
func BenchmarkMailbox(b *testing.B) {
	b.Run("tasklet", func(b *testing.B) {
		d := NewDispatcher()
		c := d.Spawn(&consumer{n: b.N}, Options{})
		d.Spawn(&producer{to: c, n: b.N}, Options{})
		b.ReportAllocs()
		startCPU(b)
		d.Run()
		ratios["mailbox"] = perOp(b, b.N)
		b.ReportMetric(ratios["mailbox"], "cpu-ns/msg")
	})
	b.Run("goroutine", func(b *testing.B) {
		ch := make(chan any, 1024)
		done := make(chan struct{})
		go func() {
			for range b.N {
				<-ch
			}
			close(done)
		}()
		b.ReportAllocs()
		startCPU(b)
		for range b.N {
			ch <- benchMsg
		}
		<-done
		c := perOp(b, b.N)
		b.ReportMetric(c, "cpu-ns/msg")
		reportRatio(b, "mailbox", c)
	})
}

// batchConsumer receives n messages with receive batch k timeout 0.
type batchConsumer struct {
	n, k    int
	started bool
}

func (c *batchConsumer) Resume(t *Tasklet) Status {
	for {
		if c.started {
			c.n -= len(t.Value().([]any))
		}
		if c.n <= 0 {
			return t.Return(nil)
		}
		c.started = true
		if !t.ReceiveBatch(min(c.k, c.n), 0) {
			return Suspended
		}
	}
}

// BenchmarkMailboxForms: the other two forms of the suite's mailbox workloads, on the
// runtime alone (the message is a pointer, so nothing is boxed). One op is one message:
// "queued" sends b.N messages before the consumer first runs, which then receives them one by
// one (the suite's flood); "selective" is the same behind a message the consumer's selective
// receive skips; "handover-selective" hands each to a consumer waiting in a receive with a
// match function; "batch" hands them to a consumer in receive batch 1024 timeout 0.
func BenchmarkMailboxForms(b *testing.B) {
	b.Run("queued", func(b *testing.B) {
		d := NewDispatcher()
		p := &producer{n: b.N}
		d.Spawn(p, Options{}) // runs first: every message waits in the mailbox
		p.to = d.Spawn(&consumer{n: b.N}, Options{})
		b.ReportAllocs()
		startCPU(b)
		d.Run()
		b.ReportMetric(perOp(b, b.N), "cpu-ns/msg")
	})
	b.Run("selective", func(b *testing.B) {
		// A message no receive takes waits at the front, the b.N messages behind it are
		// taken one by one with a match that skips it.
		d := NewDispatcher()
		p := &producer{n: b.N}
		d.Spawn(p, Options{})
		p.to = d.Spawn(&consumer{n: b.N, match: skipStale}, Options{})
		p.to.Mailbox().Append(staleMsg)
		b.ReportAllocs()
		startCPU(b)
		d.Run()
		b.ReportMetric(perOp(b, b.N), "cpu-ns/msg")
	})
	b.Run("handover-selective", func(b *testing.B) {
		// Each message is handed to a consumer waiting in a receive with a match function.
		d := NewDispatcher()
		c := d.Spawn(&consumer{n: b.N, match: skipStale}, Options{})
		d.Spawn(&producer{to: c, n: b.N}, Options{})
		b.ReportAllocs()
		startCPU(b)
		d.Run()
		b.ReportMetric(perOp(b, b.N), "cpu-ns/msg")
	})
	b.Run("batch", func(b *testing.B) {
		d := NewDispatcher()
		c := d.Spawn(&batchConsumer{n: b.N, k: 1024}, Options{})
		d.Spawn(&producer{to: c, n: b.N}, Options{})
		b.ReportAllocs()
		startCPU(b)
		d.Run()
		b.ReportMetric(perOp(b, b.N), "cpu-ns/msg")
	})
}

// parked blocks in receive forever; zero-sized, so all memory measured is the runtime's.
type parked struct{}

func (parked) Resume(t *Tasklet) Status {
	if t.Err() != nil || t.Value() != nil {
		return t.Return(nil)
	}
	t.Receive(nil, NoTimeout)
	return Suspended
}

// measurer spawns n parked tasklets, lets them park, and measures the heap they hold.
type measurer struct {
	n      int
	pc     int
	before uint64
	bytes  float64
}

func heapInUse() uint64 {
	goruntime.GC()
	var ms goruntime.MemStats
	goruntime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func (m *measurer) Resume(t *Tasklet) Status {
	if m.pc == 0 {
		m.pc = 1
		m.before = heapInUse()
		for range m.n {
			t.Spawn(parked{}, Options{Daemon: true})
		}
		if !t.Yield() {
			return Suspended
		}
	}
	for m.pc <= shrinkAfter {
		// Every parked tasklet has run; shrinkAfter more rounds let the run queue shrink back.
		m.pc++
		if !t.Yield() {
			return Suspended
		}
	}
	m.bytes = float64(heapInUse()-m.before) / float64(m.n)
	return t.Quit(0)
}

// BenchmarkParked: memory per tasklet blocked in receive (1M of them) against a goroutine
// blocked in a channel receive (100k of them).
func BenchmarkParked(b *testing.B) {
	b.Run("tasklet", func(b *testing.B) {
		var bytes float64
		for range b.N {
			d := NewDispatcher()
			m := &measurer{n: 1_000_000}
			d.Spawn(m, Options{})
			d.Run()
			bytes = m.bytes
		}
		ratios["parked"] = bytes
		b.ReportMetric(bytes, "bytes/parked")
	})
	b.Run("goroutine", func(b *testing.B) {
		const n = 100_000
		var bytes float64
		for range b.N {
			var ms0, ms1 goruntime.MemStats
			goruntime.GC()
			goruntime.ReadMemStats(&ms0)
			ch := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(n)
			for range n {
				go func() { wg.Done(); <-ch }()
			}
			wg.Wait()
			goruntime.GC()
			goruntime.ReadMemStats(&ms1)
			bytes = float64((ms1.HeapAlloc+ms1.StackInuse)-(ms0.HeapAlloc+ms0.StackInuse)) / n
			close(ch)
		}
		b.ReportMetric(bytes, "bytes/parked")
		reportRatio(b, "parked", bytes)
	})
}

// sleeper sleeps d once.
type sleeper struct {
	d     time.Duration
	slept bool
}

func (s *sleeper) Resume(t *Tasklet) Status {
	if !s.slept {
		s.slept = true
		if !t.Sleep(s.d) {
			return Suspended
		}
	}
	return t.Return(nil)
}

// BenchmarkTimers: 200k tasklets (goroutines) each sleep 0–10 ms of real time; one op is one
// whole run, reported per timer.
func BenchmarkTimers(b *testing.B) {
	const n = 200_000
	dur := func(i int) time.Duration { return time.Duration(i%1000) * 10 * time.Microsecond }
	b.Run("tasklet", func(b *testing.B) {
		b.ReportAllocs()
		startCPU(b)
		for range b.N {
			d := NewDispatcher()
			for i := range n {
				d.Spawn(&sleeper{d: dur(i)}, Options{})
			}
			d.Run()
		}
		ratios["timers"] = perOp(b, b.N*n)
		b.ReportMetric(ratios["timers"], "cpu-ns/timer")
	})
	b.Run("goroutine", func(b *testing.B) {
		b.ReportAllocs()
		startCPU(b)
		for range b.N {
			var wg sync.WaitGroup
			wg.Add(n)
			for i := range n {
				go func() { time.Sleep(dur(i)); wg.Done() }()
			}
			wg.Wait()
		}
		c := perOp(b, b.N*n)
		b.ReportMetric(c, "cpu-ns/timer")
		reportRatio(b, "timers", c)
	})
}

// BenchmarkTimerHeap: one op cancels a random timer among 1M pending and sets it again.
func BenchmarkTimerHeap(b *testing.B) {
	var h timerHeap
	const pending = 1_000_000
	ts := make([]Tasklet, pending+1)
	for i := range pending {
		ts[i].tidx = -1
		h.add(&ts[i], int64(i*7919%4096)*int64(time.Millisecond), 0)
	}
	r := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	startCPU(b)
	for i := range b.N {
		// Cancel a random pending timer and set it again.
		t := &ts[r.IntN(pending)]
		h.remove(t)
		h.add(t, int64(i*7919%4096)*int64(time.Millisecond), 0)
	}
	b.ReportMetric(perOp(b, b.N), "cpu-ns/op")
}
