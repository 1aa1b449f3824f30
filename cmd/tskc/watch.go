package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/tskc-lang/tskc/internal/build"
	"github.com/tskc-lang/tskc/internal/watch"
)

// watchInterval is how often tskc build --watch looks at the files.
const watchInterval = 300 * time.Millisecond

// watch builds pkgs, then rebuilds each package whose inputs change until the context of
// t.watchContext ends (Ctrl-C). paths are re-expanded on every poll, so a package created under
// a "/..." pattern is picked up. It returns exitOK: errors in the input are reported as they
// come and fixed by the next save.
func (t *tool) watch(paths []string, pkgs []*build.Package) int {
	ctx, stop := t.watchContext()
	defer stop()
	t.buildPackages(pkgs, false, true)
	fmt.Fprintf(t.stderr, "tskc: watching %s; press Ctrl-C to stop\n", plural(len(pkgs), "package"))
	var latest []*build.Package
	dirs := func() ([]string, error) {
		ps, err := build.Expand(paths)
		if err != nil {
			return nil, err
		}
		latest = ps
		ds := make([]string, len(ps))
		for i, p := range ps {
			ds[i] = p.Dir
		}
		return ds, nil
	}
	rebuild := func(changed []string) {
		var todo []*build.Package
		for _, p := range latest {
			for _, d := range changed {
				if filepath.Clean(p.Dir) == filepath.Clean(d) {
					todo = append(todo, p)
				}
			}
		}
		if len(todo) == 0 {
			return
		}
		if t.buildPackages(todo, false, true) == exitOK {
			fmt.Fprintf(t.stderr, "tskc: %s up to date\n", plural(len(todo), "package"))
		}
	}
	report := func(err error) { t.errorf("%v", err) }
	watch.Run(ctx, t.watchInterval, dirs, rebuild, report)
	return exitOK
}

// interruptContext is the context of a watch in the real tool: it ends on Ctrl-C.
func interruptContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
