package main

import tskrt "github.com/tskc-lang/tskc/runtime"

// With -loops N, the server runs N event loops: the main dispatcher and N-1 more from
// tskrt.StartDispatcher, each running Serve with its own listener on the address
// (tskrt.ListenShared: SO_REUSEPORT), so the kernel spreads the connections among them and
// each connection is served by one loop, on its own thread. The first listener is made
// before the others start, so an address with port 0 works: they listen on its port.

// listen returns the operation that listens on addr, sharing it with other listeners if shared.
func listen(addr string, shared bool) tskrt.Op[*tskrt.Listener] {
	if shared {
		return tskrt.ListenShared("tcp", addr)
	}
	return tskrt.Listen("tcp", addr)
}

// startLoops starts n more event loops (dispatchers) serving addr.
func startLoops(addr string, n int) {
	for range n {
		tskrt.StartDispatcher(Serve(addr, 0))
	}
}
