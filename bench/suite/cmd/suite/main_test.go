package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	ss := []sample{
		{wall: 5 * time.Millisecond, cpu: 1 * time.Millisecond, peak: 30},
		{wall: 1 * time.Millisecond, cpu: 9 * time.Millisecond, peak: 10},
		{wall: 3 * time.Millisecond, cpu: 4 * time.Millisecond, peak: 20},
		{wall: 4 * time.Millisecond, cpu: 2 * time.Millisecond, peak: 40},
	}
	m := medians(ss)
	// Each measurement is taken on its own (the lower middle of an even count).
	if m.wall != 3*time.Millisecond || m.cpu != 2*time.Millisecond || m.peak != 20 {
		t.Errorf("medians = %+v, want wall 3ms, cpu 2ms, peak 20", m)
	}
}

// TestSuiteRuns builds every program of the suite (the generated files as committed) and runs
// each pair once at a tiny scale: both versions must print the same answer, and the report must
// name every workload.
func TestSuiteRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs every program of the suite")
	}
	var out bytes.Buffer
	if err := run(1, "", false, 0.001, "", &out); err != nil {
		t.Fatal(err)
	}
	for _, w := range workloads {
		if !strings.Contains(out.String(), " "+w.name+"|") {
			t.Errorf("no row for %s in the report:\n%s", w.name, out.String())
		}
	}
}
