// Command goroutine is the goroutine version of the ping-pong workload: a pinger and a ponger
// goroutine exchange -n round trips over one unbuffered channel of int (the pinger sends i, the
// ponger answers 2i+1) and the pinger prints the sum of the answers, n².
package main

import (
	"github.com/tskc-lang/tskc/bench/suite/internal/prog"
)

func main() {
	r := prog.Start(2_000_000, 0)
	n := r.N
	ch := make(chan int)
	done := make(chan struct{})
	go func() {
		for i := 0; i < n; i++ {
			v := <-ch
			ch <- 2*v + 1
		}
		close(done)
	}()
	sum := 0
	for i := 0; i < n; i++ {
		ch <- i
		sum += <-ch
	}
	<-done
	r.Stop()
	prog.Answer("sum %d", sum)
}
