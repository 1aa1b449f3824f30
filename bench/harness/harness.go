// Package harness runs one network benchmark measurement: it starts a server program as a
// separate process on loopback, opens connections to it with the load generator, and measures
// round trips per second, the server's CPU time per round trip and its memory.
//
// cmd/netbench drives it for the full table; the Benchmark functions of this package drive it
// under `go test -bench`.
package harness

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/tskc-lang/tskc/bench/load"
	"github.com/tskc-lang/tskc/bench/procstat"
)

// A Server is one program under test.
type Server struct {
	Name  string   // short name in the tables
	Kind  string   // "echo" or "http"
	Dir   string   // directory, relative to bench/, to run `go build` in
	Pkg   string   // package to build, relative to Dir
	Args  []string // extra arguments; -addr ADDR is added
	About string   // one line for the legend
}

// Servers are the servers the benchmarks know.
var Servers = []Server{
	{Name: "goroutine", Kind: "echo", Dir: ".", Pkg: "./servers/goecho", About: "net, one goroutine per connection, 1 KiB buffer"},
	{Name: "gnet", Kind: "echo", Dir: ".", Pkg: "./servers/gnetecho", About: "gnet/v2 v2.9.7, multicore (one event loop per CPU)"},
	{Name: "gnet-1", Kind: "echo", Dir: ".", Pkg: "./servers/gnetecho", Args: []string{"-loops", "1"}, About: "gnet/v2 v2.9.7, one event loop"},
	{Name: "tskc-rt", Kind: "echo", Dir: ".", Pkg: "./servers/tskecho", About: "tskc runtime, hand-written frames (the shape tskc generates), one dispatcher thread"},
	{Name: "tskc", Kind: "echo", Dir: "..", Pkg: "./examples/echo", About: "examples/echo (.tsk compiled by tskc), one dispatcher thread"},
	{Name: "tskc-2", Kind: "echo", Dir: "..", Pkg: "./examples/echo", Args: []string{"-loops", "2"}, About: "examples/echo -loops 2: two dispatchers, each with its own SO_REUSEPORT listener"},
	{Name: "net/http", Kind: "http", Dir: ".", Pkg: "./servers/nethttp", About: "Go net/http hello server"},
	{Name: "tskc-rt-http", Kind: "http", Dir: ".", Pkg: "./servers/tskgreeter", About: "tskc runtime, hand-written frames of examples/greeter, one dispatcher thread"},
	{Name: "greeter", Kind: "http", Dir: "..", Pkg: "./examples/greeter", About: "examples/greeter (.tsk compiled by tskc), one dispatcher thread"},
	{Name: "greeter-2", Kind: "http", Dir: "..", Pkg: "./examples/greeter", Args: []string{"-loops", "2"}, About: "examples/greeter -loops 2: two dispatchers"},
}

// Lookup returns the server called name.
func Lookup(name string) (Server, bool) {
	i := slices.IndexFunc(Servers, func(s Server) bool { return s.Name == name })
	if i < 0 {
		return Server{}, false
	}
	return Servers[i], true
}

// A Workload is what the load generator does.
type Workload struct {
	Kind  string // "echo" or "http"
	Conns int    // connections
	Depth int    // requests in flight per connection: 1 is lock-step
	Size  int    // echo message size in bytes
}

func (w Workload) String() string {
	mode := "lock-step"
	if w.Depth > 1 {
		mode = fmt.Sprintf("pipelined %d", w.Depth)
	}
	if w.Kind == "http" {
		return fmt.Sprintf("http keep-alive, %d conns, %s", w.Conns, mode)
	}
	return fmt.Sprintf("echo %d B, %d conns, %s", w.Size, w.Conns, mode)
}

// Protocol returns the load generator's protocol for the workload.
func (w Workload) Protocol() load.Protocol {
	if w.Kind == "http" {
		return load.NewHTTP("127.0.0.1", "/")
	}
	return load.NewEcho(w.Size)
}

// Options bound a measurement.
type Options struct {
	ClientLoops int           // client event loops (OS threads)
	Warmup      time.Duration // load before measuring
	Duration    time.Duration // measured time; 0: until MaxTrips round trips are done
	MaxTrips    int64         // round-trip budget of the measured load (0: none)
}

// A Result is one measurement of one server under one workload.
type Result struct {
	Trips   int64         // round trips measured
	Rate    float64       // round trips per second
	CPU     time.Duration // server CPU time (user+system) per round trip
	Peak    int64         // server peak resident memory (VmHWM), bytes
	PerIdle float64       // server resident memory added per idle connection, bytes
	Client  time.Duration // load generator CPU time per round trip (this process, all threads)
}

// RaiseFileLimit lifts RLIMIT_NOFILE to its hard limit; servers started later inherit it.
func RaiseFileLimit() error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	lim.Cur = lim.Max
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
}

// Build compiles s into dir and returns the binary's path. benchDir is the bench/ directory.
func Build(s Server, benchDir, dir string) (string, error) {
	src := filepath.Join(benchDir, s.Dir)
	if _, err := os.Stat(filepath.Join(src, s.Pkg)); err != nil {
		return "", fmt.Errorf("%s not found (not written yet?)", filepath.Join(s.Dir, s.Pkg))
	}
	bin := filepath.Join(dir, strings.NewReplacer("/", "_", ".", "_").Replace(s.Dir+s.Pkg))
	if _, err := os.Stat(bin); err == nil {
		return bin, nil // gnet and gnet-1 share a binary
	}
	cmd := exec.Command("go", "build", "-o", bin, s.Pkg)
	cmd.Dir = src
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", s.Pkg, err, out)
	}
	return bin, nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// Measure starts the server binary bin, opens w.Conns connections, makes one round trip on
// each and records the idle memory, runs the load, and stops the server.
func Measure(bin string, args []string, w Workload, o Options) (res Result, err error) {
	addr, err := freeAddr()
	if err != nil {
		return res, err
	}
	cmd := exec.Command(bin, append(slices.Clone(args), "-addr", addr)...)
	cmd.Stdout = io.Discard
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return res, err
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
		if err != nil && stderr.Len() > 0 {
			err = fmt.Errorf("%w; server stderr: %s", err, strings.TrimSpace(stderr.String()))
		}
	}()
	pid := cmd.Process.Pid
	if err := waitListening(addr, 5*time.Second); err != nil {
		return res, err
	}
	time.Sleep(50 * time.Millisecond)
	base, err := procstat.Mem(pid)
	if err != nil {
		return res, err
	}
	loops := max(o.ClientLoops, 1)
	c, err := load.Dial(addr, w.Conns, loops)
	if err != nil {
		return res, err
	}
	defer c.Close()
	p := w.Protocol()
	if err := c.Prime(p, 30*time.Second); err != nil {
		return res, err
	}
	time.Sleep(200 * time.Millisecond)
	idle, err := procstat.Mem(pid)
	if err != nil {
		return res, err
	}
	res.PerIdle = float64(idle.RSS-base.RSS) / float64(w.Conns)

	if o.Warmup > 0 {
		r := c.Start(p, w.Depth, 0, 0)
		time.Sleep(o.Warmup)
		if err := r.Stop(); err != nil {
			return res, err
		}
	}
	cpu0, err := procstat.CPU(pid)
	if err != nil {
		return res, err
	}
	self := os.Getpid()
	client0 := must(procstat.CPU(self))
	t0 := time.Now()
	run := c.Start(p, w.Depth, 0, o.MaxTrips)
	if o.Duration > 0 {
		deadline := t0.Add(o.Duration)
		for time.Now().Before(deadline) && !run.Finished() {
			time.Sleep(5 * time.Millisecond)
		}
	} else {
		for !run.Finished() {
			time.Sleep(time.Millisecond)
		}
	}
	// Read the server's CPU before the drain at Stop, which is not counted in the trips
	// either way (the requests in flight at the end, a small share of a run).
	trips, cpu1, t1 := c.Completed(), must(procstat.CPU(pid)), time.Now()
	client1 := must(procstat.CPU(self))
	if err := run.Stop(); err != nil {
		return res, err
	}
	m, err := procstat.Mem(pid)
	if err != nil {
		return res, err
	}
	if trips <= 0 {
		return res, errors.New("no round trips measured")
	}
	res.Trips = trips
	res.Rate = float64(trips) / t1.Sub(t0).Seconds()
	res.CPU = (cpu1 - cpu0) / time.Duration(trips)
	res.Client = (client1 - client0) / time.Duration(trips)
	res.Peak = m.Peak
	return res, nil
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func waitListening(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server did not listen on %s within %v: %v", addr, timeout, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
