// Command tasklet is the tasklet version of the spawn workload, compiled from spawn.tsk by tskc:
// it spawns -n short tasklets,
// each writing 2i into its slot of a shared slice, joins every one of them, and prints the sum of
// the slots, n(n-1).
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
