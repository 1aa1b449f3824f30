// Command suite runs the tasklet-vs-goroutine performance suite: for each workload, a program
// written in .tsk and compiled by tskc, and a program doing the same work with plain goroutines,
// each run as its own process.
//
// Usage:
//
//	cd bench && go run ./suite/cmd/suite [flags]
//
// It compiles the .tsk files of the suite with the repository's tskc (`go run ./cmd/tskc build`
// in the repository root; the generated _tsk.go files are committed, so -generate=false builds
// what is checked in), builds every program with `go build`, then runs each pair -runs times,
// alternating which version goes first, and checks that both print the same answer. For each
// run it records the wall time, the CPU time (user + system, from the child's rusage) and the
// peak resident memory (the child's rusage maxrss, which is its VmHWM). It prints a table of the
// medians and the ratios goroutine ÷ tasklet (above 1: the tasklet version is better), and
// checks them against the targets of the suite.
//
// With -instructions SCALE it times nothing: it runs both versions of each workload under
// valgrind's callgrind at -n scaled by SCALE and by twice SCALE, and prints the instructions per
// unit of work, a measure the load of the machine does not disturb (cd bench && go run
// ./suite/cmd/suite -instructions 0.02).
//
// With -profile DIR it runs each program once more with -cpuprofile and -memprofile and
// leaves the binaries and profiles in DIR, for `go tool pprof DIR/park-tasklet DIR/park-tasklet.cpu`.
package main

import (
	"bytes"
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/tskc-lang/tskc/bench/procstat"
)

// A workload is one pair of programs, in bench/suite/NAME/goroutine (or GODIR/goroutine) and
// bench/suite/NAME/tasklet.
type workload struct {
	name  string
	goDir string // the workload whose goroutine version this one shares, if not its own
	about string
	// Targets: the least goroutine ÷ tasklet ratio wanted for time (checked on both wall and
	// CPU time) and for peak memory; 0 for none.
	speed, mem float64
}

var workloads = []workload{
	{name: "pingpong", about: "2M round trips over Channel[int] / an unbuffered chan int", speed: 10},
	{name: "spawn", about: "1M short tasklets joined / 1M goroutines + WaitGroup", speed: 10},
	{name: "park", about: "1M tasklets blocked in receive, then released / 1M goroutines blocked on channels", speed: 10, mem: 15},
	{name: "yield", about: "1,000 tasklets yielding 2,000 times each / goroutines calling runtime.Gosched, GOMAXPROCS=1", speed: 10},
	{name: "mailbox", about: "3M messages, producer to a consumer waiting in receive (hand-over) / buffered chan any (1,024)", speed: 5},
	{name: "batch", goDir: "mailbox", about: "3M messages, producer to a consumer taking them with receive batch 1,024 / buffered chan any (1,024)", speed: 5},
	{name: "flood", goDir: "mailbox", about: "3M messages, producer to a consumer's mailbox before it runs (queued) / buffered chan any (1,024)", speed: 5},
	{name: "timers", about: "200k tasklets sleeping 5 times 1-50 ms / goroutines in time.Sleep", speed: 3, mem: 4},
}

// kinds are the versions of every workload, in the order of the table's columns.
var kinds = []string{"goroutine", "tasklet"}

// sample is the measurement of one run of one program.
type sample struct {
	wall, cpu time.Duration
	peak      int64 // bytes
}

func main() {
	runs := flag.Int("runs", 5, "runs of each program (medians are reported)")
	only := flag.String("only", "", "run only the workloads whose name matches this `regexp`")
	generate := flag.Bool("generate", true, "compile the .tsk files with the repository's tskc first")
	scale := flag.Float64("scale", 1, "multiply every workload's -n by this `factor` (quick runs: 0.01)")
	profile := flag.String("profile", "", "also write CPU and allocation profiles and keep the binaries in `dir`")
	instr := flag.Float64("instructions", 0, "instead of timing, count instructions with valgrind's callgrind at this `scale` and twice it, and report instructions per unit of work (0: off)")
	flag.Parse()
	var err error
	if *instr > 0 {
		err = countAll(*only, *generate, *instr, os.Stdout)
	} else {
		err = run(*runs, *only, *generate, *scale, *profile, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "suite:", err)
		os.Exit(1)
	}
}

// selectWorkloads returns the workloads whose names match the regular expression only.
func selectWorkloads(only string) ([]workload, error) {
	re, err := regexp.Compile(only)
	if err != nil {
		return nil, fmt.Errorf("-only: %v", err)
	}
	var ws []workload
	for _, w := range workloads {
		if re.MatchString(w.name) {
			ws = append(ws, w)
		}
	}
	if len(ws) == 0 {
		return nil, fmt.Errorf("no workload matches %q", only)
	}
	return ws, nil
}

// buildAll compiles the .tsk files (if generate) and builds both versions of every workload of
// ws into binDir.
func buildAll(ws []workload, generate bool, binDir string) error {
	benchDir, err := findBench()
	if err != nil {
		return err
	}
	if generate {
		fmt.Fprintln(os.Stderr, "compiling the .tsk files: go run ./cmd/tskc build ./bench/suite/...")
		if err := command(filepath.Dir(benchDir), "go", "run", "./cmd/tskc", "build", "./bench/suite/..."); err != nil {
			return err
		}
	}
	for _, w := range ws {
		for _, k := range kinds {
			fmt.Fprintf(os.Stderr, "building %s/%s\n", w.name, k)
			if err := command(benchDir, "go", "build", "-o", bin(binDir, w, k), "./suite/"+w.dir(k)+"/"+k); err != nil {
				return err
			}
		}
	}
	return nil
}

func run(runs int, only string, generate bool, scale float64, profile string, out io.Writer) error {
	if runs < 1 {
		return errors.New("-runs must be at least 1")
	}
	ws, err := selectWorkloads(only)
	if err != nil {
		return err
	}
	binDir := profile
	if binDir == "" {
		binDir, err = os.MkdirTemp("", "tskc-suite-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(binDir)
	} else if err := os.MkdirAll(binDir, 0o755); err != nil {
		return err
	}
	if err := buildAll(ws, generate, binDir); err != nil {
		return err
	}
	load0 := procstat.LoadAvg()
	results := make([][][]sample, len(ws)) // workload, kind, run
	answers := map[string]string{}         // workload: the first answer; every run must print it
	for i, w := range ws {
		results[i] = make([][]sample, len(kinds))
		args := scaleArgs(w, scale)
		for r := 0; r < runs; r++ {
			// Alternate the order, so that neither version always runs on a machine warmed
			// (or tired) by the other.
			for j := range kinds {
				ki := (j + r) % len(kinds)
				s, ans, err := measure(bin(binDir, w, kinds[ki]), args...)
				if err != nil {
					return fmt.Errorf("%s/%s: %v", w.name, kinds[ki], err)
				}
				fmt.Fprintf(os.Stderr, "%s/%s run %d: %s, wall %v, cpu %v, peak %s\n", w.name, kinds[ki], r+1, ans, s.wall.Round(time.Millisecond), s.cpu.Round(time.Millisecond), mib(s.peak))
				if prev, ok := answers[w.name]; ok && prev != ans {
					return fmt.Errorf("%s: the programs disagree: %q, then %q", w.name, prev, ans)
				}
				answers[w.name] = ans
				results[i][ki] = append(results[i][ki], s)
			}
		}
		if profile != "" {
			for _, k := range kinds {
				b := bin(binDir, w, k)
				prof := append([]string{"-cpuprofile", b + ".cpu", "-memprofile", b + ".alloc"}, args...)
				if _, _, err := measure(b, prof...); err != nil {
					return fmt.Errorf("%s/%s with profiles: %v", w.name, k, err)
				}
			}
		}
	}
	return report(out, ws, results, runs, scale, load0, procstat.LoadAvg())
}

// dir returns the directory under bench/suite of the workload's version kind.
func (w workload) dir(kind string) string {
	if kind == "goroutine" && w.goDir != "" {
		return w.goDir
	}
	return w.name
}

func bin(dir string, w workload, kind string) string {
	return filepath.Join(dir, w.name+"-"+kind)
}

// defaultN is every program's default -n, for -scale.
var defaultN = map[string]int{
	"pingpong": 2_000_000, "spawn": 1_000_000, "park": 1_000_000,
	"yield": 1_000, "mailbox": 3_000_000, "batch": 3_000_000, "flood": 3_000_000, "timers": 200_000,
}

func scaleArgs(w workload, scale float64) []string {
	if scale == 1 {
		return nil
	}
	return []string{"-n", strconv.Itoa(scaledN(w, scale))}
}

func scaledN(w workload, scale float64) int {
	return max(1, int(float64(defaultN[w.name])*scale))
}

// units names what one unit of -n is, per workload.
var units = map[string]string{
	"pingpong": "round trip", "spawn": "tasklet", "park": "tasklet", "yield": "tasklet (2,000 yields)",
	"mailbox": "message", "batch": "message", "flood": "message", "timers": "tasklet (5 sleeps)",
}

// countAll runs both versions of every selected workload under callgrind with -n at scale and
// at twice scale, and prints the instructions per unit of work: the difference of the two
// counts over the difference of the two -n, which leaves out the cost of starting the program.
// Instruction counts do not depend on the load of the machine; valgrind runs one thread at a
// time, so the goroutine versions' counts include the scheduler's spinning as it happens there.
func countAll(only string, generate bool, scale float64, out io.Writer) error {
	ws, err := selectWorkloads(only)
	if err != nil {
		return err
	}
	binDir, err := os.MkdirTemp("", "tskc-suite-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(binDir)
	if err := buildAll(ws, generate, binDir); err != nil {
		return err
	}
	fmt.Fprintf(out, "instructions per unit of work (callgrind, -n at scale %g and %g); ratio = goroutine ÷ tasklet\n\n", scale, 2*scale)
	tw := tabwriter.NewWriter(out, 0, 0, 1, ' ', tabwriter.AlignRight|tabwriter.Debug)
	fmt.Fprintln(tw, "workload\tunit\tgoroutine\ttasklet\tratio\t")
	for _, w := range ws {
		n := scaledN(w, scale)
		var per [2]float64
		for i, k := range kinds {
			a, err := instructions(bin(binDir, w, k), n)
			if err != nil {
				return fmt.Errorf("%s/%s: %v", w.name, k, err)
			}
			b, err := instructions(bin(binDir, w, k), 2*n)
			if err != nil {
				return fmt.Errorf("%s/%s: %v", w.name, k, err)
			}
			per[i] = (float64(b) - float64(a)) / float64(n)
			fmt.Fprintf(os.Stderr, "%s/%s: %d instructions at -n %d, %d at -n %d\n", w.name, k, a, n, b, 2*n)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.0f\t%.2f×\t\n", w.name, units[w.name], per[0], per[1], per[0]/per[1])
	}
	return tw.Flush()
}

// instructions runs the program at path with -n n under callgrind and returns the number of
// instructions it executed.
func instructions(path string, n int) (uint64, error) {
	cmd := exec.Command("valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", path, "-n", strconv.Itoa(n))
	// Go's asynchronous preemption signals trip an assertion of callgrind 3.19.
	cmd.Env = append(os.Environ(), "GODEBUG=asyncpreemptoff=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("%v\n%s", err, stderr.Bytes())
	}
	for line := range strings.Lines(stderr.String()) {
		if _, after, ok := strings.Cut(line, "Collected :"); ok {
			return strconv.ParseUint(strings.TrimSpace(after), 10, 64)
		}
	}
	return 0, fmt.Errorf("no instruction count in callgrind's output:\n%s", stderr.Bytes())
}

// measure runs the program at path and returns its measurements and its answer line.
func measure(path string, args ...string) (sample, string, error) {
	cmd := exec.Command(path, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return sample{}, "", fmt.Errorf("%v\n%s", err, stderr.Bytes())
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return sample{}, "", errors.New("no rusage for the child")
	}
	s := sample{
		wall: wall,
		cpu:  time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
		peak: ru.Maxrss * 1024, // kilobytes on Linux
	}
	ans := ""
	for line := range strings.Lines(stdout.String()) {
		if a, ok := strings.CutPrefix(line, "answer: "); ok {
			ans = strings.TrimSpace(a)
		}
	}
	if ans == "" {
		return sample{}, "", fmt.Errorf("no answer line in its output:\n%s", stdout.Bytes())
	}
	return s, ans, nil
}

// report prints the table of medians and ratios, and the targets.
func report(out io.Writer, ws []workload, results [][][]sample, runs int, scale float64, load0, load1 string) error {
	fmt.Fprintf(out, "medians of %d runs; ratio = goroutine ÷ tasklet (above 1: tasklets better)", runs)
	if scale != 1 {
		fmt.Fprintf(out, "; workloads scaled by %g", scale)
	}
	fmt.Fprintf(out, "\n%d CPUs; load average %s before the runs, %s after\n", runtime.NumCPU(), load0, load1)
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 0, 1, ' ', tabwriter.AlignRight|tabwriter.Debug)
	fmt.Fprintln(tw, "workload\tgo wall\ttsk wall\tratio\tgo CPU\ttsk CPU\tratio\tgo peak RSS\ttsk peak RSS\tratio\ttargets\t")
	var missed []string
	for i, w := range ws {
		g, t := medians(results[i][0]), medians(results[i][1])
		wr := ratio(g.wall, t.wall)
		cr := ratio(g.cpu, t.cpu)
		mr := float64(g.peak) / float64(t.peak)
		var tg []string
		check := func(what string, got, want float64) {
			if want == 0 {
				return
			}
			mark := "ok"
			if got < want {
				mark = "MISSED"
				missed = append(missed, fmt.Sprintf("%s %s %.2fx < %gx", w.name, what, got, want))
			}
			tg = append(tg, fmt.Sprintf("%s≥%g× %s", what, want, mark))
		}
		check("wall", wr, w.speed)
		check("CPU", cr, w.speed)
		check("mem", mr, w.mem)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f×\t%s\t%s\t%.2f×\t%s\t%s\t%.2f×\t%s\t\n", w.name,
			dur(g.wall), dur(t.wall), wr, dur(g.cpu), dur(t.cpu), cr, mib(g.peak), mib(t.peak), mr, strings.Join(tg, ", "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(out)
	for _, w := range ws {
		fmt.Fprintf(out, "%-9s %s\n", w.name, w.about)
	}
	if len(missed) > 0 {
		fmt.Fprintf(out, "\ntargets missed: %s\n", strings.Join(missed, "; "))
	}
	return nil
}

// medians returns the median of each measurement over the runs.
func medians(ss []sample) sample {
	var m sample
	m.wall = median(ss, func(s sample) int64 { return int64(s.wall) }).wall
	m.cpu = median(ss, func(s sample) int64 { return int64(s.cpu) }).cpu
	m.peak = median(ss, func(s sample) int64 { return s.peak }).peak
	return m
}

// median returns the sample whose key is the median (the lower of the middle two for an even
// count).
func median(ss []sample, key func(sample) int64) sample {
	s := slices.Clone(ss)
	slices.SortFunc(s, func(a, b sample) int { return cmp.Compare(key(a), key(b)) })
	return s[(len(s)-1)/2]
}

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }

func dur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	default:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	}
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// findBench returns the directory of the bench module (bench/ of the repository), looking from
// the current directory upwards.
func findBench() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil {
			if bytes.Contains(b, []byte("module github.com/tskc-lang/tskc/bench\n")) {
				return dir, nil
			}
			if bytes.Contains(b, []byte("module github.com/tskc-lang/tskc\n")) {
				return filepath.Join(dir, "bench"), nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run it inside the tskc repository (cd bench && go run ./suite/cmd/suite)")
		}
		dir = parent
	}
}

// command runs name with args in dir, its output going to the suite's standard error.
func command(dir, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s (in %s): %v", name, strings.Join(args, " "), dir, err)
	}
	return nil
}
