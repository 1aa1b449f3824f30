// Command goroutine is the goroutine version of the spawn workload: it starts -n short
// goroutines, each writing 2i into its slot of a shared slice, waits for all of them with a
// sync.WaitGroup, and prints the sum of the slots, n(n-1).
package main

import (
	"sync"

	"github.com/tskc-lang/tskc/bench/suite/internal/prog"
)

func main() {
	r := prog.Start(1_000_000, 0)
	n := r.N
	out := make([]int, n)
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			out[i] = 2 * i
			wg.Done()
		}()
	}
	wg.Wait()
	sum := 0
	for _, v := range out {
		sum += v
	}
	r.Stop()
	prog.Answer("sum %d", sum)
}
