package watch

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestIsInput(t *testing.T) {
	for name, want := range map[string]bool{
		"room.tsk": true, "main.go": true, "room_test.go": true,
		"room_tsk.go": false, "README.md": false, ".room.tsk": false, "_x.go": false, "go.mod": false,
	} {
		if got := IsInput(name); got != want {
			t.Errorf("IsInput(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestChanged(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	write(t, filepath.Join(a, "x.tsk"), "package a\n")
	write(t, filepath.Join(a, "x_tsk.go"), "package a\n")
	write(t, filepath.Join(b, "y.go"), "package b\n")
	s0 := Take([]string{a, b})
	if len(s0) != 2 {
		t.Fatalf("snapshot has %d files, want 2 (generated files are not inputs): %v", len(s0), s0)
	}
	if c := Changed(s0, Take([]string{a, b})); len(c) != 0 {
		t.Fatalf("nothing changed, but Changed = %v", c)
	}

	// Rewriting a generated file is not a change; growing a source is; so are a new file and a
	// removed one, each reported once per directory.
	write(t, filepath.Join(a, "x_tsk.go"), "package a // regenerated\n")
	write(t, filepath.Join(a, "x.tsk"), "package a\n\ntasklet T() {}\n")
	write(t, filepath.Join(a, "z.tsk"), "package a\n")
	if err := os.Remove(filepath.Join(b, "y.go")); err != nil {
		t.Fatal(err)
	}
	if got, want := Changed(s0, Take([]string{a, b})), []string{a, b}; !slices.Equal(got, want) {
		t.Errorf("Changed = %v, want %v", got, want)
	}
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "x.tsk")
	write(t, src, "package a\n")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changes := make(chan []string, 10)
	done := make(chan error, 1)
	polls := make(chan struct{}, 100)
	go func() {
		done <- Run(ctx, time.Millisecond,
			func() ([]string, error) {
				select {
				case polls <- struct{}{}:
				default:
				}
				return []string{dir}, nil
			},
			func(ds []string) { changes <- ds },
			func(err error) { t.Errorf("report(%v)", err) })
	}()
	<-polls // the first snapshot is taken
	<-polls // and a second poll saw no change
	select {
	case c := <-changes:
		t.Fatalf("change %v reported before any edit", c)
	default:
	}
	write(t, src, "package a\n\ntasklet T() {}\n")
	select {
	case c := <-changes:
		if !slices.Equal(c, []string{dir}) {
			t.Errorf("changed %v, want [%s]", c, dir)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the edit was not reported")
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("Run returned %v, want context.Canceled", err)
	}
}

// TestSettler checks that changes are held back while the inputs keep changing, gathered, and
// reported once a poll finds nothing new.
func TestSettler(t *testing.T) {
	var s settler
	steps := []struct {
		changed, want []string
	}{
		{nil, nil},
		{[]string{"b"}, nil},      // b is being written
		{[]string{"b", "a"}, nil}, // still changing, a as well
		{nil, []string{"a", "b"}}, // settled: both at once, sorted
		{nil, nil},                // nothing pending
		{[]string{"c"}, nil},      // a new change waits a poll
		{nil, []string{"c"}},      // and is reported once
		{[]string{"a"}, nil},      // a change
		{[]string{"a"}, nil},      // changing again (a truncate, then the write)
		{nil, []string{"a"}},      // one rebuild
	}
	for i, st := range steps {
		if got := s.poll(st.changed); !slices.Equal(got, st.want) {
			t.Fatalf("step %d: poll(%v) = %v, want %v", i, st.changed, got, st.want)
		}
	}
}
