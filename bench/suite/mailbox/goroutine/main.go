// Command goroutine is the goroutine version of the mailbox workload, and the counterpart of the
// flood workload too: a producer goroutine sends -n messages (the ints 0..n-1, as any) into a
// chan any buffered for -k messages; the consumer sums them and prints the sum, n(n-1)/2.
package main

import (
	"github.com/tskc-lang/tskc/bench/suite/internal/prog"
)

func main() {
	r := prog.Start(3_000_000, 1024)
	n := r.N
	ch := make(chan any, r.K)
	go func() {
		for i := 0; i < n; i++ {
			ch <- i
		}
	}()
	sum := 0
	for i := 0; i < n; i++ {
		sum += (<-ch).(int)
	}
	r.Stop()
	prog.Answer("sum %d", sum)
}
