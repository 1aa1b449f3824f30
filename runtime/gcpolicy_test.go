package runtime

import (
	"runtime/debug"
	"testing"
)

// gcPercentFrame records the GC percent seen inside the dispatcher.
type gcPercentFrame struct{ seen *int }

func (f gcPercentFrame) Resume(t *Tasklet) Status {
	p := debug.SetGCPercent(-1)
	debug.SetGCPercent(p)
	*f.seen = p
	return t.Return(nil)
}

func currentGCPercent() int {
	p := debug.SetGCPercent(-1)
	debug.SetGCPercent(p)
	return p
}

// Dispatch raises the GC percent while it runs, and restores it; a program that chose its own
// collector settings keeps them.
func TestDispatchGCPercent(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	before := currentGCPercent()
	if before != 100 {
		t.Skipf("GC percent is %d, not Go's default", before)
	}
	var seen int
	if code := Dispatch(gcPercentFrame{&seen}); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	if seen != DispatchGCPercent || currentGCPercent() != 100 {
		t.Fatalf("GC percent %d while dispatching, %d after; want %d, 100", seen, currentGCPercent(), DispatchGCPercent)
	}

	t.Setenv("GOGC", "100")
	Dispatch(gcPercentFrame{&seen})
	if seen != 100 {
		t.Fatalf("with GOGC set: GC percent %d while dispatching", seen)
	}
	t.Setenv("GOGC", "")

	debug.SetGCPercent(150)
	defer debug.SetGCPercent(100)
	Dispatch(gcPercentFrame{&seen})
	if seen != 150 || currentGCPercent() != 150 {
		t.Fatalf("after SetGCPercent(150): %d while dispatching, %d after", seen, currentGCPercent())
	}
}
