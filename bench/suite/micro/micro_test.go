package micro

import (
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	tskrt "github.com/tskc-lang/tskc/runtime"
)

// Every benchmark runs the same b.N operations twice in one run, once on tasklets (the frames
// tskc generated from micro.tsk, on a dispatcher) and once on goroutines, and reports both side
// by side:
//
//	tsk-ns/op, go-ns/op        wall time per operation
//	go/tsk                     go-ns/op ÷ tsk-ns/op: how many times faster the tasklets are
//	tsk-cpu-ns/op, go-cpu-ns/op  CPU time of the whole process (every thread, the garbage
//	                           collector's included) per operation: steadier than wall time
//	                           on a busy machine
//	go/tsk-cpu                 go-cpu-ns/op ÷ tsk-cpu-ns/op
//	tsk-allocs/op, go-allocs/op
//	tsk-B/op, go-B/op          heap allocations per operation
//
// The standard ns/op, B/op and allocs/op of -benchmem cover both halves together.
//
//	cd bench && go test -run '^$' -bench . -benchmem ./suite/micro

// half is the measurement of one half of a benchmark.
type half struct {
	wall, cpu     time.Duration
	allocs, bytes uint64
}

func measure(fn func()) half {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	cpu0 := cpuTime()
	start := time.Now()
	fn()
	wall := time.Since(start)
	cpu := cpuTime() - cpu0
	runtime.ReadMemStats(&after)
	return half{wall: wall, cpu: cpu, allocs: after.Mallocs - before.Mallocs, bytes: after.TotalAlloc - before.TotalAlloc}
}

// cpuTime returns the user plus system CPU time the process has used, all threads included.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// dispatch runs f as the only root tasklet of a new dispatcher and fails b if the program does
// not end normally.
func dispatch(b *testing.B, f tskrt.Frame) {
	d := tskrt.NewDispatcher()
	t := d.Spawn(f, tskrt.Options{})
	if code := d.Run(); code != 0 {
		b.Fatalf("dispatcher exit code %d", code)
	}
	if _, err := t.Result(); err != nil {
		b.Fatal(err)
	}
}

// sideBySide runs the tasklet and the goroutine version of an operation b.N times each and
// reports both.
func sideBySide(b *testing.B, tsk func(n int) tskrt.Frame, gor func(n int)) {
	b.ReportAllocs()
	b.ResetTimer()
	t := measure(func() { dispatch(b, tsk(b.N)) })
	g := measure(func() { gor(b.N) })
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(t.wall.Nanoseconds())/n, "tsk-ns/op")
	b.ReportMetric(float64(g.wall.Nanoseconds())/n, "go-ns/op")
	b.ReportMetric(float64(g.wall)/float64(t.wall), "go/tsk")
	b.ReportMetric(float64(t.cpu.Nanoseconds())/n, "tsk-cpu-ns/op")
	b.ReportMetric(float64(g.cpu.Nanoseconds())/n, "go-cpu-ns/op")
	b.ReportMetric(float64(g.cpu)/float64(max(t.cpu, 1)), "go/tsk-cpu")
	b.ReportMetric(float64(t.allocs)/n, "tsk-allocs/op")
	b.ReportMetric(float64(g.allocs)/n, "go-allocs/op")
	b.ReportMetric(float64(t.bytes)/n, "tsk-B/op")
	b.ReportMetric(float64(g.bytes)/n, "go-B/op")
}

// BenchmarkPingPong: one round trip over a channel (two sends, two receives, two switches)
// against an unbuffered chan int.
func BenchmarkPingPong(b *testing.B) {
	sideBySide(b, PingPong, func(n int) {
		ch := make(chan int)
		done := make(chan struct{})
		go func() {
			for i := 0; i < n; i++ {
				ch <- <-ch
			}
			close(done)
		}()
		for i := 0; i < n; i++ {
			ch <- i
			<-ch
		}
		<-done
	})
}

// BenchmarkSpawnJoin: spawn a tasklet that does nothing and join it, against starting a
// goroutine and waiting for it with a sync.WaitGroup.
func BenchmarkSpawnJoin(b *testing.B) {
	sideBySide(b, SpawnJoin, func(n int) {
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go wg.Done()
			wg.Wait()
		}
	})
}

// BenchmarkYield: two tasklets yielding in turn (one switch per yield), against two goroutines
// calling runtime.Gosched with GOMAXPROCS=1.
func BenchmarkYield(b *testing.B) {
	sideBySide(b, YieldPair, func(n int) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
		var wg sync.WaitGroup
		wg.Add(2)
		for range 2 {
			go func() {
				for i := 0; i < n; i++ {
					runtime.Gosched()
				}
				wg.Done()
			}()
		}
		wg.Wait()
	})
}

// BenchmarkMailbox: one message from a producer to a consumer's mailbox, against a chan any
// buffered for 1,024 messages.
func BenchmarkMailbox(b *testing.B) {
	sideBySide(b, Produce, func(n int) {
		ch := make(chan any, 1024)
		done := make(chan struct{})
		go func() {
			for i := 0; i < n; i++ {
				<-ch
			}
			close(done)
		}()
		for i := 0; i < n; i++ {
			ch <- i & 0xff
		}
		<-done
	})
}

// BenchmarkPark: a tasklet that blocks in receive, then is released by a message and joined,
// against a goroutine blocked on its own channel, released by a send, waited for with a
// sync.WaitGroup. All b.N are blocked at the same time.
func BenchmarkPark(b *testing.B) {
	sideBySide(b, Park, func(n int) {
		chans := make([]chan int, n)
		var wg sync.WaitGroup
		wg.Add(n)
		for i := range chans {
			ch := make(chan int)
			chans[i] = ch
			go func() {
				<-ch
				wg.Done()
			}()
		}
		for _, ch := range chans {
			ch <- 1
		}
		wg.Wait()
	})
}

// BenchmarkSleep: one sleep of 1ms, with 1,000 tasklets sleeping 10 times each at the same
// time, against as many goroutines in time.Sleep.
func BenchmarkSleep(b *testing.B) {
	const per = 10
	const d = time.Millisecond
	n := max(1, b.N/per)
	sideBySide(b, func(int) tskrt.Frame { return Sleepers(n, per, d) }, func(int) {
		var wg sync.WaitGroup
		wg.Add(n)
		for range n {
			go func() {
				for range per {
					time.Sleep(d)
				}
				wg.Done()
			}()
		}
		wg.Wait()
	})
}
