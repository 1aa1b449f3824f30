// Command tasklet is the tasklet version of the timers workload, compiled from timers.tsk by tskc:
// -n tasklets each sleep -k times
// for 1 to 50 ms, a deterministic pseudo-random choice; it joins them and prints the total
// number of milliseconds slept.
package main

import (
	"os"

	"github.com/tskc-lang/tskc/bench/suite/internal/prog"
	tskrt "github.com/tskc-lang/tskc/runtime"
)

func main() {
	r := prog.Start(200_000, 5)
	code := tskrt.Dispatch(Run(r.N, r.K))
	r.Stop()
	os.Exit(code)
}
