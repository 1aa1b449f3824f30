package runtime

import (
	"runtime/debug"
	"sync"
	"time"
)

// Op is an operation a tasklet waits for with `await OP [timeout D]`: Start begins it (true: it
// completed at once; false: the tasklet is parked and is resumed when it completes), and Result
// reads its outcome right after.
type Op[T any] interface {
	Start(t *Tasklet, timeout time.Duration) bool
	Result(t *Tasklet) (T, error)
}

// GoPoolSize is the number of goroutines that run Go operations; more operations wait their
// turn in FIFO order.
const GoPoolSize = 64

// Go returns the operation that runs fn on a goroutine of a bounded pool, off the dispatcher,
// so a tasklet can wait for a blocking Go call (`v, err := await tskrt.Go(fn)`). On timeout or
// kill the tasklet goes on at once; fn runs to its end anyway and its result is dropped. A panic
// in fn becomes a *PanicError. While fn runs, the dispatcher does not declare a deadlock.
func Go[T any](fn func() (T, error)) Op[T] { return &goOp[T]{fn: fn} }

type goOp[T any] struct {
	fn  func() (T, error)
	res T
	err error
}

// goWait is the state of a tasklet parked in a Go operation.
type goWait struct {
	d         *Dispatcher
	abandoned bool
}

func (g *goWait) abandon() {
	g.abandoned = true
	g.d.offloads--
}

// Start submits the function to the pool and parks t until it returns.
func (o *goOp[T]) Start(t *Tasklet, timeout time.Duration) bool {
	if t.begin() {
		return true
	}
	d := t.d
	gw := &goWait{d: d}
	t.value = gw
	d.inflight++
	d.offloads++
	t.park(waitOp, timeout)
	fn := o.fn
	goPool.submit(func() {
		var res T
		var err error
		func() {
			defer func() {
				if r := recover(); r != nil {
					err = &PanicError{Value: r, Stack: debug.Stack(), Pos: panicPos()}
				}
			}()
			res, err = fn()
		}()
		d.Do(func() {
			if gw.abandoned {
				return
			}
			d.inflight--
			d.offloads--
			o.res, o.err = res, err
			t.err, t.value = nil, nil
			d.ready(t, false)
		})
	})
	return false
}

// Result returns what the function returned, or the wait's error (timeout, kill).
func (o *goOp[T]) Result(t *Tasklet) (T, error) {
	if err := t.err; err != nil {
		var zero T
		return zero, err
	}
	res, err := o.res, o.err
	var zero T
	o.res, o.err = zero, nil
	return res, err
}

// workPool runs functions on at most max goroutines, in FIFO order.
type workPool struct {
	mu      sync.Mutex
	cond    sync.Cond
	queue   []func()
	idle    int
	workers int
	max     int
}

var goPool = newWorkPool(GoPoolSize)

func newWorkPool(max int) *workPool {
	p := &workPool{max: max}
	p.cond.L = &p.mu
	return p
}

func (p *workPool) submit(fn func()) {
	p.mu.Lock()
	p.queue = append(p.queue, fn)
	if p.idle > 0 {
		p.cond.Signal()
	} else if p.workers < p.max {
		p.workers++
		go p.work()
	}
	p.mu.Unlock()
}

func (p *workPool) work() {
	p.mu.Lock()
	for {
		for len(p.queue) == 0 {
			p.idle++
			p.cond.Wait()
			p.idle--
		}
		fn := p.queue[0]
		p.queue[0] = nil
		p.queue = p.queue[1:]
		p.mu.Unlock()
		fn()
		p.mu.Lock()
	}
}
