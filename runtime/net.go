package runtime

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tskc-lang/tskc/runtime/internal/poll"
)

// This file holds the network operations: listening, accepting, dialing, reading and writing
// TCP and unix stream sockets from tasklets. Every blocking one is an Op: its Start tries the
// system call at once and parks the tasklet only when the socket would block (EAGAIN, or known
// to be drained or full since its last event: see netFD). The dispatcher's edge-triggered
// epoll poller reports readiness; the operation then retries the system call on the
// dispatcher, and completes (the tasklet becomes runnable) or goes on waiting. Each operation takes the timeout of its await, ends with ErrKilled when its tasklet
// is killed, and ends with net.ErrClosed when its socket is closed under it.

// ErrBusy is the error of a read (or write) started on a socket that already has a read (or
// write) in progress in another tasklet.
var ErrBusy = errors.New("tskrt: another tasklet is already reading (or writing) this socket")

// netFD is a non-blocking socket registered with a dispatcher's poller.
//
// The poller is edge-triggered: it reports a socket once each time data arrives (or room to
// write appears), not as long as it lasts. So a socket is known to be drained after a read
// that came back short or with EAGAIN (TCP and unix stream sockets copy everything queued, up
// to the buffer's size), and known to be full after a write got EAGAIN; until the next event,
// operations park at once instead of trying a system call that would fail.
//
// It is laid out small (32 bytes), as every idle connection carries one. A parked tasklet's
// operation is its wait state (t.value, see ioPark), so the netFD records only the tasklets.
type netFD struct {
	d      *Dispatcher
	sysfd  int32    // the descriptor, -1 once closed
	family uint8    // AF_INET, AF_INET6 or AF_UNIX
	rdHint bool     // a read may find data (no short read or EAGAIN since the last event)
	wrHint bool     // a write may find room
	hup    bool     // the peer closed (or an error is pending): reads never block again
	rdT    *Tasklet // the tasklet parked reading (or accepting, or waiting for connect to finish)
	wrT    *Tasklet // the tasklet parked writing
}

// closed reports whether the socket has been closed.
func (fd *netFD) closed() bool { return fd.sysfd < 0 }

// fdnum returns the descriptor (-1 once closed).
func (fd *netFD) fdnum() int { return int(fd.sysfd) }

// errPending is the outcome an operation records when it starts: until its system call
// completes (or fails), Result reports the tasklet's Err() (a timeout or kill) instead.
var errPending = errors.New("tskrt: operation in progress")

// ioWaiter is an operation parked on a socket.
type ioWaiter interface {
	// attempt retries the operation's system call; it reports whether the operation is
	// complete (successfully or with an error recorded in the operation).
	attempt() bool
	// fail ends the operation with err (the socket was closed under it).
	fail(err error)
	// abandon withdraws the operation from its socket (timeout or kill).
	abandon()
}

// init registers sysfd with d's poller; on failure it closes sysfd.
func (fd *netFD) init(d *Dispatcher, sysfd, family int) error {
	*fd = netFD{d: d, sysfd: int32(sysfd), family: uint8(family), rdHint: true, wrHint: true}
	if err := d.pollAdd(sysfd, fd); err != nil {
		unix.Close(sysfd)
		fd.sysfd = -1
		return err
	}
	return nil
}

// PollReady is called by the dispatcher's poller with the events epoll reported for the
// socket: in (readable, hung up or in error), out (writable, hung up or in error), hup (the
// peer closed or an error is pending: reads will not block from now on).
func (fd *netFD) PollReady(ev poll.Events) {
	const hupMask = poll.Hangup | poll.Error
	hup := ev&hupMask != 0
	in := ev&(poll.Readable|hupMask) != 0
	out := ev&(poll.Writable|hupMask) != 0
	if hup {
		fd.hup = true
	}
	if in {
		fd.rdHint = true
	}
	if out {
		fd.wrHint = true
	}
	if in && fd.rdT != nil {
		fd.retry(&fd.rdT)
	}
	if out && fd.wrT != nil {
		fd.retry(&fd.wrT)
	}
}

// retry retries the operation of the tasklet parked in *slot, and wakes the tasklet if the
// operation completed.
func (fd *netFD) retry(slot **Tasklet) {
	t := *slot
	w, ok := t.value.(ioWaiter)
	if !ok {
		*slot = nil // not parked here any more (cannot happen: withdraw clears the slot)
		return
	}
	if w.attempt() {
		*slot = nil
		fd.d.ioDone(t, w)
	}
}

// wait parks t in the operation w until the socket is ready (in: readable, else writable).
func (fd *netFD) wait(t *Tasklet, w ioWaiter, in bool, timeout time.Duration) {
	if in {
		fd.rdT = t
	} else {
		fd.wrT = t
	}
	fd.d.ioPark(t, w, timeout)
}

// withdraw takes w (timed out or killed; still its tasklet's wait state) off the socket.
func (fd *netFD) withdraw(w ioWaiter) {
	if fd.rdT != nil && fd.rdT.value == w {
		fd.rdT = nil
	}
	if fd.wrT != nil && fd.wrT.value == w {
		fd.wrT = nil
	}
}

// busy reports whether another operation already waits in the direction.
func (fd *netFD) busy(in bool) bool {
	if in {
		return fd.rdT != nil
	}
	return fd.wrT != nil
}

// close closes the socket and wakes its waiters with net.ErrClosed.
func (fd *netFD) close() error {
	if fd.closed() {
		return net.ErrClosed
	}
	sysfd := fd.fdnum()
	fd.sysfd = -1
	fd.d.pollDel(sysfd)
	err := unix.Close(sysfd)
	for _, t := range [...]*Tasklet{fd.rdT, fd.wrT} {
		if t == nil {
			continue
		}
		if w, ok := t.value.(ioWaiter); ok {
			w.fail(net.ErrClosed)
			fd.d.ioDone(t, w)
		}
	}
	fd.rdT, fd.wrT = nil, nil
	if err != nil {
		return os.NewSyscallError("close", err)
	}
	return nil
}

// read reads into p once, retrying on EINTR. A peer's orderly close reads as io.EOF; a
// socket known to be drained (see netFD) gives EAGAIN without a system call.
func (fd *netFD) read(p []byte) (int, error) {
	if fd.closed() {
		return 0, net.ErrClosed
	}
	if !fd.rdHint {
		return 0, unix.EAGAIN
	}
	for {
		n, err := unix.Read(fd.fdnum(), p)
		switch {
		case err == nil && n == 0 && len(p) > 0:
			return 0, io.EOF
		case err == nil:
			if n < len(p) && !fd.hup {
				fd.rdHint = false
			}
			return n, nil
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			fd.rdHint = false
			return 0, err
		}
		return 0, wrapSyscall("read", err)
	}
}

// write writes p once (as much as the kernel takes), retrying on EINTR.
func (fd *netFD) write(p []byte) (int, error) {
	if fd.closed() {
		return 0, net.ErrClosed
	}
	if !fd.wrHint {
		return 0, unix.EAGAIN
	}
	for {
		n, err := unix.Write(fd.fdnum(), p)
		switch {
		case err == nil:
			return n, nil
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			fd.wrHint = false
			return 0, err
		}
		return 0, wrapSyscall("write", err)
	}
}

func wrapSyscall(op string, err error) error {
	if errno, ok := err.(syscall.Errno); ok {
		return os.NewSyscallError(op, errno)
	}
	return err
}

// A Listener is a listening TCP or unix socket owned by a dispatcher.
type Listener struct {
	fd     netFD
	acc    acceptOp
	addr   net.Addr
	unlink string // the unix socket file to remove on close
}

// A Conn is a connected TCP or unix stream socket owned by a dispatcher. Its operations must be
// used from tasklets of that dispatcher. One tasklet may read while another writes.
type Conn struct {
	fd  netFD
	rop *readOp // allocated on first use (a Stream over the Conn has its own)

	// The write operation (see connWrite, and a Stream's Flush) lives in the Conn: an
	// echo-style server, which writes on every connection, carries no separate operation
	// object per connection.
	wp   []byte // what to write
	wn   int    // bytes written
	werr error  // the outcome: errPending until the write completes or fails
}

func (fd *netFD) addr(get func(int) (unix.Sockaddr, error)) net.Addr {
	if fd.closed() {
		return nil
	}
	sa, err := get(fd.fdnum())
	if err != nil {
		return nil
	}
	return netAddr(sa)
}

// Listen returns the operation that listens on address: network is "tcp", "tcp4", "tcp6" or
// "unix". The host of a TCP address must be an IP literal, empty (all interfaces) or
// "localhost"; port 0 picks a free port (see Listener.Addr). It completes at once.
func Listen(network, address string) Op[*Listener] {
	return &listenOp{network: network, address: address}
}

// ListenShared is Listen for a TCP address that several listeners share (SO_REUSEPORT):
// typically one per dispatcher, each accepting on its own thread (see StartDispatcher). The
// kernel spreads incoming connections among the listeners by a hash of the connection's
// addresses, and a connection accepted by one dispatcher is served by that one alone. Every
// listener on the address must be made by ListenShared, by the same user. Port 0 gives each
// listener a port of its own: listen on a chosen port, or on the first listener's Addr().
func ListenShared(network, address string) Op[*Listener] {
	return &listenOp{network: network, address: address, shared: true}
}

type listenOp struct {
	network, address string
	shared           bool
	ln               *Listener
	err              error
}

func (o *listenOp) Start(t *Tasklet, timeout time.Duration) bool {
	if t.begin() {
		o.err = t.Err()
		return true
	}
	sysfd, sa, err := listenSocket(o.network, o.address, o.shared)
	if err != nil {
		o.err = &net.OpError{Op: "listen", Net: o.network, Err: err}
		return true
	}
	ln := &Listener{}
	if err := ln.fd.init(t.dispatcher(), sysfd, sa.family); err != nil {
		o.err = &net.OpError{Op: "listen", Net: o.network, Err: err}
		return true
	}
	ln.addr = ln.fd.addr(unix.Getsockname)
	if sa.family == unix.AF_UNIX {
		ln.unlink = o.address
	}
	ln.acc.ln = ln
	o.ln = ln
	return true
}

func (o *listenOp) Result(t *Tasklet) (*Listener, error) { return o.ln, o.err }

// Addr returns the address the listener listens on (with the port chosen, for port 0).
func (ln *Listener) Addr() net.Addr { return ln.addr }

// Close stops listening; a tasklet waiting in Accept gets net.ErrClosed.
func (ln *Listener) Close() error {
	err := ln.fd.close()
	if ln.unlink != "" && err == nil {
		os.Remove(ln.unlink)
	}
	return err
}

// Accept returns the operation that waits for the next connection. When the process is out of
// file descriptors (EMFILE, ENFILE) or memory, it completes with that error and the listener
// stays usable: the server can report it, wait a little and accept again.
func (ln *Listener) Accept() Op[*Conn] {
	if ln.fd.busy(true) {
		return &failedOp[*Conn]{opError("accept", &ln.fd, ErrBusy)}
	}
	return &ln.acc
}

type acceptOp struct {
	ln   *Listener
	done bool // completed by the operation itself (not by a timeout or kill)
	c    *Conn
	err  error
}

func (o *acceptOp) abandon() { o.ln.fd.withdraw(o) }
func (o *acceptOp) fail(err error) {
	o.c, o.err, o.done = nil, opError("accept", &o.ln.fd, err), true
}

func (o *acceptOp) Start(t *Tasklet, timeout time.Duration) bool {
	fd := &o.ln.fd
	o.c, o.err, o.done = nil, nil, false
	if t.begin() {
		return true
	}
	if fd.closed() {
		o.fail(net.ErrClosed)
		return true
	}
	if o.attempt() {
		return true
	}
	fd.wait(t, o, true, timeout)
	return false
}

func (o *acceptOp) attempt() bool {
	fd := &o.ln.fd
	for {
		if !fd.rdHint {
			return false
		}
		nfd, err := accept(fd.fdnum())
		switch err {
		case nil:
		case unix.EAGAIN:
			fd.rdHint = false
			return false
		case unix.EINTR, unix.ECONNABORTED:
			// A connection reset before we took it: take the next one.
			continue
		default:
			// EMFILE, ENFILE, ENOBUFS, ENOMEM: report it; the listener stays open.
			o.fail(os.NewSyscallError("accept4", err))
			return true
		}
		c, err := newConn(fd.d, nfd, int(fd.family))
		if err != nil {
			o.fail(err)
			return true
		}
		o.c, o.done = c, true
		return true
	}
}

func (o *acceptOp) Result(t *Tasklet) (*Conn, error) {
	c, err, done := o.c, o.err, o.done
	o.c, o.err, o.done = nil, nil, false
	if !done {
		return nil, t.Err()
	}
	return c, err
}

func newConn(d *Dispatcher, sysfd, family int) (*Conn, error) {
	if err := setNoDelay(sysfd, family, true); err != nil {
		unix.Close(sysfd)
		return nil, err
	}
	c := &Conn{}
	if err := c.fd.init(d, sysfd, family); err != nil {
		return nil, err
	}
	return c, nil
}

func opError(op string, fd *netFD, err error) error {
	if err == nil {
		return nil
	}
	if err == io.EOF {
		return err
	}
	netw := "tcp"
	if fd.family == unix.AF_UNIX {
		netw = "unix"
	}
	return &net.OpError{Op: op, Net: netw, Source: fd.addr(unix.Getsockname), Addr: fd.addr(unix.Getpeername), Err: err}
}

// Dial returns the operation that connects to address (see Listen for the forms of network
// and address). The await's timeout bounds the connect. The connection has TCP_NODELAY set.
// A host name that needs DNS is resolved, and connected to, on the Go offload pool (see Go),
// so the dispatcher never blocks on a lookup.
func Dial(network, address string) Op[*Conn] {
	return &dialOp{network: network, address: address}
}

type dialOp struct {
	network, address string
	viaGo            Op[net.Conn] // dialing a host name on the offload pool
	c                *Conn        // the connecting socket
	done             bool
	err              error
}

func (o *dialOp) abandon() { o.c.fd.withdraw(o) }
func (o *dialOp) fail(err error) {
	o.err, o.done = &net.OpError{Op: "dial", Net: o.network, Err: err}, true
}

func (o *dialOp) Start(t *Tasklet, timeout time.Duration) bool {
	o.done = false
	if t.begin() {
		return true
	}
	sa, err := resolveAddr(o.network, o.address, false)
	if err == errNeedsDNS {
		network, address := o.network, o.address
		o.viaGo = Go(func() (net.Conn, error) {
			var d net.Dialer
			if timeout != NoTimeout {
				d.Timeout = max(timeout, time.Millisecond)
			}
			return d.Dial(network, address)
		})
		return o.viaGo.Start(t, timeout)
	}
	if err != nil {
		o.fail(err)
		return true
	}
	sysfd, err := newSocket(sa.family)
	if err != nil {
		o.fail(err)
		return true
	}
	c := &Conn{}
	if err := c.fd.init(t.dispatcher(), sysfd, sa.family); err != nil {
		o.fail(err)
		return true
	}
	o.c = c
	fd := &c.fd
	for {
		err = unix.Connect(sysfd, sa.sa)
		if err != unix.EINTR {
			break
		}
	}
	switch err {
	case nil:
		o.connected()
		return true
	case unix.EINPROGRESS, unix.EALREADY:
		fd.wait(t, o, false, timeout)
		return false
	}
	fd.close()
	o.fail(os.NewSyscallError("connect", err))
	return true
}

// attempt is called when the connecting socket becomes writable: the connect has finished.
func (o *dialOp) attempt() bool {
	errno, err := unix.GetsockoptInt(o.c.fd.fdnum(), unix.SOL_SOCKET, unix.SO_ERROR)
	if err == nil && errno != 0 {
		err = syscall.Errno(errno)
	}
	switch err {
	case nil:
		o.connected()
	case unix.EINPROGRESS, unix.EALREADY, unix.EINTR:
		return false
	default:
		o.c.fd.close()
		o.fail(os.NewSyscallError("connect", err))
	}
	return true
}

func (o *dialOp) connected() {
	fd := &o.c.fd
	if err := setNoDelay(fd.fdnum(), int(fd.family), true); err != nil {
		fd.close()
		o.fail(err)
		return
	}
	o.done = true
}

func (o *dialOp) Result(t *Tasklet) (*Conn, error) {
	if o.viaGo != nil {
		nc, err := o.viaGo.Result(t)
		o.viaGo = nil
		if err != nil {
			// On timeout or kill, a connection made after all is closed by its finalizer.
			return nil, err
		}
		return adoptConn(t.dispatcher(), nc)
	}
	c := o.c
	o.c = nil
	if !o.done {
		// Timed out or killed while connecting: give the socket back.
		if c != nil && !c.fd.closed() {
			c.fd.close()
		}
		return nil, t.Err()
	}
	if o.err != nil {
		return nil, o.err
	}
	return c, nil
}

// LocalAddr returns the connection's local address (nil once closed).
func (c *Conn) LocalAddr() net.Addr { return c.fd.addr(unix.Getsockname) }

// RemoteAddr returns the address of the peer (nil once closed or disconnected).
func (c *Conn) RemoteAddr() net.Addr { return c.fd.addr(unix.Getpeername) }

// Close closes the connection. Tasklets waiting to read or write it get net.ErrClosed.
func (c *Conn) Close() error { return c.fd.close() }

// CloseWrite shuts down the sending side (a TCP FIN): the peer reads io.EOF, while this side
// can still read what the peer sends.
func (c *Conn) CloseWrite() error {
	if c.fd.closed() {
		return net.ErrClosed
	}
	return os.NewSyscallError("shutdown", unix.Shutdown(c.fd.fdnum(), unix.SHUT_WR))
}

// SetNoDelay turns Nagle's algorithm off (true, the default) or on.
func (c *Conn) SetNoDelay(on bool) error {
	if c.fd.closed() {
		return net.ErrClosed
	}
	return setNoDelay(c.fd.fdnum(), int(c.fd.family), on)
}

// Read returns the operation that reads into p: at least one byte, waiting for data if none
// has arrived. A peer's orderly close reads as io.EOF; a reset is an error. p must not be
// touched until the operation completes.
func (c *Conn) Read(p []byte) Op[int] {
	if c.fd.busy(true) {
		return &failedOp[int]{opError("read", &c.fd, ErrBusy)}
	}
	if c.rop == nil {
		c.rop = &readOp{c: c}
	}
	c.rop.p = p
	return c.rop
}

type readOp struct {
	c   *Conn
	p   []byte
	n   int
	err error // errPending until the read completes or fails
}

func (o *readOp) abandon()       { o.c.fd.withdraw(o) }
func (o *readOp) fail(err error) { o.err = opError("read", &o.c.fd, err) }

func (o *readOp) Start(t *Tasklet, timeout time.Duration) bool {
	o.n, o.err = 0, errPending
	if t.begin() {
		return true
	}
	if o.attempt() {
		return true
	}
	o.c.fd.wait(t, o, true, timeout)
	return false
}

func (o *readOp) attempt() bool {
	n, err := o.c.fd.read(o.p)
	if err == unix.EAGAIN {
		return false
	}
	o.n, o.err = n, nil
	if err != nil {
		o.fail(err)
	}
	return true
}

func (o *readOp) Result(t *Tasklet) (int, error) {
	n, err := o.n, o.err
	o.n, o.err, o.p = 0, nil, nil
	if err == errPending {
		return n, t.Err()
	}
	return n, err
}

// Write returns the operation that writes all of p, waiting while the kernel's send buffer is
// full. It completes with the number of bytes written (len(p), unless an error stopped it).
// p must not be touched until the operation completes.
func (c *Conn) Write(p []byte) Op[int] {
	if c.fd.busy(false) {
		return &failedOp[int]{opError("write", &c.fd, ErrBusy)}
	}
	c.wp = p
	return (*connWrite)(c)
}

// connWrite is a Conn seen as its write operation, whose state is the Conn's w fields.
type connWrite Conn

func (o *connWrite) abandon()       { o.fd.withdraw(o) }
func (o *connWrite) fail(err error) { o.werr = opError("write", &o.fd, err) }

func (o *connWrite) Start(t *Tasklet, timeout time.Duration) bool {
	o.wn, o.werr = 0, errPending
	if t.begin() {
		return true
	}
	if o.attempt() {
		return true
	}
	o.fd.wait(t, o, false, timeout)
	return false
}

func (o *connWrite) attempt() bool {
	for o.wn < len(o.wp) {
		m, err := o.fd.write(o.wp[o.wn:])
		if err == unix.EAGAIN {
			return false
		}
		if err != nil {
			o.fail(err)
			return true
		}
		o.wn += m
	}
	o.werr = nil
	return true
}

func (o *connWrite) Result(t *Tasklet) (int, error) {
	n, err := o.wn, o.werr
	o.wn, o.werr, o.wp = 0, nil, nil
	if err == errPending {
		return n, t.Err()
	}
	return n, err
}

// failedOp is an operation that fails at once with err.
type failedOp[T any] struct{ err error }

func (o *failedOp[T]) Start(t *Tasklet, timeout time.Duration) bool { return true }
func (o *failedOp[T]) Result(t *Tasklet) (T, error) {
	var zero T
	return zero, o.err
}

func isEAGAIN(err error) bool { return err == unix.EAGAIN }

// adoptConn moves a connection made by package net onto the dispatcher: the socket is
// duplicated (non-blocking, close-on-exec) and nc is closed.
func adoptConn(d *Dispatcher, nc net.Conn) (*Conn, error) {
	defer nc.Close()
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil, fmt.Errorf("tskrt: cannot adopt a %T", nc)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, err
	}
	nfd, family := -1, unix.AF_INET
	var dupErr error
	err = rc.Control(func(fd uintptr) {
		nfd, dupErr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
		if sa, err := unix.Getsockname(int(fd)); err == nil {
			switch sa.(type) {
			case *unix.SockaddrInet6:
				family = unix.AF_INET6
			case *unix.SockaddrUnix:
				family = unix.AF_UNIX
			}
		}
	})
	if err == nil {
		err = dupErr
	}
	if err != nil {
		return nil, os.NewSyscallError("dup", err)
	}
	if err := unix.SetNonblock(nfd, true); err != nil {
		unix.Close(nfd)
		return nil, os.NewSyscallError("setnonblock", err)
	}
	return newConn(d, nfd, family)
}
