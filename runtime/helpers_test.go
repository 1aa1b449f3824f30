package runtime

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// env is a dispatcher on a virtual clock with a trace of events, for tests.
type env struct {
	t      testing.TB
	d      *Dispatcher
	clock  *VirtualClock
	stderr *bytes.Buffer
	trace  []string
}

func newEnv(tb testing.TB) *env {
	c := NewVirtualClock(epoch)
	var buf bytes.Buffer
	return &env{t: tb, d: NewDispatcher(WithClock(c), WithStderr(&buf)), clock: c, stderr: &buf}
}

// log records an event.
func (e *env) log(format string, args ...any) {
	e.trace = append(e.trace, fmt.Sprintf(format, args...))
}

// logAt records an event with the virtual time elapsed since the epoch.
func (e *env) logAt(format string, args ...any) {
	e.trace = append(e.trace, fmt.Sprintf(format, args...)+"@"+e.clock.Now().Sub(epoch).String())
}

// elapsed returns the virtual time since the epoch.
func (e *env) elapsed() time.Duration { return e.clock.Now().Sub(epoch) }

func (e *env) run(wantCode int) {
	e.t.Helper()
	if code := e.d.Run(); code != wantCode {
		e.t.Fatalf("Run() = %d, want %d; stderr:\n%s", code, wantCode, e.stderr.String())
	}
}

func (e *env) wantTrace(want ...string) {
	e.t.Helper()
	got := strings.Join(e.trace, " ")
	if w := strings.Join(want, " "); got != w {
		e.t.Fatalf("trace:\n got: %s\nwant: %s", got, w)
	}
}

// script is a hand-written frame made of steps. Each step starts at most one operation and
// returns what the operation returned (true: go on at once; false: suspend, and the next step
// runs when the tasklet resumes). A step may set pc to jump.
type script struct {
	name  string
	steps []func(t *Tasklet) bool
	pc    int
	ret   any
	err   error
}

func (s *script) Name() string { return s.name }

func (s *script) Resume(t *Tasklet) Status {
	for s.pc < len(s.steps) {
		st := s.steps[s.pc]
		s.pc++
		if !st(t) {
			return Suspended
		}
	}
	if s.err != nil {
		return t.Fail(s.err)
	}
	return t.Return(s.ret)
}

func steps(name string, st ...func(t *Tasklet) bool) *script {
	return &script{name: name, steps: st}
}

// do is a step that runs fn and starts no operation.
func do(fn func(t *Tasklet)) func(t *Tasklet) bool {
	return func(t *Tasklet) bool { fn(t); return true }
}

// forever is a frame that starts op again and again; after each completion it calls after,
// which ends the tasklet by returning true.
type forever struct {
	name    string
	op      func(t *Tasklet) bool
	after   func(t *Tasklet) bool
	started bool
}

func (f *forever) Name() string { return f.name }

func (f *forever) Resume(t *Tasklet) Status {
	for {
		if f.started && f.after(t) {
			if err := t.Err(); err != nil {
				return t.Fail(err)
			}
			return t.Return(nil)
		}
		f.started = true
		if !f.op(t) {
			return Suspended
		}
	}
}

// failOnErr is a step that makes the script fail with the error of the operation before it,
// as generated code does with an error it does not take.
func failOnErr(t *Tasklet) bool {
	if err := t.Err(); err != nil {
		s := t.frame.(*script)
		s.err, s.pc = err, len(s.steps)
	}
	return true
}
