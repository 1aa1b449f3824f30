package runtime

import (
	"math"
	"os"
	"runtime/debug"
	"sync"
)

// DispatchGCPercent is the garbage collector's percent (as GOGC) that Dispatch sets while it
// runs, unless the program chose its own collector settings: the environment variable GOGC
// or GOMEMLIMIT is set, or the program changed the GC percent or the memory limit before
// Dispatch. Set it to 0 before calling Dispatch to keep Go's settings.
//
// A tasklet program's heap is mostly its tasklets: records and frames that live until the
// tasklets end, and little garbage. Go's default (100) collects each time the heap doubles, so
// a program that builds up many tasklets marks them over and over while it grows; 400 halves
// that work for a small rise of its peak memory. A program that makes much garbage pays more
// memory for it (up to 5 times its live heap instead of 2); docs/runtime.md has the figures.
var DispatchGCPercent = 400

var gcPolicy struct {
	sync.Mutex
	n    int // Dispatch calls running with the raised percent
	prev int // the percent before the first of them
}

// raiseGCPercent applies DispatchGCPercent unless the program chose its own collector
// settings, and returns the function that restores them.
func raiseGCPercent() (restore func()) {
	pct := DispatchGCPercent
	if pct <= 0 || os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	gcPolicy.Lock()
	defer gcPolicy.Unlock()
	if gcPolicy.n == 0 {
		prev := debug.SetGCPercent(pct)
		if prev != 100 || debug.SetMemoryLimit(-1) != math.MaxInt64 {
			debug.SetGCPercent(prev) // the program set its own
			return func() {}
		}
		gcPolicy.prev = prev
	}
	gcPolicy.n++
	return func() {
		gcPolicy.Lock()
		defer gcPolicy.Unlock()
		if gcPolicy.n--; gcPolicy.n == 0 {
			debug.SetGCPercent(gcPolicy.prev)
		}
	}
}
