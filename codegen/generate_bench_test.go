package codegen

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// bigPackage returns a .tsk package of about lines lines: messages and
// tasklets with loops, channel operations, receives, replies, calls and
// spawns.
func bigPackage(lines int) []byte {
	var b strings.Builder
	b.WriteString("package big\n\nimport \"fmt\"\n\n")
	for k := 0; strings.Count(b.String(), "\n") < lines; k++ {
		fmt.Fprintf(&b, `message Msg%[1]d { A, B int } reply int

// Worker%[1]d sums what arrives on ch and answers one message.
tasklet Worker%[1]d(ch Channel[int], n int) int {
	total := 0
	for i := 0; i < n; i++ {
		v, err := <-ch timeout 10ms
		if err != nil {
			continue
		}
		switch {
		case v > 10:
			total += v
			sleep 1ms
		default:
			total -= v
		}
	}
	receive {
	case m := Msg%[1]d:
		reply m, m.A+m.B+total
	after 1s:
	}
	fmt.Println("worker", total)
	return total
}

// Boss%[1]d starts a worker, feeds it and asks it.
tasklet Boss%[1]d() {
	ch := Channel[int]()
	w := spawn Worker%[1]d(ch, 3) with {name: "w%[1]d"}
	for i := range 3 {
		ch <- i
	}
	r, err := call w, Msg%[1]d{A: 1, B: 2} timeout 1s
	fmt.Println(r, err)
	join w
}

`, k)
	}
	return []byte(b.String())
}

// BenchmarkGenerate2000 compiles a 2,000-line .tsk package, go/packages
// load and type checking included.
func BenchmarkGenerate2000(b *testing.B) {
	src := bigPackage(2000)
	overlay := map[string][]byte{filepath.Join(pkgDir, "big.tsk"): src}
	if _, err := Generate(pkgDir, Config{Overlay: overlay}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := Generate(pkgDir, Config{Overlay: overlay}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(strings.Count(string(src), "\n")), "lines")
}
