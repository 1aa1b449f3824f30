package runtime

import "time"

// Op is an operation a tasklet waits for with `await OP [timeout D]`: Start begins it (true: it
// completed at once; false: the tasklet is parked and is resumed when it completes), and Result
// reads its outcome right after.
type Op[T any] interface {
	Start(t *Tasklet, timeout time.Duration) bool
	Result(t *Tasklet) (T, error)
}
