package runtime

import (
	"errors"
	"testing"
)

// lineFrame panics on a line that a //line directive maps to a .tsk file, as generated code does.
type lineFrame struct{}

func (lineFrame) Resume(t *Tasklet) Status {
	var s []int
	i := len(t.Name())
//line fake.tsk:42:3
	s[i] = 1
	return t.Return(nil)
}

func TestPanicErrorCarriesTskPosition(t *testing.T) {
	e := newEnv(t)
	p := e.d.Spawn(lineFrame{}, Options{Name: "P"})
	e.run(0)
	_, err := p.Result()
	var pe *PanicError
	if !errors.As(err, &pe) || pe.Pos != "fake.tsk:42" {
		t.Fatalf("err = %v (pos %q)", err, pe.Pos)
	}
	if want := "panic at fake.tsk:42: runtime error: index out of range [1] with length 0"; err.Error() != want {
		t.Fatalf("Error() = %q, want %q", err.Error(), want)
	}
}
