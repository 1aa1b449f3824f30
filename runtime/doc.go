// Package runtime is the tasklet runtime of tskc: a single-threaded dispatcher that drives
// resumable frames (the state machines tskc generates from .tsk files, or frames written by
// hand), with a FIFO run queue, timers, rendezvous channels, mailboxes with selective receive,
// call/reply messaging, join, kill and deadlines.
//
// Generated code imports it as tskrt. The contract between generated code and this package is
// described in docs/internals.md; the semantics (ordering, program end, kill, errors) in
// docs/runtime.md and the .tsk language reference.
//
// Everything in this package runs on the dispatcher's goroutine, except the methods documented
// as safe for other goroutines (Dispatcher.Post, Dispatcher.Hold and the release function it
// returns).
package runtime

// Version is the version of tskc and of this runtime. tskc prints it and writes it into the
// header of every generated file.
const Version = "0.1.0"

// ABI1 is referenced by generated code (var _ = tskrt.ABI1), so code generated for another
// frame ABI fails to compile against this runtime with an error that names the constant.
const ABI1 = 1
