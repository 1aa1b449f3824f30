package runtime

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
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

// goListener starts a Go listener whose connections are handled by serve in goroutines.
func goListener(tb testing.TB, network string, serve func(net.Conn)) net.Listener {
	tb.Helper()
	addr := "127.0.0.1:0"
	if network == "unix" {
		addr = filepath.Join(tb.TempDir(), "s.sock")
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serve(c)
		}
	}()
	return ln
}

// dialStep is the step list of `c, err := await Dial(network, addr) timeout 5s` storing into *c.
func dialStep(e *errs, network, addr string, c **Conn) []step {
	return aw(5*time.Second, func() Op[*Conn] { return Dial(network, addr) }, func(v *Conn, err error) {
		if err != nil {
			e.add("dial %s: %v", addr, err)
		}
		*c = v
	})
}

// TestDialHalfCloseEOF: a tasklet dials a Go server (TCP and unix), sends a request, half-closes;
// the server reads to EOF and answers; the tasklet reads the answer, then io.EOF.
func TestDialHalfCloseEOF(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			ln := goListener(t, network, func(c net.Conn) {
				defer c.Close()
				req, err := io.ReadAll(c) // until our CloseWrite
				if err != nil {
					return
				}
				c.Write([]byte("got " + string(req)))
			})
			d, stderr := newNetDispatcher()
			var e errs
			var c *Conn
			var got []byte
			buf := make([]byte, 64)
			var p *netProg
			p = prog("client",
				dialStep(&e, network, ln.Addr().String(), &c),
				do(func(t *Tasklet) {
					if c == nil {
						p.jump("end")
						return
					}
					if network == "tcp" && c.RemoteAddr().String() != ln.Addr().String() {
						e.add("RemoteAddr = %v; want %v", c.RemoteAddr(), ln.Addr())
					}
				}),
				aw(time.Second, func() Op[int] { return c.Write([]byte("ping")) }, func(n int, err error) {
					if n != 4 || err != nil {
						e.add("write = %d, %v", n, err)
					}
					if err := c.CloseWrite(); err != nil {
						e.add("CloseWrite: %v", err)
					}
				}),
				label("read"),
				aw(time.Second, func() Op[int] { return c.Read(buf) }, func(n int, err error) {
					got = append(got, buf[:n]...)
					switch {
					case err == io.EOF:
						c.Close()
						p.jump("end")
					case err != nil:
						e.add("read: %v", err)
						p.jump("end")
					default:
						p.jump("read")
					}
				}),
				label("end"),
			)
			d.Spawn(p, Options{})
			if code := runNet(t, d); code != 0 {
				t.Fatalf("Run = %d; stderr: %s", code, stderr)
			}
			e.check(t)
			if string(got) != "got ping" {
				t.Errorf("got %q; want %q", got, "got ping")
			}
		})
	}
}

// TestResetIsAnError: a peer that aborts the connection (RST) is an error, not io.EOF; a
// later write fails too; the dispatcher goes on.
func TestResetIsAnError(t *testing.T) {
	ln := goListener(t, "tcp", func(c net.Conn) {
		io.ReadFull(c, make([]byte, 1))
		c.(*net.TCPConn).SetLinger(0) // close sends RST
		c.Close()
	})
	d, stderr := newNetDispatcher()
	var e errs
	var c *Conn
	buf := make([]byte, 64)
	var readErr error
	p := prog("client",
		dialStep(&e, "tcp", ln.Addr().String(), &c),
		aw(time.Second, func() Op[int] { return c.Write([]byte("x")) }, func(n int, err error) {
			if err != nil {
				e.add("write: %v", err)
			}
		}),
		aw(2*time.Second, func() Op[int] { return c.Read(buf) }, func(n int, err error) { readErr = err }),
		aw(time.Second, func() Op[int] { return c.Write([]byte("y")) }, func(n int, err error) {
			if err == nil {
				e.add("write after reset: no error")
			}
		}),
		do(func(t *Tasklet) { c.Close() }),
	)
	d.Spawn(p, Options{})
	if code := runNet(t, d); code != 0 {
		t.Fatalf("Run = %d; stderr: %s", code, stderr)
	}
	e.check(t)
	if readErr == nil || readErr == io.EOF || !errors.Is(readErr, syscall.ECONNRESET) {
		t.Fatalf("read after RST: %v; want ECONNRESET", readErr)
	}
}

// TestReadTimeoutThenReuse: a slow peer makes a read time out with ErrTimeout; the connection
// stays usable and the next read gets the data.
func TestReadTimeoutThenReuse(t *testing.T) {
	release := make(chan struct{})
	ln := goListener(t, "tcp", func(c net.Conn) {
		defer c.Close()
		<-release
		c.Write([]byte("late"))
		io.Copy(io.Discard, c)
	})
	d, stderr := newNetDispatcher()
	var e errs
	var c *Conn
	buf := make([]byte, 64)
	var first error
	var second string
	p := prog("client",
		dialStep(&e, "tcp", ln.Addr().String(), &c),
		aw(30*time.Millisecond, func() Op[int] { return c.Read(buf) }, func(n int, err error) {
			first = err
			close(release)
		}),
		aw(5*time.Second, func() Op[int] { return c.Read(buf) }, func(n int, err error) {
			if err != nil {
				e.add("second read: %v", err)
			}
			second = string(buf[:n])
			c.Close()
		}),
	)
	d.Spawn(p, Options{})
	if code := runNet(t, d); code != 0 {
		t.Fatalf("Run = %d; stderr: %s", code, stderr)
	}
	e.check(t)
	if first != ErrTimeout {
		t.Errorf("first read: %v; want ErrTimeout", first)
	}
	if second != "late" {
		t.Errorf("second read = %q; want %q", second, "late")
	}
}

// TestCloseWakesReaderAndKillEndsRead: closing a socket wakes the tasklet reading it with
// net.ErrClosed; killing a tasklet parked in a read ends the read with ErrKilled and leaves
// the socket usable.
func TestCloseWakesReaderAndKillEndsRead(t *testing.T) {
	ln := goListener(t, "tcp", func(c net.Conn) {
		defer c.Close()
		io.Copy(io.Discard, c)
	})
	d, stderr := newNetDispatcher()
	var e errs
	var c1, c2 *Conn
	var err1, err2 error
	buf1, buf2 := make([]byte, 8), make([]byte, 8)
	var reader1, reader2 *Tasklet
	main := prog("main",
		dialStep(&e, "tcp", ln.Addr().String(), &c1),
		dialStep(&e, "tcp", ln.Addr().String(), &c2),
		do(func(t *Tasklet) {
			reader1 = t.Spawn(prog("reader1", aw(5*time.Second, func() Op[int] { return c1.Read(buf1) },
				func(n int, err error) { err1 = err })), Options{})
			reader2 = t.Spawn(prog("reader2", aw(5*time.Second, func() Op[int] { return c2.Read(buf2) },
				func(n int, err error) { err2 = err })), Options{})
		}),
		func(t *Tasklet) bool { return t.Sleep(20 * time.Millisecond) }, // both readers park
		do(func(t *Tasklet) {
			if err := c1.Close(); err != nil {
				e.add("close: %v", err)
			}
			if err := c1.Close(); !errors.Is(err, net.ErrClosed) {
				e.add("second close: %v; want net.ErrClosed", err)
			}
		}),
		func(t *Tasklet) bool { return t.KillWait(reader2) },
		// c2 still works after the killed read.
		aw(time.Second, func() Op[int] { return c2.Write([]byte("still")) }, func(n int, err error) {
			if err != nil {
				e.add("write after kill: %v", err)
			}
			c2.Close()
		}),
		func(t *Tasklet) bool { return t.Join(reader1, time.Second) },
	)
	d.Spawn(main, Options{})
	if code := runNet(t, d); code != 0 {
		t.Fatalf("Run = %d; stderr: %s", code, stderr)
	}
	e.check(t)
	if !errors.Is(err1, net.ErrClosed) {
		t.Errorf("reader of a closed socket: %v; want net.ErrClosed", err1)
	}
	if err2 != ErrKilled {
		t.Errorf("killed reader: %v; want ErrKilled", err2)
	}
	_ = reader1
}

// TestBusyRead: a second tasklet reading a socket that one already reads gets ErrBusy at once.
func TestBusyRead(t *testing.T) {
	ln := goListener(t, "tcp", func(c net.Conn) {
		defer c.Close()
		io.Copy(io.Discard, c)
	})
	d, stderr := newNetDispatcher()
	var e errs
	var c *Conn
	var busyErr, firstErr error
	buf := make([]byte, 8)
	main := prog("main",
		dialStep(&e, "tcp", ln.Addr().String(), &c),
		do(func(t *Tasklet) {
			t.Spawn(prog("first", aw(5*time.Second, func() Op[int] { return c.Read(buf) },
				func(n int, err error) { firstErr = err })), Options{})
		}),
		func(t *Tasklet) bool { return t.Yield() },
		aw(time.Second, func() Op[int] { return c.Read(make([]byte, 8)) }, func(n int, err error) {
			busyErr = err
			c.Close()
		}),
	)
	d.Spawn(main, Options{})
	if code := runNet(t, d); code != 0 {
		t.Fatalf("Run = %d; stderr: %s", code, stderr)
	}
	e.check(t)
	if !errors.Is(busyErr, ErrBusy) {
		t.Errorf("second reader: %v; want ErrBusy", busyErr)
	}
	if !errors.Is(firstErr, net.ErrClosed) {
		t.Errorf("first reader: %v; want net.ErrClosed", firstErr)
	}
}

// TestDialErrors: a refused connection and a name that needs DNS fail with errors; a dial to a
// listener whose accept queue is full times out with ErrTimeout.
func TestDialErrors(t *testing.T) {
	// A port with nothing listening: take a free one and close it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := l.Addr().String()
	l.Close()

	d, stderr := newNetDispatcher()
	var errRefused, errName, errBad error
	main := prog("main",
		aw(time.Second, func() Op[*Conn] { return Dial("tcp", refused) }, func(c *Conn, err error) { errRefused = err }),
		aw(time.Second, func() Op[*Conn] { return Dial("tcp", "no-such-host.invalid:80") }, func(c *Conn, err error) { errName = err }),
		aw(time.Second, func() Op[*Conn] { return Dial("udp", "127.0.0.1:1") }, func(c *Conn, err error) { errBad = err }),
	)
	d.Spawn(main, Options{})
	if code := runNet(t, d); code != 0 {
		t.Fatalf("Run = %d; stderr: %s", code, stderr)
	}
	if !errors.Is(errRefused, syscall.ECONNREFUSED) {
		t.Errorf("dial refused: %v; want ECONNREFUSED", errRefused)
	}
	var dnsErr *net.DNSError
	if !errors.As(errName, &dnsErr) {
		t.Errorf("dial by name: %v; want a *net.DNSError", errName)
	}
	if errBad == nil || !strings.Contains(errBad.Error(), "udp") {
		t.Errorf("dial udp: %v; want an unknown network error", errBad)
	}
}

// TestAcceptEMFILE: when the process runs out of file descriptors, Accept completes with
// EMFILE, the listener stays open, and once descriptors are free again the same listener
// accepts the waiting connection and serves it.
func TestAcceptEMFILE(t *testing.T) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skip(err)
	}
	// A low soft limit, so filling the table is quick.
	low := lim
	low.Cur = 256
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Skip(err)
	}
	defer syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)

	d, stderr := newNetDispatcher()
	var e errs
	var ln *Listener
	var fillers []*os.File
	defer func() {
		for _, f := range fillers {
			f.Close()
		}
	}()
	clientDone := make(chan error, 1)
	var firstErr error
	var c *Conn
	buf := make([]byte, 16)
	p := prog("server",
		aw(time.Second, func() Op[*Listener] { return Listen("tcp", "127.0.0.1:0") }, func(v *Listener, err error) {
			if err != nil {
				e.add("listen: %v", err)
			}
			ln = v
		}),
		do(func(t *Tasklet) {
			for {
				f, err := os.Open(os.DevNull)
				if err != nil {
					break
				}
				fillers = append(fillers, f)
			}
			// One descriptor left: for the client's socket.
			fillers[len(fillers)-1].Close()
			fillers = fillers[:len(fillers)-1]
			addr := ln.Addr().String()
			go func() {
				conn, err := net.Dial("tcp", addr)
				if err != nil {
					clientDone <- err
					return
				}
				defer conn.Close()
				conn.Write([]byte("hi"))
				got := make([]byte, 2)
				_, err = io.ReadFull(conn, got)
				if err == nil && string(got) != "hi" {
					err = errors.New("echo: got " + string(got))
				}
				clientDone <- err
			}()
		}),
		aw(5*time.Second, func() Op[*Conn] { return ln.Accept() }, func(v *Conn, err error) {
			firstErr = err
			if v != nil {
				v.Close()
			}
			for _, f := range fillers[len(fillers)-8:] {
				f.Close()
			}
			fillers = fillers[:len(fillers)-8]
		}),
		aw(5*time.Second, func() Op[*Conn] { return ln.Accept() }, func(v *Conn, err error) {
			if err != nil {
				e.add("accept after EMFILE: %v", err)
			}
			c = v
		}),
		aw(time.Second, func() Op[int] { return c.Read(buf) }, func(n int, err error) {
			if err != nil {
				e.add("read: %v", err)
			}
			buf = buf[:n]
		}),
		aw(time.Second, func() Op[int] { return c.Write(buf) }, func(n int, err error) {
			if err != nil {
				e.add("write: %v", err)
			}
		}),
		do(func(t *Tasklet) {
			if err := <-clientDone; err != nil {
				e.add("client: %v", err)
			}
			c.Close()
			ln.Close()
		}),
	)
	d.Spawn(p, Options{})
	if code := runNet(t, d); code != 0 {
		t.Fatalf("Run = %d; stderr: %s", code, stderr)
	}
	e.check(t)
	if !errors.Is(firstErr, syscall.EMFILE) {
		t.Errorf("accept with no descriptors left: %v; want EMFILE", firstErr)
	}
}

// TestDialTimeout: connecting to a listener whose accept queue is full (nobody accepts) does
// not complete; the dial's timeout ends it with ErrTimeout and releases the socket.
func TestDialTimeout(t *testing.T) {
	// A raw listener with the smallest backlog that is never accepted from.
	fd, _, err := listenSocket("tcp", "127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := syscall.Getsockname(fd)
	addr := netAddr(toUnixSockaddr(sa)).String()
	// Fill the accept queue (and the SYN queue) with connections nobody accepts.
	var fill []net.Conn
	defer func() {
		for _, c := range fill {
			c.Close()
		}
	}()
	for range 4 {
		c, err := net.DialTimeout("tcp", addr, 50*time.Millisecond)
		if err != nil {
			break
		}
		fill = append(fill, c)
	}
	d, stderr := newNetDispatcher()
	var dialErr error
	var took time.Duration
	p := prog("client",
		aw(100*time.Millisecond, func() Op[*Conn] { return Dial("tcp", addr) }, func(c *Conn, err error) {
			dialErr = err
			if c != nil {
				c.Close()
			}
		}),
	)
	start := time.Now()
	d.Spawn(p, Options{})
	if code := runNet(t, d); code != 0 {
		t.Fatalf("Run = %d; stderr: %s", code, stderr)
	}
	took = time.Since(start)
	if dialErr != ErrTimeout {
		t.Fatalf("dial to a full accept queue: %v after %v; want ErrTimeout", dialErr, took)
	}
}

func toUnixSockaddr(sa syscall.Sockaddr) unix.Sockaddr {
	switch sa := sa.(type) {
	case *syscall.SockaddrInet4:
		return &unix.SockaddrInet4{Port: sa.Port, Addr: sa.Addr}
	case *syscall.SockaddrInet6:
		return &unix.SockaddrInet6{Port: sa.Port, Addr: sa.Addr}
	}
	return nil
}

// TestDialHostName: a name that needs a lookup is dialed on the offload pool and the
// connection is adopted by the dispatcher: reads and writes (and their timeouts) work on it.
func TestDialHostName(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Skip(err)
	}
	addrs, err := net.LookupHost(host)
	if err != nil || !slices.Contains(addrs, "127.0.0.1") {
		t.Skipf("%s does not resolve to 127.0.0.1 here (%v, %v)", host, addrs, err)
	}
	ln := goListener(t, "tcp", func(c net.Conn) {
		defer c.Close()
		buf := make([]byte, 4)
		io.ReadFull(c, buf)
		c.Write(buf)
		io.Copy(io.Discard, c)
	})
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	d, stderr := newNetDispatcher()
	var e errs
	var c *Conn
	buf := make([]byte, 4)
	p := prog("client",
		dialStep(&e, "tcp4", net.JoinHostPort(host, port), &c),
		do(func(t *Tasklet) {
			if c == nil {
				t.Kill()
			}
		}),
		aw(time.Second, func() Op[int] { return c.Write([]byte("ping")) }, func(n int, err error) {
			if err != nil {
				e.add("write: %v", err)
			}
		}),
		aw(time.Second, func() Op[[]byte] { return NewStream(c).ReadFull(4) }, func(v []byte, err error) {
			if string(v) != "ping" || err != nil {
				e.add("ReadFull = %q, %v", v, err)
			}
		}),
		aw(20*time.Millisecond, func() Op[int] { return c.Read(buf) }, func(n int, err error) {
			if err != ErrTimeout {
				e.add("read with nothing coming: %d, %v; want ErrTimeout", n, err)
			}
			c.Close()
		}),
	)
	d.Spawn(p, Options{})
	runNet(t, d)
	if stderr.Len() > 0 {
		t.Log(stderr)
	}
	e.check(t)
}

// TestUnixListener: a tasklet server on a unix socket accepts a Go client and answers it;
// closing the listener removes the socket file.
func TestUnixListener(t *testing.T) {
	path := filepath.Join(t.TempDir(), "echo.sock")
	d, stderr := newNetDispatcher()
	var e errs
	var ln *Listener
	var c *Conn
	ready := make(chan struct{})
	clientErr := make(chan error, 1)
	p := prog("server",
		aw(time.Second, func() Op[*Listener] { return Listen("unix", path) }, func(v *Listener, err error) {
			if err != nil {
				e.add("listen: %v", err)
			}
			ln = v
			if got := ln.Addr().String(); got != path {
				e.add("Addr = %q; want %q", got, path)
			}
			close(ready)
		}),
		aw(5*time.Second, func() Op[*Conn] { return ln.Accept() }, func(v *Conn, err error) {
			if err != nil {
				e.add("accept: %v", err)
			}
			c = v
		}),
		aw(time.Second, func() Op[[]byte] { return NewStream(c).ReadLine() }, func(v []byte, err error) {
			if string(v) != "ping" || err != nil {
				e.add("ReadLine = %q, %v", v, err)
			}
		}),
		aw(time.Second, func() Op[int] { return c.Write([]byte("pong\n")) }, func(n int, err error) {
			if err != nil {
				e.add("write: %v", err)
			}
			c.Close()
			ln.Close()
		}),
	)
	d.Spawn(p, Options{})
	go func() {
		<-ready
		conn, err := net.Dial("unix", path)
		if err != nil {
			clientErr <- err
			return
		}
		defer conn.Close()
		conn.Write([]byte("ping\n"))
		got, err := io.ReadAll(conn)
		if err == nil && string(got) != "pong\n" {
			err = errors.New("got " + string(got))
		}
		clientErr <- err
	}()
	if code := runNet(t, d); code != 0 {
		t.Fatalf("Run = %d; stderr: %s", code, stderr)
	}
	e.check(t)
	if err := <-clientErr; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("socket file left behind after Close: %v", err)
	}
}

// TestWriteToGonePeerAndSlowReader: writing to a peer that closed its socket fails with an
// error (EPIPE or ECONNRESET), not a hang or a signal; writing to a peer that does not read
// times out with ErrTimeout after filling the buffers, reporting how much went out.
func TestWriteToGonePeerAndSlowReader(t *testing.T) {
	gone := goListener(t, "tcp", func(c net.Conn) { c.Close() })
	stall := make(chan struct{})
	t.Cleanup(func() { close(stall) })
	slow := goListener(t, "tcp", func(c net.Conn) {
		<-stall
		c.Close()
	})
	d, stderr := newNetDispatcher()
	var e errs
	var c1, c2 *Conn
	big := make([]byte, 32<<20)
	var goneErr, slowErr error
	var slowN, tries int
	var p *netProg
	p = prog("client",
		dialStep(&e, "tcp", gone.Addr().String(), &c1),
		// The first writes may be taken by the kernel (the peer's RST answers them): write
		// until the error comes, for at most 2s.
		label("again"),
		func(t *Tasklet) bool { return t.Sleep(5 * time.Millisecond) },
		aw(time.Second, func() Op[int] { return c1.Write([]byte("hello?")) }, func(n int, err error) {
			goneErr = err
			if err == nil && tries < 400 {
				tries++
				p.jump("again")
				return
			}
			c1.Close()
		}),
		dialStep(&e, "tcp", slow.Addr().String(), &c2),
		aw(100*time.Millisecond, func() Op[int] { return c2.Write(big) }, func(n int, err error) {
			slowErr, slowN = err, n
			c2.Close()
		}),
	)
	d.Spawn(p, Options{})
	if code := runNet(t, d); code != 0 {
		t.Fatalf("Run = %d; stderr: %s", code, stderr)
	}
	e.check(t)
	if !errors.Is(goneErr, syscall.EPIPE) && !errors.Is(goneErr, syscall.ECONNRESET) {
		t.Errorf("write to a closed peer: %v; want EPIPE or ECONNRESET", goneErr)
	}
	if slowErr != ErrTimeout || slowN <= 0 || slowN >= len(big) {
		t.Errorf("write to a stalled peer: %d bytes, %v; want some bytes and ErrTimeout", slowN, slowErr)
	}
}

// TestIONotStarvedByBusyTasklets: a tasklet that never stops yielding does not keep a
// tasklet waiting for a socket from running: the reader gets its data (and stops the busy
// one) long before the busy one's bounded loop ends.
func TestIONotStarvedByBusyTasklets(t *testing.T) {
	const limit = 2_000_000
	ln := goListener(t, "tcp", func(c net.Conn) {
		defer c.Close()
		time.Sleep(5 * time.Millisecond)
		c.Write([]byte("data"))
		io.Copy(io.Discard, c)
	})
	d, stderr := newNetDispatcher()
	var e errs
	var c *Conn
	spins, spinsAtRead := 0, -1
	var busy *Tasklet
	buf := make([]byte, 8)
	var spin *netProg
	spin = prog("busy",
		label("loop"),
		func(t *Tasklet) bool { return t.Yield() },
		do(func(t *Tasklet) {
			if t.Err() != nil {
				spin.jump("end") // killed
				return
			}
			if spins++; spins < limit {
				spin.jump("loop")
			}
		}),
		label("end"),
	)
	main := prog("main",
		dialStep(&e, "tcp", ln.Addr().String(), &c),
		do(func(t *Tasklet) { busy = t.Spawn(spin, Options{}) }),
		aw(5*time.Second, func() Op[int] { return c.Read(buf) }, func(n int, err error) {
			if err != nil {
				e.add("read: %v", err)
			}
			spinsAtRead = spins
			busy.Kill()
			c.Close()
		}),
	)
	d.Spawn(main, Options{})
	if code := runNet(t, d); code != 0 {
		t.Fatalf("Run = %d; stderr: %s", code, stderr)
	}
	e.check(t)
	if spinsAtRead < 0 || spinsAtRead >= limit {
		t.Fatalf("the reader ran after %d of %d yields of the busy tasklet: IO starved", spinsAtRead, limit)
	}
}

// TestAcceptTimeoutAndClose: Accept times out with ErrTimeout and the listener stays usable;
// closing the listener wakes a tasklet waiting in Accept with net.ErrClosed.
func TestAcceptTimeoutAndClose(t *testing.T) {
	d, stderr := newNetDispatcher()
	var e errs
	var ln *Listener
	var timeoutErr, closedErr error
	p := prog("server",
		aw(time.Second, func() Op[*Listener] { return Listen("tcp", "127.0.0.1:0") }, func(v *Listener, err error) {
			if err != nil {
				e.add("listen: %v", err)
			}
			ln = v
		}),
		aw(10*time.Millisecond, func() Op[*Conn] { return ln.Accept() }, func(c *Conn, err error) { timeoutErr = err }),
		do(func(t *Tasklet) {
			t.Spawn(prog("closer", func(t *Tasklet) bool { return t.Sleep(10 * time.Millisecond) },
				do(func(t *Tasklet) { ln.Close() })), Options{})
		}),
		aw(5*time.Second, func() Op[*Conn] { return ln.Accept() }, func(c *Conn, err error) { closedErr = err }),
	)
	d.Spawn(p, Options{})
	if code := runNet(t, d); code != 0 {
		t.Fatalf("Run = %d; stderr: %s", code, stderr)
	}
	e.check(t)
	if timeoutErr != ErrTimeout {
		t.Errorf("accept with nobody connecting: %v; want ErrTimeout", timeoutErr)
	}
	if !errors.Is(closedErr, net.ErrClosed) {
		t.Errorf("accept on a listener closed meanwhile: %v; want net.ErrClosed", closedErr)
	}
}

// TestReadUnderDeadline: an enclosing deadline bounds a read that has no timeout of its own.
func TestReadUnderDeadline(t *testing.T) {
	ln := goListener(t, "tcp", func(c net.Conn) {
		defer c.Close()
		io.Copy(io.Discard, c)
	})
	d, stderr := newNetDispatcher()
	var e errs
	var c *Conn
	var readErr error
	var expired bool
	p := prog("client",
		dialStep(&e, "tcp", ln.Addr().String(), &c),
		do(func(t *Tasklet) { t.PushDeadline(20 * time.Millisecond) }),
		aw(NoTimeout, func() Op[int] { return c.Read(make([]byte, 8)) }, func(n int, err error) { readErr = err }),
		do(func(t *Tasklet) {
			expired = t.DeadlineExpired()
			t.PopDeadline()
			c.Close()
		}),
	)
	d.Spawn(p, Options{})
	if code := runNet(t, d); code != 0 {
		t.Fatalf("Run = %d; stderr: %s", code, stderr)
	}
	e.check(t)
	if readErr != ErrTimeout || !expired {
		t.Errorf("read under a 20ms deadline: %v (deadline expired: %v); want ErrTimeout, true", readErr, expired)
	}
}

// TestNoDelayByDefault: accepted and dialed TCP connections have TCP_NODELAY set;
// SetNoDelay(false) clears it.
func TestNoDelayByDefault(t *testing.T) {
	d, stderr := newNetDispatcher()
	var e errs
	var ln *Listener
	var dialed, accepted *Conn
	nodelay := func(c *Conn) int {
		v, err := unix.GetsockoptInt(c.fd.fdnum(), unix.IPPROTO_TCP, unix.TCP_NODELAY)
		if err != nil {
			e.add("getsockopt: %v", err)
		}
		return v
	}
	p := prog("main",
		aw(time.Second, func() Op[*Listener] { return Listen("tcp", "127.0.0.1:0") }, func(v *Listener, err error) {
			if err != nil {
				e.add("listen: %v", err)
			}
			ln = v
		}),
		aw(time.Second, func() Op[*Conn] { return Dial("tcp", ln.Addr().String()) }, func(c *Conn, err error) {
			if err != nil {
				e.add("dial: %v", err)
			}
			dialed = c
		}),
		aw(time.Second, func() Op[*Conn] { return ln.Accept() }, func(c *Conn, err error) {
			if err != nil {
				e.add("accept: %v", err)
			}
			accepted = c
		}),
		do(func(t *Tasklet) {
			if nodelay(dialed) == 0 || nodelay(accepted) == 0 {
				e.add("TCP_NODELAY not set: dialed %d, accepted %d", nodelay(dialed), nodelay(accepted))
			}
			if err := dialed.SetNoDelay(false); err != nil || nodelay(dialed) != 0 {
				e.add("SetNoDelay(false): %v, TCP_NODELAY now %d", err, nodelay(dialed))
			}
			dialed.Close()
			accepted.Close()
			ln.Close()
		}),
	)
	d.Spawn(p, Options{})
	if code := runNet(t, d); code != 0 {
		t.Fatalf("Run = %d; stderr: %s", code, stderr)
	}
	e.check(t)
}

// TestSharedListenersOnDispatchers: two dispatchers (the second from StartDispatcher) listen on
// one address with ListenShared; the kernel spreads 64 connections between them, each
// connection is answered by the dispatcher that accepted it, and closing the listeners (Do,
// from the test goroutine) ends both.
func TestSharedListenersOnDispatchers(t *testing.T) {
	const conns = 64
	var e errs
	lns := make([]*Listener, 2)
	ready := make(chan string, 2)
	server := func(idx int, addr func() string) *netProg {
		var ln *Listener
		var c *Conn
		buf := make([]byte, 1)
		var p *netProg
		p = prog(fmt.Sprint("server", idx),
			aw(NoTimeout, func() Op[*Listener] { return ListenShared("tcp", addr()) }, func(v *Listener, err error) {
				if err != nil {
					e.add("listen %d: %v", idx, err)
					ready <- ""
					p.jump("end")
					return
				}
				ln, lns[idx] = v, v
				ready <- v.Addr().String()
			}),
			label("accept"),
			aw(NoTimeout, func() Op[*Conn] { return ln.Accept() }, func(v *Conn, err error) {
				c = v
				if err != nil {
					p.jump("end") // the listener was closed
				}
			}),
			aw(5*time.Second, func() Op[int] { return c.Read(buf) }, func(n int, err error) {
				if err != nil {
					e.add("read %d: %v", idx, err)
				}
			}),
			aw(5*time.Second, func() Op[int] { return c.Write([]byte{buf[0], byte('0' + idx)}) }, func(n int, err error) {
				if err != nil {
					e.add("write %d: %v", idx, err)
				}
				c.Close()
				p.jump("accept")
			}),
			label("end"),
			do(func(t *Tasklet) {}),
		)
		return p
	}
	d0, stderr := newNetDispatcher()
	d0.Spawn(server(0, func() string { return "127.0.0.1:0" }), Options{})
	code0 := make(chan int, 1)
	go func() { code0 <- d0.Run() }()
	addr := <-ready
	if addr == "" {
		t.Fatal("first listener failed")
	}
	d1 := StartDispatcher(server(1, func() string { return addr }), WithStderr(io.Discard))
	if <-ready == "" {
		t.Fatal("second listener failed")
	}
	byIdx := map[byte]int{}
	for i := range conns {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		reply := make([]byte, 2)
		conn.Write([]byte{byte('a' + i%26)})
		if _, err := io.ReadFull(conn, reply); err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		if reply[0] != byte('a'+i%26) {
			t.Errorf("connection %d: reply %q", i, reply)
		}
		byIdx[reply[1]]++
		conn.Close()
	}
	d0.Do(func() { lns[0].Close() })
	d1.Do(func() { lns[1].Close() })
	select {
	case code := <-code0:
		if code != 0 {
			t.Fatalf("Run = %d; stderr: %s", code, stderr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("first dispatcher did not end")
	}
	e.check(t)
	if stderr.Len() > 0 {
		t.Errorf("dispatcher log: %s", stderr)
	}
	if byIdx['0'] == 0 || byIdx['1'] == 0 || byIdx['0']+byIdx['1'] != conns {
		t.Errorf("connections answered by dispatcher 0, 1: %d, %d; want both some, %d in all", byIdx['0'], byIdx['1'], conns)
	}
}
