package runtime

import (
	"sync"
	"time"
)

// Clock is the dispatcher's source of time. RealClock reads the system's monotonic clock; a
// VirtualClock moves only when the dispatcher has nothing to run, which makes timing exact and
// runs reproducible.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Skip is called by the dispatcher when nothing can run before until. A virtual clock moves
	// to until and returns true; a real clock returns false, and the dispatcher blocks.
	Skip(until time.Time) bool
}

type realClock struct{}

func (realClock) Now() time.Time            { return time.Now() }
func (realClock) Skip(until time.Time) bool { return false }

// RealClock returns the system clock.
func RealClock() Clock { return realClock{} }

// VirtualClock is a Clock whose time advances only when the dispatcher skips to its next timer
// (or when Advance is called). It is safe to read from any goroutine.
type VirtualClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewVirtualClock returns a virtual clock that starts at start.
func NewVirtualClock(start time.Time) *VirtualClock { return &VirtualClock{now: start} }

// Now returns the clock's time.
func (c *VirtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Skip moves the clock forward to until (never backward) and returns true.
func (c *VirtualClock) Skip(until time.Time) bool {
	c.mu.Lock()
	if until.After(c.now) {
		c.now = until
	}
	c.mu.Unlock()
	return true
}

// Advance moves the clock forward by d.
func (c *VirtualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}
