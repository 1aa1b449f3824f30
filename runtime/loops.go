package runtime

// This file lets a server use more than one core: several dispatchers, each on a goroutine of
// its own, each accepting on its own listener of a shared address (ListenShared).

// StartDispatcher runs f as the first tasklet of a new dispatcher, on a goroutine of its own,
// and returns the dispatcher at once. A server uses it to run N event loops: each dispatcher
// runs its tasklets one at a time, as any dispatcher does, and N dispatchers that each accept
// on their own ListenShared listener serve their connections in parallel, on up to N cores.
//
// Dispatchers share nothing. A tasklet must use only the channels, mailboxes, sockets, timers
// and tasklets of its own dispatcher; the way across is Post or Do, which are safe from any
// goroutine. The new dispatcher takes opts (by default: the real clock, logging to
// os.Stderr, no SIGINT handling: the process's main dispatcher, from Dispatch, has that). It
// ends when its tasklets have all finished or one of them quits (its exit code is dropped);
// the process ends when main returns, whatever other dispatchers are doing.
func StartDispatcher(f Frame, opts ...DispatcherOption) *Dispatcher {
	d := NewDispatcher(opts...)
	d.Spawn(f, Options{})
	go d.Run()
	return d
}
