// Command tasklet is the tasklet version of the park workload, compiled from park.tsk by tskc:
// it spawns -n tasklets, lets
// them all block in receive, then releases them one by one by sending each the value i, joins
// them, and prints the sum of what they received, n(n-1)/2.
package main

import (
	"os"

	"github.com/tskc-lang/tskc/bench/suite/internal/prog"
	tskrt "github.com/tskc-lang/tskc/runtime"
)

func main() {
	r := prog.Start(1_000_000, 0)
	code := tskrt.Dispatch(Run(r.N, r.K))
	r.Stop()
	os.Exit(code)
}
