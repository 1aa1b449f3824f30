package runtime

// Recoverer is implemented by frames whose deferred calls may stop a panic with recover. When a
// Go panic ends a frame the tasklet entered (Enter) from such a frame, the runtime calls Recover
// on the calling frames, innermost first (Unwind on the frames that are only Unwinders), as a
// panic unwinds a Go call stack.
type Recoverer interface {
	// Recover runs the frame's deferred calls for the panic value r, raised in a frame it
	// called. When one of them recovered it, Recover records the frame's result (Return or
	// Fail) and reports true: the frame has ended, and its caller goes on with that result.
	// Otherwise the deferred calls have run (as Unwind runs them) and the panic goes on.
	Recover(t *Tasklet, r any) bool
}

// DeadlineDepth returns how many deadlines (PushDeadline) are in force. A frame that may
// recover a panic of a frame it called records it when it starts, and drops the deadlines the
// abandoned frames left with DropDeadlines(depth) when it recovers.
func (t *Tasklet) DeadlineDepth() int {
	if t.ext == nil {
		return 0
	}
	return len(t.ext.deadlines)
}

// DropDeadlines pops the deadlines pushed after the depth DeadlineDepth returned.
func (t *Tasklet) DropDeadlines(depth int) {
	if t.ext != nil && len(t.ext.deadlines) > depth {
		t.ext.deadlines = t.ext.deadlines[:depth]
	}
}

// returned stands for a frame that ended by recovering a panic: its result is in the
// registers, and resuming it returns Finished, so its caller (or the tasklet's end) comes next.
type returned struct{ f Frame }

func (r returned) Resume(*Tasklet) Status { return Finished }

// Name keeps the tasklet's name when the recovering frame was its outermost one.
func (r returned) Name() string {
	if n, ok := r.f.(Named); ok {
		return n.Name()
	}
	return "tasklet"
}

// unwindOrRecover lets the calling frames of t's innermost frame, innermost first, run their
// deferred calls for the panic r (Unwinder), or stop it (Recoverer). When one stops it, the
// frames inside it are dropped and t is runnable again at the front of the run queue: the
// recovering frame's caller continues with its result. A panic inside a deferred call is
// logged and the unwinding goes on. It reports whether the panic was stopped.
func (d *Dispatcher) unwindOrRecover(t *Tasklet, r any) bool {
	if t.ext == nil {
		return false
	}
	s := t.ext.stack
	for i := len(s) - 1; i >= 0; i-- {
		stopped := false
		func() {
			defer func() {
				if p := recover(); p != nil {
					d.logf("tasklet %s: panic while unwinding: %v", t.Name(), p)
				}
			}()
			t.PC = s[i].pc // the unwinding frame's own resume point
			switch u := s[i].f.(type) {
			case Recoverer:
				stopped = u.Recover(t, r)
			case Unwinder:
				u.Unwind(t)
			}
		}()
		if stopped {
			t.frame = returned{s[i].f}
			clear(s[i:])
			t.ext.stack = s[:i]
			d.endRun(t)
			d.readyFront(t)
			return true
		}
	}
	return false
}
