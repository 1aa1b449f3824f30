package grammar

import (
	"bytes"
	"fmt"
	"syscall"
	"testing"
	"time"
)

// bigFile generates a realistic .tsk file of about n lines.
func bigFile(n int) []byte {
	var b bytes.Buffer
	b.WriteString("package big\n\nimport (\n\t\"errors\"\n\t\"fmt\"\n)\n\n")
	for i := 0; b.Len() == 0 || bytes.Count(b.Bytes(), []byte("\n")) < n; i++ {
		fmt.Fprintf(&b, `// Req%[1]d asks worker %[1]d for a sum.
message Req%[1]d { A, B int } reply int

// Worker%[1]d serves requests until it is idle.
tasklet Worker%[1]d(id int, out Channel[int]) (int, error) {
	total := 0
	for i := 0; i < 10; i++ {
		receive {
		case m := Req%[1]d:
			total += m.A * m.B
			reply m, m.A+m.B
		case string:
			fmt.Println("string", id)
		after 250ms:
			return total, errors.New("idle")
		}
		out <- total timeout 10ms
	}
	if total > 100 {
		sleep 1ms
	} else {
		yield
	}
	return total, nil
}

tasklet Main%[1]d() {
	ch := Channel[int]()
	w := spawn Worker%[1]d(%[1]d, ch) with {name: "w", mailbox: 16}
	r, err := call w, Req%[1]d{A: 1, B: 2} timeout 1s
	if err != nil {
		return
	}
	v := <-ch timeout 1s
	res, err := join w timeout 2s
	fmt.Println(r, v, res, err)
}

`, i)
	}
	return b.Bytes()
}

// cpuTime is the CPU time (user and system, all threads) the process has
// used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkParse10kLines parses a generated file of 10,000 lines. Besides
// wall time it reports cpu-ms/op, the CPU time of all threads (garbage
// collector included) per parse, which a busy machine does not inflate.
func BenchmarkParse10kLines(b *testing.B) {
	src := bigFile(10000)
	if _, err := ParseFile("big.tsk", src); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		if _, err := ParseFile("big.tsk", src); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

// BenchmarkFormat10kLines parses and prints the same file.
func BenchmarkFormat10kLines(b *testing.B) {
	src := bigFile(10000)
	b.SetBytes(int64(len(src)))
	start := cpuTime()
	for b.Loop() {
		if _, err := Format("big.tsk", src); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}
