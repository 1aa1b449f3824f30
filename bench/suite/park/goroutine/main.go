// Command goroutine is the goroutine version of the park workload: it starts -n goroutines,
// each blocked in a receive on its own unbuffered channel, then releases them one by one with
// the value i, waits for all of them with a sync.WaitGroup, and prints the sum of what they
// received, n(n-1)/2.
package main

import (
	"sync"

	"github.com/tskc-lang/tskc/bench/suite/internal/prog"
)

func main() {
	r := prog.Start(1_000_000, 0)
	n := r.N
	out := make([]int, n)
	chans := make([]chan int, n)
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range chans {
		ch := make(chan int)
		chans[i] = ch
		go func() {
			out[i] = <-ch
			wg.Done()
		}()
	}
	for i, ch := range chans {
		ch <- i
	}
	wg.Wait()
	sum := 0
	for _, v := range out {
		sum += v
	}
	r.Stop()
	prog.Answer("sum %d", sum)
}
