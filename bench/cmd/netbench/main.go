// Command netbench runs the network benchmarks of tskc: echo servers and HTTP hello servers,
// each a separate process on loopback, driven by the load generator of package load.
//
// Usage:
//
//	cd bench && go run ./cmd/netbench [flags]
//
// For every workload (echo: 64-byte messages over 100, 1,000 and 10,000 connections, lock-step
// and 16 in flight per connection; http: keep-alive GETs, one in flight per connection) it
// starts each server afresh, in an order that rotates from round to round, and measures round
// trips per second, the server's CPU time per round trip (utime+stime from /proc/PID/stat) and
// its peak resident memory (VmHWM), and, before the load starts, its resident memory per idle
// connection. It prints a table per workload with medians over the rounds and ratios.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/tskc-lang/tskc/bench/load"
	"github.com/tskc-lang/tskc/bench/procstat"
)

// A server is one program under test.
type server struct {
	name  string   // short name in the tables
	kind  string   // "echo" or "http"
	dir   string   // directory (relative to bench/) to run `go build` in
	pkg   string   // package to build, relative to dir
	args  []string // extra arguments; -addr is added
	about string   // one line for the legend
}

var servers = []server{
	{name: "goroutine", kind: "echo", dir: ".", pkg: "./servers/goecho", about: "net, one goroutine per connection, 1 KiB buffer"},
	{name: "gnet", kind: "echo", dir: ".", pkg: "./servers/gnetecho", about: "gnet/v2 v2.9.7, multicore (one event loop per CPU)"},
	{name: "gnet-1", kind: "echo", dir: ".", pkg: "./servers/gnetecho", args: []string{"-loops", "1"}, about: "gnet/v2 v2.9.7, one event loop"},
	{name: "tskc-rt", kind: "echo", dir: ".", pkg: "./servers/tskecho", about: "tskc runtime, hand-written frames (the shape tskc generates), one dispatcher thread"},
	{name: "tskc", kind: "echo", dir: "..", pkg: "./examples/echo", about: "examples/echo (.tsk compiled by tskc), one dispatcher thread"},
	{name: "net/http", kind: "http", dir: ".", pkg: "./servers/nethttp", about: "Go net/http hello server"},
	{name: "greeter", kind: "http", dir: "..", pkg: "./examples/greeter", about: "examples/greeter (.tsk compiled by tskc), one dispatcher thread"},
}

type workload struct {
	kind  string // "echo" or "http"
	conns int
	depth int
}

func (w workload) String() string {
	mode := "lock-step"
	if w.depth > 1 {
		mode = fmt.Sprintf("pipelined %d", w.depth)
	}
	if w.kind == "http" {
		return fmt.Sprintf("http keep-alive, %d conns, %s", w.conns, mode)
	}
	return fmt.Sprintf("echo 64 B, %d conns, %s", w.conns, mode)
}

// A result is one measurement of one server under one workload.
type result struct {
	rate    float64       // round trips per second
	cpu     time.Duration // server CPU per round trip
	peak    int64         // server VmHWM, bytes
	perIdle float64       // server RSS growth per idle connection, bytes
	err     error
}

func main() {
	var (
		serverList = flag.String("servers", "goroutine,gnet,gnet-1,tskc-rt,tskc,net/http,greeter", "servers to run (comma-separated; see -list)")
		connList   = flag.String("conns", "100,1000,10000", "echo connection counts")
		httpConns  = flag.String("http-conns", "100,1000", "http connection counts")
		depth      = flag.Int("depth", 16, "messages in flight per connection in the pipelined workloads")
		size       = flag.Int("size", 64, "echo message size in bytes")
		duration   = flag.Duration("duration", 2*time.Second, "measured time per run")
		warmup     = flag.Duration("warmup", 500*time.Millisecond, "load before measuring, per run")
		rounds     = flag.Int("rounds", 3, "rounds; the servers' order rotates each round, and medians are shown")
		maxTrips   = flag.Int64("max-trips", 200_000_000, "round-trip budget per run (the run stops early when spent)")
		loops      = flag.Int("client-loops", 2, "client event loops (OS threads)")
		list       = flag.Bool("list", false, "list the servers and exit")
		custom     = flag.String("custom", "", "extra prebuilt servers: name=path[,name:http=path...] (they must accept -addr)")
	)
	flag.Parse()
	if *list {
		for _, s := range servers {
			fmt.Printf("%-10s %-4s %s\n", s.name, s.kind, s.about)
		}
		return
	}
	if err := raiseFileLimit(); err != nil {
		fmt.Fprintln(os.Stderr, "netbench:", err)
	}
	var chosen []server
	prebuilt := map[string]string{}
	for _, spec := range strings.Split(*custom, ",") {
		if spec == "" {
			continue
		}
		name, path, ok := strings.Cut(spec, "=")
		if !ok {
			fatalf("bad -custom %q (want name=path)", spec)
		}
		kind := "echo"
		if n, k, ok := strings.Cut(name, ":"); ok {
			name, kind = n, k
		}
		servers = append(servers, server{name: name, kind: kind, about: "prebuilt " + path})
		prebuilt[name] = path
		*serverList += "," + name
	}
	for _, name := range strings.Split(*serverList, ",") {
		if name == "" {
			continue
		}
		i := slices.IndexFunc(servers, func(s server) bool { return s.name == name })
		if i < 0 {
			fatalf("unknown server %q (try -list)", name)
		}
		chosen = append(chosen, servers[i])
	}
	tmp, err := os.MkdirTemp("", "netbench")
	if err != nil {
		fatalf("%v", err)
	}
	defer os.RemoveAll(tmp)
	bins := map[string]string{}
	var ready []server
	for _, s := range chosen {
		if p, ok := prebuilt[s.name]; ok {
			bins[s.name] = p
			ready = append(ready, s)
			continue
		}
		bin, err := build(s, tmp)
		if err != nil {
			fmt.Fprintf(os.Stderr, "netbench: skipping %s: %v\n", s.name, err)
			continue
		}
		bins[s.name] = bin
		ready = append(ready, s)
	}

	var works []workload
	for _, n := range ints(*connList) {
		works = append(works, workload{"echo", n, 1}, workload{"echo", n, *depth})
	}
	for _, n := range ints(*httpConns) {
		works = append(works, workload{"http", n, 1})
	}

	printMachine()
	fmt.Printf("command: netbench %s\n", strings.Join(os.Args[1:], " "))
	fmt.Printf("per run: %v warm-up + %v measured; %d rounds, servers alternating; client: %d epoll loops\n\n",
		*warmup, *duration, *rounds, *loops)

	results := map[string]map[string][]result{} // workload -> server -> rounds
	for r := range *rounds {
		for _, w := range works {
			var group []server
			for _, s := range ready {
				if s.kind == w.kind {
					group = append(group, s)
				}
			}
			if len(group) == 0 {
				continue
			}
			// Rotate the order each round so no server always runs first (or last).
			k := r % len(group)
			group = append(group[k:], group[:k]...)
			for _, s := range group {
				var p load.Protocol = load.NewEcho(*size)
				if w.kind == "http" {
					p = load.NewHTTP("127.0.0.1", "/")
				}
				res := measure(bins[s.name], s.args, w, p, *loops, *warmup, *duration, *maxTrips)
				if results[w.String()] == nil {
					results[w.String()] = map[string][]result{}
				}
				results[w.String()][s.name] = append(results[w.String()][s.name], res)
				status := fmt.Sprintf("%10.0f rt/s  %6.2f µs CPU/rt", res.rate, us(res.cpu))
				if res.err != nil {
					status = "error: " + res.err.Error()
				}
				fmt.Fprintf(os.Stderr, "round %d  %-40s %-10s %s\n", r+1, w, s.name, status)
			}
		}
	}
	fmt.Println()
	for _, w := range works {
		byServer := results[w.String()]
		if byServer == nil {
			continue
		}
		report(os.Stdout, w, ready, byServer)
	}
	fmt.Println("legend:")
	for _, s := range ready {
		fmt.Printf("  %-10s %s\n", s.name, s.about)
	}
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "netbench: "+format+"\n", args...)
	os.Exit(1)
}

func ints(s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			fatalf("bad count %q", f)
		}
		out = append(out, n)
	}
	return out
}

// raiseFileLimit lifts RLIMIT_NOFILE to its hard limit; the servers inherit it.
func raiseFileLimit() error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	lim.Cur = lim.Max
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
}

func build(s server, tmp string) (string, error) {
	if _, err := os.Stat(filepath.Join(s.dir, s.pkg)); err != nil {
		return "", fmt.Errorf("%s not found (not written yet?)", filepath.Join(s.dir, s.pkg))
	}
	bin := filepath.Join(tmp, strings.NewReplacer("/", "_", ".", "_").Replace(s.dir+s.pkg))
	if _, err := os.Stat(bin); err == nil {
		return bin, nil // gnet and gnet-1 share a binary
	}
	cmd := exec.Command("go", "build", "-o", bin, s.pkg)
	cmd.Dir = s.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", s.pkg, err, out)
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

// measure starts a server, opens w.conns connections, primes them, records the idle memory,
// runs the load, and stops the server.
func measure(bin string, args []string, w workload, p load.Protocol, loops int, warmup, duration time.Duration, maxTrips int64) (res result) {
	addr, err := freeAddr()
	if err != nil {
		return result{err: err}
	}
	cmd := exec.Command(bin, append(slices.Clone(args), "-addr", addr)...)
	cmd.Stdout = io.Discard
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return result{err: err}
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
		if res.err != nil && stderr.Len() > 0 {
			res.err = fmt.Errorf("%w; server stderr: %s", res.err, strings.TrimSpace(stderr.String()))
		}
	}()
	pid := cmd.Process.Pid
	if err := waitListening(addr, 5*time.Second); err != nil {
		return result{err: err}
	}
	time.Sleep(50 * time.Millisecond)
	base, err := procstat.Mem(pid)
	if err != nil {
		return result{err: err}
	}
	c, err := load.Dial(addr, w.conns, loops)
	if err != nil {
		return result{err: err}
	}
	defer c.Close()
	if err := c.Prime(p, 30*time.Second); err != nil {
		return result{err: err}
	}
	time.Sleep(200 * time.Millisecond)
	idle, err := procstat.Mem(pid)
	if err != nil {
		return result{err: err}
	}
	res.perIdle = float64(idle.RSS-base.RSS) / float64(w.conns)

	run := c.Start(p, w.depth, 0, maxTrips)
	time.Sleep(warmup)
	n0, cpu0, t0 := c.Completed(), must(procstat.CPU(pid)), time.Now()
	time.Sleep(duration)
	n1, cpu1, t1 := c.Completed(), must(procstat.CPU(pid)), time.Now()
	if err := run.Stop(); err != nil {
		return result{err: err}
	}
	m, err := procstat.Mem(pid)
	if err != nil {
		return result{err: err}
	}
	trips := n1 - n0
	if trips <= 0 {
		return result{err: errors.New("no round trips measured")}
	}
	res.rate = float64(trips) / t1.Sub(t0).Seconds()
	res.cpu = (cpu1 - cpu0) / time.Duration(trips)
	res.peak = m.Peak
	return res
}

func must[T any](v T, err error) T {
	if err != nil {
		fatalf("%v", err)
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

func median(rs []result, f func(result) float64) float64 {
	var v []float64
	for _, r := range rs {
		if r.err == nil {
			v = append(v, f(r))
		}
	}
	if len(v) == 0 {
		return 0
	}
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// report prints one workload's table: medians, then ratios to the baseline (the goroutine
// server for echo, net/http for http) and, for echo, to gnet.
func report(out io.Writer, w workload, order []server, byServer map[string][]result) {
	fmt.Fprintf(out, "%s\n", w)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	base, ref := "goroutine", "gnet"
	if w.kind == "http" {
		base, ref = "net/http", ""
	}
	header := "server\trt/s\tCPU µs/rt\tpeak RSS MiB\tidle B/conn\trt/s ÷ " + base + "\tCPU ÷ " + base + "\tpeak RSS ÷ " + base + "\t"
	if ref != "" {
		header += "rt/s ÷ " + ref + "\t"
	}
	fmt.Fprintln(tw, header)
	stat := func(name string) (rate, cpu, peak, idle float64, ok bool) {
		rs := byServer[name]
		if len(rs) == 0 {
			return 0, 0, 0, 0, false
		}
		rate = median(rs, func(r result) float64 { return r.rate })
		cpu = median(rs, func(r result) float64 { return us(r.cpu) })
		peak = median(rs, func(r result) float64 { return float64(r.peak) })
		idle = median(rs, func(r result) float64 { return r.perIdle })
		return rate, cpu, peak, idle, rate > 0
	}
	bRate, bCPU, bPeak, _, bOK := stat(base)
	rRate, _, _, _, rOK := stat(ref)
	ratio := func(a, b float64, ok bool) string {
		if !ok || b == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f", a/b)
	}
	for _, s := range order {
		rs := byServer[s.name]
		if len(rs) == 0 {
			continue
		}
		rate, cpu, peak, idle, ok := stat(s.name)
		if !ok {
			var msgs []string
			for _, r := range rs {
				if r.err != nil {
					msgs = append(msgs, r.err.Error())
				}
			}
			fmt.Fprintf(tw, "%s\tfailed: %s\t\n", s.name, strings.Join(msgs, "; "))
			continue
		}
		line := fmt.Sprintf("%s\t%.0f\t%.2f\t%.1f\t%.0f\t%s\t%s\t%s\t", s.name, rate, cpu, peak/(1<<20), idle,
			ratio(rate, bRate, bOK), ratio(cpu, bCPU, bOK), ratio(peak, bPeak, bOK))
		if ref != "" {
			line += ratio(rate, rRate, rOK) + "\t"
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
	fmt.Fprintln(out)
}

func printMachine() {
	model := "?"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	kernel := "?"
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = strings.TrimSpace(string(b))
	}
	out, _ := exec.Command("go", "version").Output()
	fmt.Printf("machine: %s, %d CPUs, Linux %s, %s\n", model, numCPU(), kernel, strings.TrimSpace(string(out)))
}

func numCPU() int {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	return strings.Count(string(b), "processor\t:")
}
