package codegen

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestResumePointLimit checks the limit of resume points in one tasklet: the runtime keeps a
// frame's resume point in a uint16 (Tasklet.PC), so a tasklet with maxResumePoints of them
// compiles and one with more is an error at its name.
func TestResumePointLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a tasklet of 65536 statements")
	}
	src := func(yields int) []byte {
		var b strings.Builder
		b.WriteString("package p\n\n// Long yields many times.\ntasklet Long() {\n")
		for range yields {
			b.WriteString("\tyield\n")
		}
		b.WriteString("}\n")
		return []byte(b.String())
	}
	gen := func(yields int) error {
		_, err := Generate(pkgDir, Config{Overlay: map[string][]byte{filepath.Join(pkgDir, "long.tsk"): src(yields)}})
		return err
	}
	if err := gen(maxResumePoints); err != nil {
		t.Fatalf("%d resume points: %v", maxResumePoints, err)
	}
	err := gen(maxResumePoints + 1)
	want := fmt.Sprintf("long.tsk:4:9: too many suspension points in tasklet Long: %d (at most %d; move some of its work into tasklets it calls)", maxResumePoints+1, maxResumePoints)
	if err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("%d resume points: error %v, want one ending in %q", maxResumePoints+1, err, want)
	}
}

// TestCaseLimit checks the limit of cases in one select: the runtime's Case register holds
// 0..tskrt.MaxCases.
func TestCaseLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a select of 32769 cases")
	}
	var b strings.Builder
	b.WriteString("package p\n\n// Wide selects.\ntasklet Wide(ch Channel[int]) {\n\tselect {\n")
	for range maxCases + 1 {
		b.WriteString("\tcase <-ch:\n")
	}
	b.WriteString("\t}\n}\n")
	_, err := Generate(pkgDir, Config{Overlay: map[string][]byte{filepath.Join(pkgDir, "wide.tsk"): []byte(b.String())}})
	want := fmt.Sprintf("wide.tsk:5:2: too many cases in select: %d (at most %d)", maxCases+1, maxCases)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want one containing %q", err, want)
	}
}
