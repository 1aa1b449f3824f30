package runtime

import (
	"errors"
	"time"
)

// This file holds the tasklet helpers of Concurrence: later, loop, interval, rate and receiver,
// as frames the runtime provides. Each runs the user's frame as a sub-frame (Enter), so the
// user's tasklet body runs inside the helper's tasklet.

// loopPause is how long a loop waits after its body failed before running it again.
const loopPause = time.Second

// killedBetweenRuns reports (and consumes) a kill that arrived while the helper's tasklet was
// runnable between two runs of its body.
func killedBetweenRuns(t *Tasklet) bool {
	if t.flags&flKill != 0 {
		t.flags &^= flKill
		return true
	}
	return false
}

// helperName is the name of a helper tasklet: Options.Name, else the first frame's declared
// name, else kind.
func helperName(o Options, first Frame, kind string) Options {
	if o.Name == "" {
		if n, ok := first.(Named); ok {
			o.Name = n.Name()
		} else {
			o.Name = kind
		}
	}
	return o
}

// SpawnAfter starts a tasklet that sleeps for d, then runs the frame mk returns (`spawn after D
// F(args)`). Its result is the frame's.
func (t *Tasklet) SpawnAfter(d time.Duration, mk func() Frame, o Options) *Tasklet {
	f := mk()
	return t.Spawn(&afterFrame{d: d, f: f}, helperName(o, f, "after"))
}

type afterFrame struct {
	d  time.Duration
	f  Frame
	pc int
}

// Resume sleeps, then runs the frame as a sub-frame.
func (a *afterFrame) Resume(t *Tasklet) Status {
	switch a.pc {
	case 0:
		a.pc = 1
		if !t.Sleep(a.d) {
			return Suspended
		}
		fallthrough
	case 1:
		if err := t.Err(); err != nil {
			return t.Fail(err)
		}
		a.pc = 2
		f := a.f
		a.f = nil
		return suspendIn(t, f)
	default:
		return Finished // the sub-frame's result is in the registers
	}
}

// suspendIn enters sub and suspends.
func suspendIn(t *Tasklet, sub Frame) Status {
	t.Enter(sub)
	return Suspended
}

// SpawnLoop starts a tasklet that runs the frames mk returns one after the other, forever
// (`spawn loop F(args)`). An error ending a run is logged and the next run starts after a
// 1 second pause; ErrKilled stops the loop (the tasklet fails with it).
func (t *Tasklet) SpawnLoop(mk func() Frame, o Options) *Tasklet {
	f := mk()
	return t.Spawn(&loopFrame{mk: mk, next: f}, helperName(o, f, "loop"))
}

type loopFrame struct {
	mk   func() Frame
	next Frame
	pc   int
}

// Resume runs the body again and again.
func (l *loopFrame) Resume(t *Tasklet) Status {
	for {
		switch l.pc {
		case 0: // start a run
			if killedBetweenRuns(t) {
				return t.Fail(ErrKilled)
			}
			f := l.next
			l.next = nil
			if f == nil {
				f = l.mk()
			}
			l.pc = 1
			return suspendIn(t, f)
		case 1: // a run ended
			err := t.Err()
			if err == nil {
				l.pc = 0
				continue
			}
			if errors.Is(err, ErrKilled) {
				return t.Fail(err)
			}
			t.d.logf("loop %s: %v", t.Name(), err)
			l.pc = 2
			if !t.Sleep(loopPause) {
				return Suspended
			}
		case 2: // the pause after an error ended
			if err := t.Err(); errors.Is(err, ErrKilled) {
				return t.Fail(err)
			}
			l.pc = 0
		}
	}
}

// SpawnEvery starts a tasklet that runs the frame mk returns every d (`spawn every D [now]
// F(args)`): after d, then again d after each run ended; with now, the first run is at once.
// Errors are logged and it goes on; ErrKilled stops it.
func (t *Tasklet) SpawnEvery(d time.Duration, now bool, mk func() Frame, o Options) *Tasklet {
	f := mk()
	e := &everyFrame{d: d, mk: mk, next: f, pc: 1}
	if now {
		e.pc = 0
	}
	return t.Spawn(e, helperName(o, f, "every"))
}

type everyFrame struct {
	d    time.Duration
	mk   func() Frame
	next Frame
	pc   int
}

// Resume runs the body every interval.
func (e *everyFrame) Resume(t *Tasklet) Status {
	for {
		switch e.pc {
		case 0: // run
			if killedBetweenRuns(t) {
				return t.Fail(ErrKilled)
			}
			f := e.next
			e.next = nil
			if f == nil {
				f = e.mk()
			}
			e.pc = 2
			return suspendIn(t, f)
		case 1: // wait
			e.pc = 3
			if !t.Sleep(e.d) {
				return Suspended
			}
		case 2: // a run ended
			if err := t.Err(); err != nil {
				if errors.Is(err, ErrKilled) {
					return t.Fail(err)
				}
				t.d.logf("every %s: %v", t.Name(), err)
			}
			e.pc = 1
		case 3: // the wait ended
			if err := t.Err(); err != nil {
				return t.Fail(err)
			}
			e.pc = 0
		}
	}
}

// SpawnRate starts a tasklet that runs the frame mk returns perSecond times a second (`spawn
// rate N F(args)`), giving each run the time it starts. It corrects for drift: the wait between
// runs is 1/perSecond adjusted by the measured error, smoothed (0.8 old + 0.2 new) and clamped
// to 0.5–1.5 × 1/perSecond. Errors are logged and it goes on; ErrKilled stops it.
func (t *Tasklet) SpawnRate(perSecond float64, mk func(time.Time) Frame, o Options) *Tasklet {
	if o.Name == "" {
		o.Name = "rate"
	}
	if perSecond <= 0 {
		perSecond = 1
	}
	target := time.Duration(float64(time.Second) / perSecond)
	return t.Spawn(&rateFrame{mk: mk, target: target, wait: target}, o)
}

type rateFrame struct {
	mk     func(time.Time) Frame
	target time.Duration
	wait   time.Duration
	last   time.Time
	pc     int
}

// Resume runs the body at the rate, correcting for drift.
func (r *rateFrame) Resume(t *Tasklet) Status {
	for {
		switch r.pc {
		case 0:
			r.last = t.Now()
			r.pc = 1
		case 1:
			if killedBetweenRuns(t) {
				return t.Fail(ErrKilled)
			}
			r.pc = 2
			if !t.Sleep(r.wait) {
				return Suspended
			}
		case 2: // the wait ended: correct the next wait, then run
			if err := t.Err(); err != nil {
				return t.Fail(err)
			}
			now := t.Now()
			actual := now.Sub(r.last)
			r.last = now
			next := r.wait - (actual - r.target)
			w := time.Duration(0.8*float64(r.wait) + 0.2*float64(next))
			r.wait = min(max(w, r.target/2), r.target*3/2)
			r.pc = 3
			return suspendIn(t, r.mk(now))
		case 3:
			if err := t.Err(); err != nil {
				if errors.Is(err, ErrKilled) {
					return t.Fail(err)
				}
				t.d.logf("rate %s: %v", t.Name(), err)
			}
			r.pc = 1
		}
	}
}

// SpawnReceiver starts a tasklet that receives messages, oldest first, and runs the frame mk
// returns once for each (`spawn receiver F(args)`). Errors are logged and it goes on;
// ErrKilled stops it. The reply handle of a call is in ReplyTo() when the frame first runs.
func (t *Tasklet) SpawnReceiver(mk func(msg any) Frame, o Options) *Tasklet {
	if o.Name == "" {
		o.Name = "receiver"
	}
	return t.Spawn(&receiverFrame{mk: mk}, o)
}

type receiverFrame struct {
	mk func(msg any) Frame
	pc int
}

// Resume runs the body once per message received.
func (r *receiverFrame) Resume(t *Tasklet) Status {
	for {
		switch r.pc {
		case 0:
			r.pc = 1
			if !t.Receive(nil, NoTimeout) {
				return Suspended
			}
		case 1:
			if err := t.Err(); err != nil {
				return t.Fail(err)
			}
			r.pc = 2
			return suspendIn(t, r.mk(t.Value()))
		case 2:
			if err := t.Err(); err != nil {
				if errors.Is(err, ErrKilled) {
					return t.Fail(err)
				}
				t.d.logf("receiver %s: %v", t.Name(), err)
			}
			r.pc = 0
		}
	}
}
