package runtime

import (
	"errors"
	"fmt"
	"path/filepath"
	goruntime "runtime"
	"strings"
)

// TimeoutError is the type of ErrTimeout: the error of an operation whose timeout (or enclosing
// deadline) passed before it could complete.
type TimeoutError struct{}

// Error returns "tskrt: timeout".
func (TimeoutError) Error() string { return "tskrt: timeout" }

// TaskletExit is the type of ErrKilled: the error a killed tasklet sees at the suspension point
// where it was waiting (or at its next one).
type TaskletExit struct{}

// Error returns "tskrt: tasklet killed".
func (TaskletExit) Error() string { return "tskrt: tasklet killed" }

var (
	// ErrTimeout is the error of an operation whose timeout passed.
	ErrTimeout error = TimeoutError{}
	// ErrKilled is the error seen inside a tasklet that was killed.
	ErrKilled error = TaskletExit{}
	// ErrNoReply is the error of a call that can get no reply: its callee finished (or had
	// already finished) without replying, a full bounded mailbox dropped its message, or a
	// mailbox Pop or a receive batch took it (neither gives a reply handle). The error says
	// which; test for it with errors.Is.
	ErrNoReply = errors.New("tskrt: the call gets no reply")

	// The ErrNoReply errors, by cause.
	errCalleeFinished    = fmt.Errorf("%w (the callee finished without replying)", ErrNoReply)
	errCalleeHadFinished = fmt.Errorf("%w (the callee had finished)", ErrNoReply)
	errCallDropped       = fmt.Errorf("%w (the message was dropped by a full mailbox)", ErrNoReply)
	errPopTookCall       = fmt.Errorf("%w (a mailbox Pop took the call)", ErrNoReply)
	errBatchTookCall     = fmt.Errorf("%w (a receive batch took the call)", ErrNoReply)
)

// JoinError is the error of joining a tasklet that failed (returned an error, was killed or
// panicked). It unwraps to Cause, so errors.Is(err, ErrKilled) works on it.
type JoinError struct {
	Tasklet *Tasklet // the tasklet that failed
	Cause   error    // why it failed
}

// Error names the tasklet and its cause.
func (e *JoinError) Error() string {
	return fmt.Sprintf("tasklet %s failed: %v", e.Tasklet.Name(), e.Cause)
}

// Unwrap returns the cause.
func (e *JoinError) Unwrap() error { return e.Cause }

// PanicError is the failure of a tasklet whose frame panicked: the panic value and the stack of
// the goroutine at the point of the panic.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the stack trace (runtime/debug.Stack format)
	Pos   string // where it panicked: the innermost .tsk position (file.tsk:line), if any
}

// Error returns "panic: " and the panic value.
func (e *PanicError) Error() string {
	if e.Pos != "" {
		return fmt.Sprintf("panic at %s: %v", e.Pos, e.Value)
	}
	return fmt.Sprintf("panic: %v", e.Value)
}

// panicPos returns the innermost .tsk position on the stack of a panic being recovered.
func panicPos() string {
	var pcs [64]uintptr
	n := goruntime.Callers(3, pcs[:])
	frames := goruntime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if strings.HasSuffix(f.File, ".tsk") {
			return fmt.Sprintf("%s:%d", filepath.Base(f.File), f.Line)
		}
		if !more {
			return ""
		}
	}
}

// Unwrap returns the panic value when it is an error (for example a runtime.Error), else nil.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}
