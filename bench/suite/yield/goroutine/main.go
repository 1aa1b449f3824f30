// Command goroutine is the goroutine version of the yield workload: with GOMAXPROCS=1, -n
// goroutines each call runtime.Gosched -k times, counting; it waits for all of them with a
// sync.WaitGroup and prints the total count, n·k.
package main

import (
	"runtime"
	"sync"

	"github.com/tskc-lang/tskc/bench/suite/internal/prog"
)

func main() {
	r := prog.Start(1_000, 2_000)
	runtime.GOMAXPROCS(1)
	n, k := r.N, r.K
	out := make([]int, n)
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			for j := 0; j < k; j++ {
				runtime.Gosched()
				out[i]++
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
	prog.Answer("yields %d", sum)
}
