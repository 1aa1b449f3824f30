// Package poll is the dispatcher's readiness poller: epoll for file descriptors, plus an eventfd
// through which other goroutines wake a dispatcher that is blocked waiting.
//
// A Poller is used by one goroutine (the dispatcher's), except Wake, which any goroutine may call.
package poll

import (
	"errors"
	"fmt"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// Events is a set of readiness conditions.
type Events uint32

const (
	Readable Events = unix.EPOLLIN                    // data to read, or a connection to accept
	Writable Events = unix.EPOLLOUT                   // room to write, or a connect finished
	Hangup   Events = unix.EPOLLHUP | unix.EPOLLRDHUP // peer closed (reported, never requested)
	Error    Events = unix.EPOLLERR                   // an error is pending on the descriptor (reported)
	// EdgeTriggered asks for edge-triggered notification (EPOLLET): a callback fires once per
	// change of readiness, not as long as the condition holds.
	EdgeTriggered Events = unix.EPOLLET
)

// maxEvents bounds the events one Wait takes: their callbacks run before any of the tasklets
// they wake, and each may hold a read buffer until its tasklet runs, so a bigger batch costs
// memory without saving much (the next Wait takes the rest at once).
const maxEvents = 1024

// Poller waits for readiness of registered descriptors and for wake-ups.
type Poller struct {
	epfd   int
	evfd   int
	hs     handlers // by descriptor
	n      int      // registered descriptors
	events []unix.EpollEvent
	closed bool
	busy   bool // the last Wait found descriptors ready
	tfd    int  // timerfd for waits that need better than millisecond precision
}

// New creates a poller (an epoll instance and its wake-up eventfd).
func New() (*Poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("poll: epoll_create1: %w", err)
	}
	evfd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("poll: eventfd: %w", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(evfd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, evfd, &ev); err != nil {
		unix.Close(evfd)
		unix.Close(epfd)
		return nil, fmt.Errorf("poll: epoll_ctl eventfd: %w", err)
	}
	tfd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_CLOEXEC|unix.TFD_NONBLOCK)
	if err == nil {
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(tfd)}
		if unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, tfd, &ev) != nil {
			unix.Close(tfd)
			tfd = -1
		}
	} else {
		tfd = -1 // epoll_wait's milliseconds will do
	}
	return &Poller{
		epfd:   epfd,
		evfd:   evfd,
		tfd:    tfd,
		events: make([]unix.EpollEvent, 128),
	}, nil
}

// A Handler is told by Wait about the events of the descriptor it was registered for.
type Handler interface {
	PollReady(ev Events)
}

// Register starts watching fd for ev; h.PollReady is called from Wait with the events that
// occurred. Handlers are kept in a table indexed by descriptor (descriptors are small integers).
func (p *Poller) Register(fd int, ev Events, h Handler) error {
	if fd < 0 || fd == p.evfd || h == nil {
		return errors.New("poll: bad registration")
	}
	e := unix.EpollEvent{Events: uint32(ev), Fd: int32(fd)}
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &e); err != nil {
		return fmt.Errorf("poll: epoll_ctl add %d: %w", fd, err)
	}
	if p.hs.set(fd, h) {
		p.n++
	}
	return nil
}

// handlers is a table of handlers indexed by descriptor, in pages that are allocated as
// descriptors reach them and never moved: a server that accepts thousands of connections
// grows it without copying (and without leaving the old copies as garbage).
type handlers struct {
	pages []*[pageSize]Handler
}

const pageSize = 256

// get returns the handler of fd, or nil.
func (hs *handlers) get(fd int) Handler {
	if i := fd / pageSize; uint(i) < uint(len(hs.pages)) {
		if pg := hs.pages[i]; pg != nil {
			return pg[fd%pageSize]
		}
	}
	return nil
}

// set makes h the handler of fd (fd >= 0; h nil removes it) and reports whether fd had none.
func (hs *handlers) set(fd int, h Handler) (added bool) {
	i := fd / pageSize
	if i >= len(hs.pages) {
		if h == nil {
			return false
		}
		hs.pages = append(hs.pages, make([]*[pageSize]Handler, i+1-len(hs.pages))...)
	}
	pg := hs.pages[i]
	if pg == nil {
		if h == nil {
			return false
		}
		pg = new([pageSize]Handler)
		hs.pages[i] = pg
	}
	added = pg[fd%pageSize] == nil
	pg[fd%pageSize] = h
	return added
}

// Modify changes the events watched on a registered fd.
func (p *Poller) Modify(fd int, ev Events) error {
	e := unix.EpollEvent{Events: uint32(ev), Fd: int32(fd)}
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_MOD, fd, &e); err != nil {
		return fmt.Errorf("poll: epoll_ctl mod %d: %w", fd, err)
	}
	return nil
}

// Unregister stops watching fd. Call it before closing fd.
func (p *Poller) Unregister(fd int) error {
	if fd >= 0 && p.hs.get(fd) != nil {
		p.hs.set(fd, nil)
		p.n--
	}
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, fd, nil); err != nil {
		return fmt.Errorf("poll: epoll_ctl del %d: %w", fd, err)
	}
	return nil
}

// Len returns the number of registered descriptors.
func (p *Poller) Len() int { return p.n }

// Wake makes a Wait that is blocked (or the next one) return. Safe from any goroutine.
func (p *Poller) Wake() error {
	var one = [8]byte{1}
	for {
		_, err := unix.Write(p.evfd, one[:])
		switch err {
		case nil, unix.EAGAIN: // EAGAIN: the counter is saturated, a wake-up is pending anyway
			return nil
		case unix.EINTR:
			continue
		default:
			return fmt.Errorf("poll: wake: %w", err)
		}
	}
}

// Wait blocks until a registered descriptor is ready, Wake is called, or timeout passes
// (a negative timeout waits without bound, 0 only polls). It calls the callbacks of the ready
// descriptors and returns how many it called.
func (p *Poller) Wait(timeout time.Duration) (int, error) {
	ms := -1
	if timeout >= 0 {
		// Round up, so a timer is never woken for early.
		ms = int((timeout + time.Millisecond - 1) / time.Millisecond)
		if timeout > 0 && ms == 0 {
			ms = 1
		}
	}
	if ms != 0 && p.busy {
		// The last wait found work: poll once more without blocking before going to sleep.
		// Putting the thread to sleep and waking an idle vCPU cost more than an extra
		// epoll_wait when the next events are about to arrive (gnet does the same).
		if n, err := unix.EpollWait(p.epfd, p.events, 0); err == nil && n > 0 {
			return p.dispatch(n), nil
		}
		runtime.Gosched()
	}
	if ms > 0 && p.tfd >= 0 && timeout%time.Millisecond != 0 {
		// A timeout that is not a whole number of milliseconds: wake at the nanosecond through
		// the timerfd rather than up to a millisecond late (a stale expiry only wakes early
		// once, and the dispatcher waits again).
		spec := unix.ItimerSpec{Value: unix.NsecToTimespec(int64(timeout))}
		if unix.TimerfdSettime(p.tfd, 0, &spec, nil) == nil {
			ms = -1
		}
	}
	n, err := unix.EpollWait(p.epfd, p.events, ms)
	if err != nil {
		p.busy = false
		if err == unix.EINTR {
			return 0, nil
		}
		return 0, fmt.Errorf("poll: epoll_wait: %w", err)
	}
	return p.dispatch(n), nil
}

// dispatch calls the callbacks of the n events in p.events and returns how many it called.
func (p *Poller) dispatch(n int) int {
	called := 0
	for i := 0; i < n; i++ {
		e := p.events[i]
		if int(e.Fd) == p.evfd || int(e.Fd) == p.tfd {
			var buf [8]byte
			unix.Read(int(e.Fd), buf[:]) // reset the counter; EAGAIN means another read got it
			continue
		}
		if h := p.hs.get(int(e.Fd)); h != nil {
			h.PollReady(Events(e.Events))
			called++
		}
	}
	p.busy = called > 0
	if n == len(p.events) && n < maxEvents {
		p.events = make([]unix.EpollEvent, 2*n)
	}
	return called
}

// Close releases the epoll instance and the eventfd. Registered descriptors are not closed.
func (p *Poller) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	err1 := unix.Close(p.evfd)
	err2 := unix.Close(p.epfd)
	if p.tfd >= 0 {
		unix.Close(p.tfd)
	}
	return errors.Join(err1, err2)
}
