package runtime_test

import (
	"fmt"
	"time"

	tskrt "github.com/tskc-lang/tskc/runtime"
)

// counter receives ints for 100ms and returns their sum.
type counter struct {
	pc  int
	sum int
}

func (c *counter) Name() string { return "counter" }

func (c *counter) Resume(t *tskrt.Tasklet) tskrt.Status {
	for {
		switch c.pc {
		case 0:
			c.pc = 1
			if !t.Receive(nil, 100*time.Millisecond) {
				return tskrt.Suspended
			}
			fallthrough
		case 1:
			if t.Err() != nil {
				return t.Return(c.sum)
			}
			c.sum += t.Value().(int)
			c.pc = 0
		}
	}
}

// mainFrame spawns a counter, sends it three numbers and joins it.
type mainFrame struct {
	pc int
	c  *tskrt.Tasklet
}

func (m *mainFrame) Resume(t *tskrt.Tasklet) tskrt.Status {
	switch m.pc {
	case 0:
		m.c = t.Spawn(&counter{}, tskrt.Options{})
		for i := 1; i <= 3; i++ {
			t.Send(m.c, i)
		}
		m.pc = 1
		if !t.Join(m.c, tskrt.NoTimeout) {
			return tskrt.Suspended
		}
		fallthrough
	case 1:
		if err := t.Err(); err != nil {
			return t.Fail(err)
		}
		fmt.Println("sum:", t.Value(), "at", t.Now().Sub(start))
		return t.Return(nil)
	}
	panic("unreachable")
}

var start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// A hand-written frame program, on a virtual clock (tskrt.Dispatch(&mainFrame{}) runs it on
// the real clock).
func Example() {
	d := tskrt.NewDispatcher(tskrt.WithClock(tskrt.NewVirtualClock(start)))
	d.Spawn(&mainFrame{}, tskrt.Options{})
	fmt.Println("exit", d.Run())
	// Output:
	// sum: 6 at 100ms
	// exit 0
}
