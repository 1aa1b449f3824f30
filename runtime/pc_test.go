package runtime

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// levelFrame keeps its resume point in the tasklet's register (Tasklet.PC), as generated frames
// do: it yields, calls a sub-frame one level down (Enter) when depth > 0, yields again and
// returns its depth.
type levelFrame struct {
	name  string
	depth int
	log   *[]string
}

func (f *levelFrame) Resume(t *Tasklet) Status {
	switch t.PC {
	case 0:
		*f.log = append(*f.log, f.name+":start")
		t.PC = 1
		return Yielded
	case 1:
		if f.depth > 0 {
			t.PC = 2
			return suspendIn(t, &levelFrame{name: fmt.Sprintf("%s%d", f.name[:1], f.depth-1), depth: f.depth - 1, log: f.log})
		}
		*f.log = append(*f.log, f.name+":leaf")
		t.PC = 3
		return Yielded
	case 2:
		*f.log = append(*f.log, fmt.Sprintf("%s:after:%v", f.name, t.Value()))
		t.PC = 3
		return Yielded
	case 3:
		*f.log = append(*f.log, f.name+":end")
		return t.Return(f.depth)
	}
	panic(fmt.Sprintf("%s: resume point %d", f.name, t.PC))
}

// TestPCPerFrameLevel checks that the resume point register is kept per frame level: a sub-frame
// starts at 0, and its caller continues at the point it had when it entered it, at every
// level, while another tasklet doing the same interleaves with it.
func TestPCPerFrameLevel(t *testing.T) {
	var log []string
	d := NewDispatcher()
	a := d.Spawn(&levelFrame{name: "A3", depth: 3, log: &log}, Options{})
	b := d.Spawn(&levelFrame{name: "B2", depth: 2, log: &log}, Options{})
	if code := d.Run(); code != 0 {
		t.Fatalf("Run = %d", code)
	}
	for _, c := range []struct {
		tk    *Tasklet
		name  string
		depth int
	}{{a, "A", 3}, {b, "B", 2}} {
		if v, err := c.tk.Result(); v != c.depth || err != nil {
			t.Errorf("%s: Result = %v, %v, want %d, nil", c.name, v, err, c.depth)
		}
		var want []string
		for k := c.depth; k >= 0; k-- {
			want = append(want, fmt.Sprintf("%s%d:start", c.name, k))
		}
		want = append(want, c.name+"0:leaf", c.name+"0:end")
		for k := 1; k <= c.depth; k++ {
			want = append(want, fmt.Sprintf("%s%d:after:%d", c.name, k, k-1), fmt.Sprintf("%s%d:end", c.name, k))
		}
		var got []string
		for _, l := range log {
			if strings.HasPrefix(l, c.name) {
				got = append(got, l)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s's frames ran\n%s\nwant\n%s", c.name, strings.Join(got, " "), strings.Join(want, " "))
		}
	}
	if !strings.HasPrefix(strings.Join(log, " "), "A3:start B2:start A2:start B1:start") {
		t.Errorf("the tasklets did not interleave: %s", strings.Join(log, " "))
	}
}

// pcRecovering enters sub at resume point 7 and recovers its panic.
type pcRecovering struct {
	sub Frame
}

func (r *pcRecovering) Recover(t *Tasklet, p any) bool {
	return t.Return(fmt.Sprint("recovered ", p, " at ", t.PC)) == Finished
}

func (r *pcRecovering) Resume(t *Tasklet) Status {
	if t.PC == 0 {
		t.PC = 7
		return suspendIn(t, r.sub)
	}
	panic("the recovering frame has returned")
}

// pcCaller enters rec at resume point 2 and returns what it returned, so its resume point must
// come back after the recovering frame ended with the frames it called.
type pcCaller struct{ rec Frame }

func (c *pcCaller) Resume(t *Tasklet) Status {
	switch t.PC {
	case 0:
		t.PC = 2
		return suspendIn(t, c.rec)
	case 2:
		return t.Return(t.Value())
	}
	panic(fmt.Sprintf("caller resumed at %d", t.PC))
}

// boomFrame yields at resume point 5, then panics.
type boomFrame struct{}

func (*boomFrame) Resume(t *Tasklet) Status {
	if t.PC == 0 {
		t.PC = 5
		return Yielded
	}
	panic("boom")
}

// TestPCAfterRecover checks that when a calling frame recovers a panic of a frame it entered
// (the panicking frame had its own resume point), Recover sees the recovering frame's resume
// point, and the frame that called it continues at its own.
func TestPCAfterRecover(t *testing.T) {
	d := NewDispatcher()
	c := d.Spawn(&pcCaller{rec: &pcRecovering{sub: &boomFrame{}}}, Options{})
	if code := d.Run(); code != 0 {
		t.Fatalf("Run = %d", code)
	}
	if v, err := c.Result(); v != "recovered boom at 7" || err != nil {
		t.Errorf("Result = %v, %v, want recovered boom at 7, nil", v, err)
	}
}
