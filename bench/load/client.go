// Package load is the load generator of the network benchmarks: many TCP connections over
// loopback, driven by a few epoll event loops (one OS thread each), so that the client spends
// little CPU per round trip and the server under test is what the figures measure.
//
// Every connection keeps Depth requests in flight: Depth 1 is lock-step (send, wait for the
// response, send again); Depth 16 is pipelined. A run stops by itself when its time is up or
// its budget of round trips is spent.
package load

import (
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// A Client holds open connections to one server, spread over its event loops.
type Client struct {
	loops []*loop
}

type conn struct {
	fd       int
	inflight int    // requests sent whose response has not come back
	done     int64  // responses received on this connection
	carry    []byte // a partial response waiting for the rest of its bytes
	out      []byte // requests not yet accepted by the kernel
	watchOut bool   // EPOLLOUT is being watched (out did not fit)
}

type loop struct {
	epfd      int
	conns     []*conn
	byFD      map[int]*conn
	buf       []byte
	completed atomic.Int64 // responses received since the last Run began
	err       error
}

// Dial opens n TCP connections to addr (a loopback ip:port) with TCP_NODELAY set, spread
// round-robin over loops event loops.
func Dial(addr string, n, loops int) (*Client, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, err
	}
	if !ap.Addr().Is4() {
		return nil, fmt.Errorf("load: %s: IPv4 address wanted", addr)
	}
	sa := &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	c := &Client{}
	for range loops {
		epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
		if err != nil {
			c.Close()
			return nil, err
		}
		c.loops = append(c.loops, &loop{epfd: epfd, byFD: make(map[int]*conn), buf: make([]byte, 256<<10)})
	}
	for i := range n {
		fd, err := dialOne(sa)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("load: connection %d of %d: %w", i+1, n, err)
		}
		l := c.loops[i%loops]
		cn := &conn{fd: fd}
		l.conns = append(l.conns, cn)
		l.byFD[fd] = cn
		ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP, Fd: int32(fd)}
		if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

func dialOne(sa *unix.SockaddrInet4) (int, error) {
	for attempt := 0; ; attempt++ {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return -1, err
		}
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
			unix.Close(fd)
			return -1, err
		}
		err = unix.Connect(fd, sa)
		if err == nil {
			if err := unix.SetNonblock(fd, true); err != nil {
				unix.Close(fd)
				return -1, err
			}
			return fd, nil
		}
		unix.Close(fd)
		// A full accept queue refuses or drops; give the server a moment and try again.
		if attempt < 50 && (err == unix.ECONNREFUSED || err == unix.ETIMEDOUT || err == unix.EAGAIN) {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		return -1, err
	}
}

// Conns returns the number of open connections.
func (c *Client) Conns() int {
	n := 0
	for _, l := range c.loops {
		n += len(l.conns)
	}
	return n
}

// Close closes every connection.
func (c *Client) Close() {
	for _, l := range c.loops {
		for _, cn := range l.conns {
			unix.Close(cn.fd)
		}
		l.conns = nil
		unix.Close(l.epfd)
	}
	c.loops = nil
}

// Completed returns the round trips completed since the current (or last) run began.
func (c *Client) Completed() int64 {
	var n int64
	for _, l := range c.loops {
		n += l.completed.Load()
	}
	return n
}

// Prime makes one round trip on every connection, so that the server has seen each of them
// at work, and returns when all are done (or timeout passed).
func (c *Client) Prime(p Protocol, timeout time.Duration) error {
	r := c.Start(p, 1, 1, 0)
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if r.Finished() {
			return r.Stop()
		}
		time.Sleep(5 * time.Millisecond)
	}
	err := r.Stop()
	if err == nil {
		err = fmt.Errorf("load: priming %d connections: %d round trips after %v", c.Conns(), c.Completed(), timeout)
	}
	return err
}

// A Run is load in progress.
type Run struct {
	c       *Client
	stop    atomic.Bool
	wg      sync.WaitGroup
	running atomic.Int32
}

// Start starts load: depth requests in flight on every connection. perConn > 0 stops a
// connection after that many round trips; total > 0 stops each loop after its share of total.
// Load goes on until Stop, or until every connection has spent its budget.
func (c *Client) Start(p Protocol, depth int, perConn, total int64) *Run {
	r := &Run{c: c}
	for _, l := range c.loops {
		l.completed.Store(0)
		l.err = nil
		var share int64
		if total > 0 {
			share = total / int64(len(c.loops))
			if share == 0 {
				share = 1
			}
		}
		r.wg.Add(1)
		r.running.Add(1)
		go func() {
			defer r.wg.Done()
			defer r.running.Add(-1)
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			l.err = l.run(p, depth, perConn, share, &r.stop)
		}()
	}
	return r
}

// Finished reports whether every event loop of the run has returned (budget spent, stopped,
// or failed).
func (r *Run) Finished() bool { return r.running.Load() == 0 }

// Stop ends the run, waits for the event loops to return, and reports the first error seen.
// Requests still in flight are drained before the next Start.
func (r *Run) Stop() error {
	r.stop.Store(true)
	r.wg.Wait()
	var errs []error
	for _, l := range r.c.loops {
		if l.err != nil {
			errs = append(errs, l.err)
		}
	}
	return errors.Join(errs...)
}

var errClosed = errors.New("load: server closed a connection")

// drainTimeout bounds how long a stopped run waits for the responses still in flight (10,000
// connections × 16 messages take a while on a loaded machine).
const drainTimeout = 5 * time.Second

// run is one event loop. It returns when stop is set (after draining what is in flight, for
// at most drainTimeout), when its share of round trips is spent, or on an error.
func (l *loop) run(p Protocol, depth int, perConn, share int64, stop *atomic.Bool) error {
	req := p.Request()
	events := make([]unix.EpollEvent, 256)
	var done int64
	active := 0
	for _, cn := range l.conns {
		cn.done = 0
		if cn.inflight != 0 || len(cn.carry) != 0 {
			return fmt.Errorf("load: connection reused with %d requests in flight", cn.inflight)
		}
	}
	// want tells how many more requests a connection may send now.
	stopping := false
	want := func(cn *conn) int {
		if stopping || (share > 0 && done >= share) {
			return 0
		}
		w := depth - cn.inflight
		if perConn > 0 && cn.done+int64(cn.inflight)+int64(w) > perConn {
			w = int(perConn - cn.done - int64(cn.inflight))
		}
		return max(w, 0)
	}
	send := func(cn *conn) error {
		for range want(cn) {
			cn.out = append(cn.out, req...)
			cn.inflight++
		}
		return l.flush(cn)
	}
	for _, cn := range l.conns {
		if err := send(cn); err != nil {
			return err
		}
		if cn.inflight > 0 {
			active++
		}
	}
	var drainUntil time.Time
	for active > 0 {
		if !stopping && (stop.Load() || (share > 0 && done >= share)) {
			stopping = true
			drainUntil = time.Now().Add(drainTimeout)
		}
		if stopping && time.Now().After(drainUntil) {
			return fmt.Errorf("load: %d connections still had requests in flight after %v", active, drainTimeout)
		}
		n, err := unix.EpollWait(l.epfd, events, 20)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			return err
		}
		for i := range n {
			ev := &events[i]
			cn := l.byFD[int(ev.Fd)]
			if ev.Events&unix.EPOLLOUT != 0 {
				if err := l.flush(cn); err != nil {
					return err
				}
			}
			if ev.Events&(unix.EPOLLIN|unix.EPOLLERR|unix.EPOLLHUP|unix.EPOLLRDHUP) == 0 {
				continue
			}
			got, err := l.read(p, cn)
			if err != nil {
				return err
			}
			if got == 0 {
				continue
			}
			done += int64(got)
			l.completed.Add(int64(got))
			if err := send(cn); err != nil {
				return err
			}
			if cn.inflight == 0 {
				active--
			}
		}
	}
	return nil
}

// read reads what has arrived on cn and returns the number of whole responses it completed.
func (l *loop) read(p Protocol, cn *conn) (int, error) {
	total := 0
	for {
		data := l.buf
		off := copy(data, cn.carry)
		m, err := unix.Read(cn.fd, data[off:])
		if err == unix.EAGAIN {
			return total, nil
		}
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return total, fmt.Errorf("load: read: %w", err)
		}
		if m == 0 {
			return total, errClosed
		}
		data = data[:off+m]
		got, used, err := p.Parse(data)
		if err != nil {
			return total, err
		}
		if got > cn.inflight {
			return total, fmt.Errorf("load: %d responses for %d requests", got, cn.inflight)
		}
		cn.inflight -= got
		cn.done += int64(got)
		total += got
		cn.carry = append(cn.carry[:0], data[used:]...)
		if len(cn.carry) == 0 {
			cn.carry = nil // an idle connection keeps no buffer
		}
		if off+m < len(l.buf) {
			return total, nil // a short read: the socket is empty
		}
	}
}

// flush writes cn's pending requests, watching for writability while the kernel is full.
func (l *loop) flush(cn *conn) error {
	for len(cn.out) > 0 {
		m, err := unix.Write(cn.fd, cn.out)
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			if cn.watchOut {
				return nil
			}
			cn.watchOut = true
			return l.watch(cn, unix.EPOLLOUT)
		}
		if err != nil {
			return fmt.Errorf("load: write: %w", err)
		}
		cn.out = cn.out[m:]
	}
	cn.out = cn.out[:0]
	if cn.watchOut {
		cn.watchOut = false
		return l.watch(cn, 0)
	}
	return nil
}

func (l *loop) watch(cn *conn, extra uint32) error {
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP | extra, Fd: int32(cn.fd)}
	return unix.EpollCtl(l.epfd, unix.EPOLL_CTL_MOD, cn.fd, &ev)
}
