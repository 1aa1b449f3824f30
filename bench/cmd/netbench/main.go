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
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tskc-lang/tskc/bench/harness"
	"github.com/tskc-lang/tskc/bench/procstat"
)

// A result is one measurement, or its failure.
type result struct {
	harness.Result
	err error
}

func main() {
	var (
		serverList = flag.String("servers", "goroutine,gnet,gnet-1,tskc-rt,tskc,tskc-2,net/http,tskc-rt-http,greeter,greeter-2", "servers to run (comma-separated; see -list)")
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
		for _, s := range harness.Servers {
			fmt.Printf("%-10s %-4s %s\n", s.Name, s.Kind, s.About)
		}
		return
	}
	if err := harness.RaiseFileLimit(); err != nil {
		fmt.Fprintln(os.Stderr, "netbench:", err)
	}
	var chosen []harness.Server
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
		harness.Servers = append(harness.Servers, harness.Server{Name: name, Kind: kind, About: "prebuilt " + path})
		prebuilt[name] = path
		*serverList += "," + name
	}
	for _, name := range strings.Split(*serverList, ",") {
		if name == "" {
			continue
		}
		s, ok := harness.Lookup(name)
		if !ok {
			fatalf("unknown server %q (try -list)", name)
		}
		chosen = append(chosen, s)
	}
	tmp, err := os.MkdirTemp("", "netbench")
	if err != nil {
		fatalf("%v", err)
	}
	defer os.RemoveAll(tmp)
	bins := map[string]string{}
	var ready []harness.Server
	for _, s := range chosen {
		if p, ok := prebuilt[s.Name]; ok {
			bins[s.Name] = p
			ready = append(ready, s)
			continue
		}
		bin, err := harness.Build(s, ".", tmp)
		if err != nil {
			fmt.Fprintf(os.Stderr, "netbench: skipping %s: %v\n", s.Name, err)
			continue
		}
		bins[s.Name] = bin
		ready = append(ready, s)
	}

	var works []harness.Workload
	for _, n := range ints(*connList) {
		works = append(works, harness.Workload{Kind: "echo", Conns: n, Depth: 1, Size: *size}, harness.Workload{Kind: "echo", Conns: n, Depth: *depth, Size: *size})
	}
	for _, n := range ints(*httpConns) {
		works = append(works, harness.Workload{Kind: "http", Conns: n, Depth: 1})
	}

	printMachine()
	fmt.Printf("command: netbench %s\n", strings.Join(os.Args[1:], " "))
	fmt.Printf("load average at the start: %s\n", procstat.LoadAvg())
	fmt.Printf("per run: %v warm-up + %v measured; %d rounds, servers alternating; client: %d epoll loops\n\n",
		*warmup, *duration, *rounds, *loops)

	results := map[string]map[string][]result{} // workload -> server -> rounds
	for r := range *rounds {
		for _, w := range works {
			var group []harness.Server
			for _, s := range ready {
				if s.Kind == w.Kind {
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
				m, err := harness.Measure(bins[s.Name], s.Args, w, harness.Options{
					ClientLoops: *loops, Warmup: *warmup, Duration: *duration, MaxTrips: *maxTrips,
				})
				res := result{m, err}
				if results[w.String()] == nil {
					results[w.String()] = map[string][]result{}
				}
				results[w.String()][s.Name] = append(results[w.String()][s.Name], res)
				status := fmt.Sprintf("%10.0f rt/s  %6.2f µs CPU/rt", res.Rate, us(res.CPU))
				if res.err != nil {
					status = "error: " + res.err.Error()
				}
				fmt.Fprintf(os.Stderr, "round %d  %-40s %-10s %s\n", r+1, w, s.Name, status)
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
	fmt.Printf("load average at the end: %s (other processes on the machine share its CPUs)\n\n", procstat.LoadAvg())
	fmt.Println("legend:")
	for _, s := range ready {
		fmt.Printf("  %-10s %s\n", s.Name, s.About)
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
func report(out io.Writer, w harness.Workload, order []harness.Server, byServer map[string][]result) {
	fmt.Fprintf(out, "%s\n", w)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	base, ref := "goroutine", "gnet"
	if w.Kind == "http" {
		base, ref = "net/http", ""
	}
	header := "server\trt/s\tCPU µs/rt\tclient µs/rt\tpeak RSS MiB\tidle B/conn\trt/s ÷ " + base + "\tCPU ÷ " + base + "\tpeak RSS ÷ " + base + "\t"
	if ref != "" {
		header += "rt/s ÷ " + ref + "\t"
	}
	fmt.Fprintln(tw, header)
	stat := func(name string) (rate, cpu, peak, idle float64, ok bool) {
		rs := byServer[name]
		if len(rs) == 0 {
			return 0, 0, 0, 0, false
		}
		rate = median(rs, func(r result) float64 { return r.Rate })
		cpu = median(rs, func(r result) float64 { return us(r.CPU) })
		peak = median(rs, func(r result) float64 { return float64(r.Peak) })
		idle = median(rs, func(r result) float64 { return r.PerIdle })
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
		rs := byServer[s.Name]
		if len(rs) == 0 {
			continue
		}
		rate, cpu, peak, idle, ok := stat(s.Name)
		if !ok {
			var msgs []string
			for _, r := range rs {
				if r.err != nil {
					msgs = append(msgs, r.err.Error())
				}
			}
			fmt.Fprintf(tw, "%s\tfailed: %s\t\n", s.Name, strings.Join(msgs, "; "))
			continue
		}
		client := median(rs, func(r result) float64 { return us(r.Client) })
		line := fmt.Sprintf("%s\t%.0f\t%.2f\t%.2f\t%.1f\t%.0f\t%s\t%s\t%s\t", s.Name, rate, cpu, client, peak/(1<<20), idle,
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
