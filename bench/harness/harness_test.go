package harness

import (
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binDir    string
	bins      = map[string]string{}
	buildErrs = map[string]error{}
)

// binary builds (once per test binary) the server called name and returns its path.
func binary(tb testing.TB, name string) (Server, string) {
	tb.Helper()
	s, ok := Lookup(name)
	if !ok {
		tb.Fatalf("no server %q", name)
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "harness")
		if err != nil {
			panic(err)
		}
		binDir = dir
		if err := RaiseFileLimit(); err != nil {
			fmt.Fprintln(os.Stderr, "harness:", err)
		}
	})
	if err, ok := buildErrs[name]; ok {
		tb.Skipf("%s: %v", name, err)
	}
	if b, ok := bins[name]; ok {
		return s, b
	}
	b, err := Build(s, "..", binDir)
	if err != nil {
		buildErrs[name] = err
		tb.Skipf("%s: %v", name, err)
	}
	bins[name] = b
	return s, b
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// TestMeasure runs a small measurement of the goroutine echo server and checks that every
// figure is filled in and plausible.
func TestMeasure(t *testing.T) {
	s, bin := binary(t, "goroutine")
	w := Workload{Kind: "echo", Conns: 20, Depth: 4, Size: 64}
	res, err := Measure(bin, s.Args, w, Options{ClientLoops: 2, MaxTrips: 20000})
	if err != nil {
		t.Fatal(err)
	}
	if res.Trips < 20000 || res.Rate <= 0 || res.CPU <= 0 || res.CPU > time.Millisecond {
		t.Errorf("implausible result %+v", res)
	}
	if res.Peak < 1<<20 || res.Peak > 1<<30 {
		t.Errorf("peak RSS %d bytes: implausible", res.Peak)
	}
}

// benchServers are the echo and http servers the benchmarks compare, side by side.
var (
	echoServers = []string{"goroutine", "gnet", "gnet-1", "tskc-rt", "tskc", "tskc-2"}
	httpServers = []string{"net/http", "tskc-rt-http", "greeter", "greeter-2"}
)

// BenchmarkEcho measures each echo server under each workload; b.N is the number of round
// trips. Besides ns/op (wall time per round trip, the inverse of throughput) it reports the
// server's CPU time per round trip, its peak RSS and its RSS per idle connection. Setting up
// 10,000 connections takes a while: run it with a fixed count, e.g.
//
//	go test -run XXX -bench Echo -benchtime 400000x ./harness
func BenchmarkEcho(b *testing.B) {
	for _, conns := range []int{100, 1000, 10000} {
		for _, depth := range []int{1, 16} {
			w := Workload{Kind: "echo", Conns: conns, Depth: depth, Size: 64}
			for _, name := range echoServers {
				b.Run(fmt.Sprintf("conns=%d/depth=%d/%s", conns, depth, name), func(b *testing.B) {
					benchMeasure(b, name, w)
				})
			}
		}
	}
}

// BenchmarkHTTP measures keep-alive GET requests against the HTTP hello servers.
func BenchmarkHTTP(b *testing.B) {
	for _, conns := range []int{100, 1000} {
		w := Workload{Kind: "http", Conns: conns, Depth: 1}
		for _, name := range httpServers {
			b.Run(fmt.Sprintf("conns=%d/%s", conns, name), func(b *testing.B) {
				benchMeasure(b, name, w)
			})
		}
	}
}

func benchMeasure(b *testing.B, name string, w Workload) {
	s, bin := binary(b, name)
	res, err := Measure(bin, s.Args, w, Options{ClientLoops: 2, MaxTrips: int64(b.N)})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(1e9/res.Rate, "ns/op")
	b.ReportMetric(res.Rate, "rt/s")
	b.ReportMetric(float64(res.CPU)/float64(time.Microsecond), "server-µs/rt")
	b.ReportMetric(float64(res.Peak)/(1<<20), "peak-MiB")
	b.ReportMetric(res.PerIdle, "idle-B/conn")
	b.ReportMetric(float64(res.Client)/float64(time.Microsecond), "client-µs/rt")
}
