// Package watch tells when the inputs of a tskc build change: the .tsk files and the hand-written
// Go files of the packages a command line names. It polls the files' modification times and
// sizes, so it needs nothing from the operating system and works on every file system (network
// and container mounts included), at the cost of reporting a change one to two intervals late
// (it waits for the files to stop changing).
package watch

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Stamp identifies one version of a file.
type Stamp struct {
	ModTime time.Time
	Size    int64
}

// A Snapshot maps the path of every input file of a set of package directories to its stamp.
type Snapshot map[string]Stamp

// IsInput reports whether a file named name is an input of tskc build: a .tsk file, or a Go file
// that tskc does not generate (generated files end in _tsk.go).
func IsInput(name string) bool {
	if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
		return false
	}
	return strings.HasSuffix(name, ".tsk") ||
		strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_tsk.go")
}

// Take returns the snapshot of the input files directly in dirs. A directory that cannot be
// read contributes nothing (it may have been removed; the next expansion will drop it).
func Take(dirs []string) Snapshot {
	s := make(Snapshot)
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if !e.Type().IsRegular() || !IsInput(e.Name()) {
				continue
			}
			info, err := e.Info()
			if err != nil {
				continue
			}
			s[filepath.Join(dir, e.Name())] = Stamp{ModTime: info.ModTime(), Size: info.Size()}
		}
	}
	return s
}

// Changed returns, sorted, the directories in which a file was added, removed or changed
// between the snapshots old and cur.
func Changed(old, cur Snapshot) []string {
	var dirs []string
	note := func(path string) {
		if d := filepath.Dir(path); !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	for path, st := range cur {
		if prev, ok := old[path]; !ok || !prev.ModTime.Equal(st.ModTime) || prev.Size != st.Size {
			note(path)
		}
	}
	for path := range old {
		if _, ok := cur[path]; !ok {
			note(path)
		}
	}
	slices.Sort(dirs)
	return dirs
}

// Run polls every interval until ctx is done. Each time it asks dirs for the directories to
// watch (so that packages created meanwhile are seen) and calls changed with the directories
// whose inputs changed, once those inputs have settled: a change is reported at the first poll
// that finds nothing changed since the poll before, so a file caught half-written (an editor
// that truncates and then writes) is not built. The first poll only records the snapshot. An
// error from dirs goes to report, and that poll is skipped. Run returns ctx.Err().
func Run(ctx context.Context, interval time.Duration, dirs func() ([]string, error), changed func([]string), report func(error)) error {
	var last Snapshot
	var s settler
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if ds, err := dirs(); err != nil {
			report(err)
		} else {
			cur := Take(ds)
			if last != nil {
				if c := s.poll(Changed(last, cur)); len(c) > 0 {
					// A rebuild writes only generated files, which are not inputs; an edit made
					// while it ran differs from cur, so a later poll sees it.
					changed(c)
				}
			}
			last = cur
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// settler holds back the directories that changed until a poll finds no change.
type settler struct {
	pending []string // sorted
}

// poll takes the directories that changed since the previous poll and returns those to
// rebuild now: every directory changed since the last rebuild, once a poll brings no change.
func (s *settler) poll(changed []string) []string {
	if len(changed) > 0 {
		for _, d := range changed {
			if i, found := slices.BinarySearch(s.pending, d); !found {
				s.pending = slices.Insert(s.pending, i, d)
			}
		}
		return nil
	}
	ready := s.pending
	s.pending = nil
	return ready
}
