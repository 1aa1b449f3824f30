// Command tasklet is the tasklet version of the pingpong workload, compiled from pingpong.tsk by tskc:
// a pinger and a ponger
// tasklet exchange -n round trips over one Channel[int] (the pinger sends i, the ponger answers
// 2i+1) and the pinger prints the sum of the answers, n².
package main

import (
	"os"

	"github.com/tskc-lang/tskc/bench/suite/internal/prog"
	tskrt "github.com/tskc-lang/tskc/runtime"
)

func main() {
	r := prog.Start(2_000_000, 0)
	code := tskrt.Dispatch(Run(r.N, r.K))
	r.Stop()
	os.Exit(code)
}
