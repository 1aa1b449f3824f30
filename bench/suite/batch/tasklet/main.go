// Command tasklet is the tasklet version of the batch workload, compiled from batch.tsk by tskc:
// a producer tasklet sends -n messages (the ints 0..n-1) into the mailbox of a consumer tasklet
// that takes them with `receive batch` -k (default 1,024, the goroutine version's channel
// capacity); the consumer sums them and the producer prints the sum, n(n-1)/2.
package main

import (
	"os"

	"github.com/tskc-lang/tskc/bench/suite/internal/prog"
	tskrt "github.com/tskc-lang/tskc/runtime"
)

func main() {
	r := prog.Start(3_000_000, 1024)
	code := tskrt.Dispatch(Run(r.N, r.K))
	r.Stop()
	os.Exit(code)
}
