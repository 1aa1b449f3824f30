package runtime

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// The network tests run a real dispatcher (real clock, real epoll) against peers written with
// Go's net package in ordinary goroutines, over loopback. Tasklets are hand-written frames
// (script, from helpers_test.go) whose steps await the operations.

type step = func(t *Tasklet) bool

// aw returns the two steps of `v, err := await mk() timeout d`: start, then read the result.
func aw[T any](d time.Duration, mk func() Op[T], got func(v T, err error)) []step {
	var op Op[T]
	return []step{
		func(t *Tasklet) bool { op = mk(); return op.Start(t, d) },
		func(t *Tasklet) bool { v, err := op.Result(t); got(v, err); return true },
	}
}

// label marks a place in a netProg that goto can jump to.
type label string

// netProg is a script with labels.
type netProg struct {
	*script
	labels map[label]int
}

// prog builds a netProg from steps, step lists and labels.
func prog(name string, parts ...any) *netProg {
	p := &netProg{script: &script{name: name}, labels: map[label]int{}}
	for _, x := range parts {
		switch x := x.(type) {
		case step:
			p.steps = append(p.steps, x)
		case []step:
			p.steps = append(p.steps, x...)
		case label:
			p.labels[x] = len(p.steps)
		default:
			panic("prog: not a step")
		}
	}
	return p
}

// jump makes the program continue at l after the current step.
func (p *netProg) jump(l label) {
	i, ok := p.labels[l]
	if !ok {
		panic("no label " + string(l))
	}
	p.pc = i
}

// runNet runs d in a goroutine and fails the test if it does not end within 10s.
func runNet(tb testing.TB, d *Dispatcher) int {
	tb.Helper()
	done := make(chan int, 1)
	go func() { done <- d.Run() }()
	select {
	case code := <-done:
		return code
	case <-time.After(10 * time.Second):
		tb.Fatal("dispatcher did not finish within 10s")
		return -1
	}
}

func newNetDispatcher() (*Dispatcher, *bytes.Buffer) {
	var buf bytes.Buffer
	return NewDispatcher(WithStderr(&lockedWriter{w: &buf})), &buf
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// errs collects failures seen inside tasklets (on the dispatcher goroutine), for the test
// goroutine to report after Run.
type errs struct {
	mu   sync.Mutex
	list []string
}

func (e *errs) add(format string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, fmt.Sprintf(format, args...))
}

func (e *errs) check(tb testing.TB) {
	tb.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range e.list {
		tb.Error(s)
	}
}

// TestEchoServerTasklet: a tasklet server accepts and echoes; a Go client sends frames.
func TestEchoServerTasklet(t *testing.T) {
	d, stderr := newNetDispatcher()
	var e errs
	addrc := make(chan string, 1)
	var ln *Listener
	var c *Conn
	buf := make([]byte, 100)
	var n int
	var s *netProg
	s = prog("server",
		aw(NoTimeout, func() Op[*Listener] { return Listen("tcp", "127.0.0.1:0") }, func(v *Listener, err error) {
			if err != nil {
				e.add("listen: %v", err)
			}
			ln = v
			addrc <- ln.Addr().String()
		}),
		aw(5*time.Second, func() Op[*Conn] { return ln.Accept() }, func(v *Conn, err error) {
			if err != nil {
				e.add("accept: %v", err)
			}
			c = v
		}),
		label("read"),
		aw(5*time.Second, func() Op[int] { return c.Read(buf) }, func(v int, err error) {
			n = v
			if err == io.EOF {
				s.jump("close")
				return
			}
			if err != nil {
				e.add("read: %v", err)
				s.jump("close")
			}
		}),
		aw(5*time.Second, func() Op[int] { return c.Write(buf[:n]) }, func(v int, err error) {
			if err != nil || v != n {
				e.add("write = %d, %v; want %d, nil", v, err, n)
			}
			s.jump("read")
		}),
		label("close"),
		do(func(t *Tasklet) {
			if err := c.Close(); err != nil {
				e.add("close: %v", err)
			}
			ln.Close()
		}),
	)
	d.Spawn(s, Options{})
	done := make(chan error, 1)
	go func() {
		addr := <-addrc
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			done <- err
			return
		}
		defer conn.Close()
		for _, msg := range []string{"hello", "x", strings.Repeat("0123456789", 10)} {
			if _, err := conn.Write([]byte(msg)); err != nil {
				done <- err
				return
			}
			got := make([]byte, len(msg))
			if _, err := io.ReadFull(conn, got); err != nil {
				done <- err
				return
			}
			if string(got) != msg {
				done <- errors.New("echo: got " + string(got) + ", want " + msg)
				return
			}
		}
		done <- nil
	}()
	if code := runNet(t, d); code != 0 {
		t.Fatalf("Run = %d; stderr: %s", code, stderr)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	e.check(t)
}
