// Command tasklet is the tasklet version of the yield workload, compiled from yield.tsk by tskc:
// -n tasklets each yield -k
// times, counting; it joins them and prints the total count, n·k.
package main

import (
	"os"

	"github.com/tskc-lang/tskc/bench/suite/internal/prog"
	tskrt "github.com/tskc-lang/tskc/runtime"
)

func main() {
	r := prog.Start(1_000, 2_000)
	code := tskrt.Dispatch(Run(r.N, r.K))
	r.Stop()
	os.Exit(code)
}
