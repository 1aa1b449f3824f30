// Package prog holds what every program of the tasklet-vs-goroutine suite shares: its
// command-line flags (the size of the workload and optional pprof profiles) and the way it
// prints its answer, so that the tasklet and the goroutine version of a workload differ only in
// the work itself.
package prog

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// Run is one run of a suite program: the workload size from the command line, and the profiles
// to write when it ends.
type Run struct {
	N, K int // workload size: see each program's documentation for their meaning

	cpu     *os.File
	memPath string
}

// Start parses the command line (-n, -k, -cpuprofile, -memprofile, -memprofilerate), with n
// and k as the defaults of -n and -k, and starts the CPU profile if one was asked for. The
// program must call Stop before it exits.
func Start(n, k int) *Run {
	r := &Run{}
	flag.IntVar(&r.N, "n", n, "workload size (see the program's documentation)")
	flag.IntVar(&r.K, "k", k, "second workload size (see the program's documentation)")
	cpu := flag.String("cpuprofile", "", "write a pprof CPU profile to `file`")
	flag.StringVar(&r.memPath, "memprofile", "", "write a pprof allocation profile to `file` at the end")
	rate := flag.Int("memprofilerate", 0, "runtime.MemProfileRate while -memprofile is on (0: Go's default)")
	flag.Parse()
	if r.memPath != "" && *rate > 0 {
		runtime.MemProfileRate = *rate
	}
	if *cpu != "" {
		f, err := os.Create(*cpu)
		if err != nil {
			fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fatal(err)
		}
		r.cpu = f
	}
	return r
}

// Stop ends the profiles Start began and writes the allocation profile.
func (r *Run) Stop() {
	if r.cpu != nil {
		pprof.StopCPUProfile()
		if err := r.cpu.Close(); err != nil {
			fatal(err)
		}
	}
	if r.memPath != "" {
		runtime.GC() // the profile shows the allocations up to the last completed collection
		f, err := os.Create(r.memPath)
		if err != nil {
			fatal(err)
		}
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			fatal(err)
		}
		if err := f.Close(); err != nil {
			fatal(err)
		}
	}
}

// Answer prints the workload's answer, the line the harness compares between the tasklet and
// the goroutine version.
func Answer(format string, args ...any) {
	fmt.Printf("answer: "+format+"\n", args...)
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
