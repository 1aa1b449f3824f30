package sample

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	tskrt "github.com/tskc-lang/tskc/runtime"
)

// TestFrameHoldsLiveLocals checks that Sizer's frame holds the parameters
// and the locals live across its receive (total, i and the receive buffer),
// and not buf or v, which die before it, nor a resume point (the tasklet
// record keeps it: Tasklet.PC).
func TestFrameHoldsLiveLocals(t *testing.T) {
	// n, total, i and the receive buffer are ints; ch is a pointer.
	want := 4*unsafe.Sizeof(int(0)) + unsafe.Sizeof((*tskrt.Channel[int])(nil))
	if got := unsafe.Sizeof(sizerFrame{}); got != want {
		t.Errorf("unsafe.Sizeof(sizerFrame{}) = %d, want %d (n, ch, total, i, recv)", got, want)
	}
	var names []string
	for _, f := range reflect.VisibleFields(reflect.TypeOf(sizerFrame{})) {
		names = append(names, f.Name)
	}
	if got, want := strings.Join(names, " "), "n ch total i recv"; got != want {
		t.Errorf("sizerFrame fields = %s, want %s", got, want)
	}
}

// TestFrameSizes checks the sizes of generated frames, which every parked
// tasklet pays for: no frame keeps a resume point of its own (the tasklet
// record does), so a frame is its live variables. Parker, the suite's park
// workload (a slice and an int), is 32 bytes, a size class of its own.
func TestFrameSizes(t *testing.T) {
	word := unsafe.Sizeof(0)
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"parkerFrame", unsafe.Sizeof(parkerFrame{}), 32},
		{"pingerFrame", unsafe.Sizeof(pingerFrame{}), 5 * word}, // ping, pong, n, i, recv
		{"yielderFrame", unsafe.Sizeof(yielderFrame{}), word},   // n
	} {
		if c.got != c.want {
			t.Errorf("unsafe.Sizeof(%s{}) = %d, want %d", c.name, c.got, c.want)
		}
	}
	for _, typ := range []reflect.Type{
		reflect.TypeOf(parkerFrame{}), reflect.TypeOf(pingerFrame{}), reflect.TypeOf(yielderFrame{}),
		reflect.TypeOf(sizerFrame{}), reflect.TypeOf(echoFrame{}), reflect.TypeOf(awaitTwoFrame{}),
	} {
		if _, ok := typ.FieldByName("pc"); ok {
			t.Errorf("%s has a field pc: the resume point belongs in the tasklet record", typ)
		}
	}
}

// TestParkerRuns parks Parkers in receive and sends each its message.
func TestParkerRuns(t *testing.T) {
	d := tskrt.NewDispatcher()
	out := make([]int, 3)
	var ts []*tskrt.Tasklet
	for i := range out {
		ts = append(ts, d.Spawn(Parker(out, i), tskrt.Options{}))
	}
	d.Spawn(&mailer{to: ts}, tskrt.Options{})
	if code := d.Run(); code != 0 {
		t.Fatalf("Run = %d", code)
	}
	if fmt.Sprint(out) != "[100 101 102]" {
		t.Errorf("out = %v, want [100 101 102]", out)
	}
}

// mailer is a hand-written frame sending 100+i to tasklet i of to, after a
// yield, so that they are all parked.
type mailer struct {
	to []*tskrt.Tasklet
}

func (m *mailer) Resume(t *tskrt.Tasklet) tskrt.Status {
	if t.PC == 0 {
		t.PC = 1 // a hand-written frame may keep its resume point in the record too
		return tskrt.Yielded
	}
	for i, to := range m.to {
		t.Send(to, 100+i)
	}
	return t.Return(nil)
}

// TestSizerRuns runs Sizer against a sender.
func TestSizerRuns(t *testing.T) {
	d := tskrt.NewDispatcher()
	ch := tskrt.NewChannel[int]()
	s := d.Spawn(Sizer(3, ch), tskrt.Options{})
	d.Spawn(Pinger(ch, tskrt.NewChannel[int](), 0), tskrt.Options{})
	d.Spawn(&sender{ch: ch, vs: []int{1, 2, 3}}, tskrt.Options{})
	if code := d.Run(); code != 0 {
		t.Fatalf("Run = %d", code)
	}
	if !s.HasFinished() {
		t.Fatal("Sizer did not finish")
	}
}

// sender is a hand-written frame sending vs on ch.
type sender struct {
	ch *tskrt.Channel[int]
	vs []int
	pc int
}

func (s *sender) Resume(t *tskrt.Tasklet) tskrt.Status {
	for len(s.vs) > 0 {
		if s.pc == 0 {
			s.pc = 1
			if !s.ch.Send(t, s.vs[0], tskrt.NoTimeout) {
				return tskrt.Suspended
			}
		}
		s.pc = 0
		s.vs = s.vs[1:]
	}
	return t.Return(nil)
}

// TestPanicNamesTskLine checks that the stack trace of a panic in a
// tasklet names the .tsk line.
func TestPanicNamesTskLine(t *testing.T) {
	src, err := os.ReadFile("sample.tsk")
	if err != nil {
		t.Fatal(err)
	}
	line := 0
	for i, l := range strings.Split(string(src), "\n") {
		if strings.Contains(l, `m["boom"] = 1`) {
			line = i + 1
		}
	}
	var stderr bytes.Buffer
	d := tskrt.NewDispatcher(tskrt.WithStderr(&stderr))
	d.Spawn(Crash(nil), tskrt.Options{})
	d.Run()
	want := fmt.Sprintf("sample.tsk:%d", line)
	if !strings.Contains(stderr.String(), want) {
		t.Errorf("panic report does not name %s:\n%s", want, stderr.String())
	}
}

// TestEchoFrame checks the frame of examples/echo's connection tasklet, the
// part of an idle connection's memory that codegen decides: the program
// armed bit of its defer has a word, the two awaited
// operations share one field, and the deferred s.Close() keeps only its
// receiver. 48 bytes is a size class of its own (it was 80, plus 40 bytes
// in three allocations for the defer).
func TestEchoFrame(t *testing.T) {
	if got, want := unsafe.Sizeof(echoFrame{}), uintptr(48); got != want {
		t.Errorf("unsafe.Sizeof(echoFrame{}) = %d, want %d", got, want)
	}
	var names []string
	for _, f := range reflect.VisibleFields(reflect.TypeOf(echoFrame{})) {
		names = append(names, f.Name)
	}
	if got, want := strings.Join(names, " "), "deferred c s op defer0Recv"; got != want {
		t.Errorf("echoFrame fields = %s, want %s", got, want)
	}
}

// TestDeferAllocatesNothing checks that a defer kept in frame fields costs
// no allocation: a tasklet with one runs with as many allocations as the
// same tasklet without, and the deferred call runs once.
func TestDeferAllocatesNothing(t *testing.T) {
	d := tskrt.NewDispatcher()
	c := &closer{}
	run := func(mk func(*closer) tskrt.Frame) float64 {
		return testing.AllocsPerRun(100, func() {
			d.Spawn(mk(c), tskrt.Options{})
			d.Run()
		})
	}
	with, without := run(Deferrer), run(NoDeferrer)
	if with != without {
		t.Errorf("allocations per tasklet: %v with a defer, %v without", with, without)
	}
	if c.closed != 2*101 {
		t.Errorf("Close ran %d times, want %d", c.closed, 2*101)
	}
}

// TestAwaitShared runs the awaits of a frame whose operations share a
// field of type any.
func TestAwaitShared(t *testing.T) {
	d := tskrt.NewDispatcher()
	one := d.Spawn(AwaitOne(3), tskrt.Options{})
	two := d.Spawn(AwaitTwo(3), tskrt.Options{})
	d.Run()
	for _, c := range []struct {
		tk   *tskrt.Tasklet
		want int
	}{{one, 3}, {two, 6}} {
		if v, err := c.tk.Result(); v != c.want || err != nil {
			t.Errorf("%v: result %v, %v; want %d, nil", c.tk, v, err, c.want)
		}
	}
}
