// Command tasklet is the tasklet version of the flood workload, compiled from flood.tsk by tskc:
// a producer tasklet sends -n messages (the ints 0..n-1) into a consumer tasklet's mailbox
// without any flow control (send never blocks, so all n wait in the mailbox before the consumer
// first runs); the consumer sums them and the producer prints the sum, n(n-1)/2. Its goroutine
// counterpart is the mailbox workload's (a chan any buffered for 1,024 messages).
package main

import (
	"os"

	"github.com/tskc-lang/tskc/bench/suite/internal/prog"
	tskrt "github.com/tskc-lang/tskc/runtime"
)

func main() {
	r := prog.Start(3_000_000, 0)
	code := tskrt.Dispatch(Run(r.N, r.K))
	r.Stop()
	os.Exit(code)
}
