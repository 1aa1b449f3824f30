// Command goroutine is the goroutine version of the timers workload: -n goroutines each sleep
// -k times (with time.Sleep) for 1 to 50 ms, a deterministic pseudo-random choice; it waits for
// all of them with a sync.WaitGroup and prints the total number of milliseconds slept.
package main

import (
	"sync"
	"time"

	"github.com/tskc-lang/tskc/bench/suite/internal/prog"
)

func main() {
	r := prog.Start(200_000, 5)
	n, k := r.N, r.K
	out := make([]int, n)
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			for j := 0; j < k; j++ {
				ms := 1 + (i*31+j*17)%50
				time.Sleep(time.Duration(ms) * time.Millisecond)
				out[i] += ms
			}
			wg.Done()
		}()
	}
	wg.Wait()
	sum := 0
	for _, v := range out {
		sum += v
	}
	r.Stop()
	prog.Answer("slept %d ms", sum)
}
