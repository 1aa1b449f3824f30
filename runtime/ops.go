package runtime

import "time"

// begin is the common start of every operation of the running tasklet t. It returns true when
// the operation must complete at once with ErrKilled, because t was killed while runnable.
func (t *Tasklet) begin() bool {
	if t.flags&(flKill|flDeadlineHit) != 0 {
		t.flags &^= flDeadlineHit
		if t.flags&flKill != 0 {
			t.flags &^= flKill
			t.err, t.value, t.caseIdx = ErrKilled, nil, -1
			t.clearReply()
			return true
		}
	}
	return false
}

// ok records a successful immediate completion.
func (t *Tasklet) ok() bool {
	t.err = nil
	return true
}

// Yield lets every other runnable tasklet run once, then continues: t goes to the back of the
// run queue. It returns true (no switch) only when nothing else could run: the run queue is
// empty, and no timer, post, outside operation, Hold or kill waits to be served.
//
// Yield is the way to stay fair inside a long computation: a frame that loops without
// suspending keeps every other tasklet (and the timers) waiting.
func (t *Tasklet) Yield() bool {
	if t.begin() {
		return true
	}
	d := t.d
	q := &d.runq
	if q.n == 0 && q.next == nil && d.alone(t) {
		return t.ok()
	}
	if t.err != nil {
		t.err = nil
	}
	// t.requeue(), inlined by hand: this is the path of every yield.
	t.state, t.wait = stRunnable, waitNone
	if q.n == len(q.buf) {
		q.grow()
	}
	buf := q.buf
	buf[(q.head+q.n)&(len(buf)-1)] = t
	q.n++
	return false
}

// alone reports whether nothing but t could ever need the dispatcher before t suspends.
func (d *Dispatcher) alone(t *Tasklet) bool {
	return d.timers.len() == 0 && d.inflight == 0 && t.flags&flKillWaited == 0 &&
		!d.hasPosts.Load() && d.holds.Load() == 0
}

// Sleep suspends t for d. It completes with a nil error, or ErrKilled, or ErrTimeout when an
// enclosing deadline ends it early. A zero or negative d waits one scheduling round.
func (t *Tasklet) Sleep(d time.Duration) bool {
	if t.begin() {
		return true
	}
	if d < 0 {
		d = 0
	}
	t.park(waitSleep, d)
	return false
}

// withdraw cancels the wait of the parked tasklet t (timeout or kill): it leaves every queue it
// is in, its timer is cancelled, and its operation's own state is released.
func (d *Dispatcher) withdraw(t *Tasklet) {
	d.timers.remove(t)
	switch t.wait {
	case waitChanSend, waitChanRecv, waitPop, waitJoin, waitJoinAll, waitKill:
		if t.w.queued() {
			t.w.leave()
		}
		if t.wait == waitChanSend || t.wait == waitChanRecv {
			t.value = nil // the waiter's element (see waiter.elem), or a sent error
		}
		t.wflags = 0
	case waitCall:
		if c, _ := t.value.(*call); c != nil {
			c.caller = nil
			d.settle(c)
		}
	case waitBatch:
		t.value.(*batch).giveBack(t)
	case waitSelect:
		d.cancelSelect(t)
	case waitOp:
		if r, ok := t.value.(interface{ abandon() }); ok {
			d.inflight--
			r.abandon()
		}
	}
	t.wait = waitNone
	t.clearReply()
}

// Kill ends t with ErrKilled without waiting for it: a waiting t has its wait withdrawn and
// becomes runnable with ErrKilled; a runnable (or running) t gets ErrKilled from its next
// operation; a t that never ran ends at once without running its body; a finished t is left
// alone. Call it on the dispatcher goroutine (from others, use Dispatcher.Do).
func (t *Tasklet) Kill() {
	d := t.d
	switch {
	case t.state == stFinished:
	case t.state == stNew:
		d.finishKilled(t)
	case t.state == stWaiting:
		d.withdraw(t)
		t.err, t.value, t.caseIdx = ErrKilled, nil, -1
		d.ready(t, false)
	default:
		t.flags |= flKill
	}
}

// finishKilled ends a tasklet that never ran.
func (d *Dispatcher) finishKilled(t *Tasklet) {
	t.value, t.err = nil, ErrKilled
	d.finish(t) // its run queue entry goes stale and is skipped
}

// KillWait kills target and waits until it has unwound: resumed with ErrKilled and run to its
// end or to its next suspension. Killing a finished tasklet does nothing; killing one that never
// ran ends it without running its body; killing t itself completes at once with ErrKilled.
func (t *Tasklet) KillWait(target *Tasklet) bool {
	if t.begin() {
		return true
	}
	d := t.d
	switch {
	case target.state == stFinished:
		return t.ok()
	case target == t:
		t.err, t.value = ErrKilled, nil
		return true
	case target.state == stNew:
		d.finishKilled(target)
		return t.ok()
	case target.state == stWaiting:
		d.withdraw(target)
		target.err, target.value, target.caseIdx = ErrKilled, nil, -1
		d.ready(target, true)
	default: // runnable: its next operation fails
		target.flags |= flKill
	}
	target.flags |= flKillWaited
	t.d.joinq(target).push(&t.w)
	t.value = target
	t.park(waitKill, NoTimeout)
	return false
}

// joinTarget returns the tasklet a join (or kill) waits for.
func (t *Tasklet) joinTarget() *Tasklet {
	switch v := t.value.(type) {
	case *Tasklet:
		return v
	case *joinAll:
		return v.ts[v.i]
	}
	return nil
}

// setJoined puts the outcome of joining the finished target in t's registers.
func (t *Tasklet) setJoined(target *Tasklet) {
	if target.err != nil {
		t.value, t.err = nil, &JoinError{Tasklet: target, Cause: target.err}
	} else {
		t.value, t.err = target.value, nil
	}
}

// Join waits for target to end. Value() is its result; when it failed, Err() is a *JoinError
// whose cause is its error.
func (t *Tasklet) Join(target *Tasklet, timeout time.Duration) bool {
	if t.begin() {
		return true
	}
	if target.state == stFinished {
		t.setJoined(target)
		return true
	}
	t.d.joinq(target).push(&t.w)
	t.value = target
	t.park(waitJoin, timeout)
	return false
}

// joinAll is the state of a parked JoinAll.
type joinAll struct {
	ts      []*Tasklet
	results []any
	i       int // the tasklet being waited for
}

// JoinAll waits for every tasklet of ts to end. Value() is a []any in the order of ts: each
// slot the result, or the *JoinError of a tasklet that failed. Err() is nil, ErrTimeout or
// ErrKilled.
func (t *Tasklet) JoinAll(ts []*Tasklet, timeout time.Duration) bool {
	if t.begin() {
		return true
	}
	ja := &joinAll{ts: ts, results: make([]any, len(ts))}
	if ja.advance() {
		t.value, t.err = ja.results, nil
		return true
	}
	t.d.joinq(ts[ja.i]).push(&t.w)
	t.value = ja
	t.park(waitJoinAll, timeout)
	return false
}

// advance records the results of finished tasklets from ja.i on; it returns true when all have
// finished, else stops at the first that has not.
func (ja *joinAll) advance() bool {
	for ; ja.i < len(ja.ts); ja.i++ {
		c := ja.ts[ja.i]
		if c.state != stFinished {
			return false
		}
		if c.err != nil {
			ja.results[ja.i] = &JoinError{Tasklet: c, Cause: c.err}
		} else {
			ja.results[ja.i] = c.value
		}
	}
	return true
}

// advanceJoinAll continues a JoinAll whose current target just finished: it completes, or
// waits on the next unfinished target (keeping its timer).
func (d *Dispatcher) advanceJoinAll(r *Tasklet) {
	ja := r.value.(*joinAll)
	if ja.advance() {
		r.value, r.err = ja.results, nil
		d.ready(r, false)
		return
	}
	d.joinq(ja.ts[ja.i]).push(&r.w)
}
