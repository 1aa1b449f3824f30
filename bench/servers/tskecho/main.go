// Command tskecho is an echo server on the tskc runtime written with hand-written frames, in
// the shape tskc generates for examples/echo. It lets the benchmarks measure the runtime's
// network layer without the compiler.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	tskrt "github.com/tskc-lang/tskc/runtime"
)

// mainFrame: ln := await Listen("tcp", addr); for { c := await ln.Accept(); spawn handle(c) }
type mainFrame struct {
	pc   int
	addr string
	ln   *tskrt.Listener
	lop  tskrt.Op[*tskrt.Listener]
	aop  tskrt.Op[*tskrt.Conn]
}

func (f *mainFrame) Name() string { return "Main" }

func (f *mainFrame) Resume(t *tskrt.Tasklet) tskrt.Status {
	switch f.pc {
	case 0:
		goto start
	case 1:
		goto listened
	case 2:
		goto accepted
	}
start:
	f.pc = 1
	f.lop = tskrt.Listen("tcp", f.addr)
	if !f.lop.Start(t, tskrt.NoTimeout) {
		return tskrt.Suspended
	}
listened:
	{
		ln, err := f.lop.Result(t)
		f.lop = nil
		if err != nil {
			return t.Fail(err)
		}
		f.ln = ln
		fmt.Printf("listening on %s\n", ln.Addr())
	}
accept:
	f.pc = 2
	f.aop = f.ln.Accept()
	if !f.aop.Start(t, tskrt.NoTimeout) {
		return tskrt.Suspended
	}
accepted:
	{
		c, err := f.aop.Result(t)
		if err != nil {
			fmt.Fprintln(os.Stderr, "accept:", err)
			goto accept
		}
		t.Spawn(&handleFrame{c: c}, tskrt.Options{})
	}
	goto accept
}

// handleFrame: s := NewStream(c); for { data, err := await s.ReadSome(); if err != nil
// { c.Close(); return }; await c.Write(data) }
type handleFrame struct {
	pc  int
	c   *tskrt.Conn
	s   *tskrt.Stream
	rop tskrt.Op[[]byte]
	wop tskrt.Op[int]
}

func (f *handleFrame) Name() string { return "handle" }

func (f *handleFrame) Resume(t *tskrt.Tasklet) tskrt.Status {
	switch f.pc {
	case 0:
		f.s = tskrt.NewStream(f.c)
		goto read
	case 1:
		goto readDone
	case 2:
		goto writeDone
	}
read:
	f.pc = 1
	f.rop = f.s.ReadSome()
	if !f.rop.Start(t, tskrt.NoTimeout) {
		return tskrt.Suspended
	}
readDone:
	{
		data, err := f.rop.Result(t)
		if err != nil {
			f.c.Close()
			return t.Return(nil)
		}
		f.pc = 2
		f.wop = f.c.Write(data)
		if !f.wop.Start(t, tskrt.NoTimeout) {
			return tskrt.Suspended
		}
	}
writeDone:
	if _, err := f.wop.Result(t); err != nil {
		f.c.Close()
		return t.Return(nil)
	}
	goto read
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "TCP address to listen on")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the first -profile-time to this file")
	profileTime := flag.Duration("profile-time", 10*time.Second, "how long to profile")
	memProfile := flag.String("memprofile", "", "on SIGUSR1, print memory statistics and write a heap profile to this file (GODEBUG=memprofilerate=1 records every allocation)")
	flag.Parse()
	if *memProfile != "" {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGUSR1)
		go func() {
			for range sig {
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				fmt.Fprintf(os.Stderr, "before GC: heap in use %d, alloc %d, objects %d, sys %d, stacks %d, mspan %d, gc sys %d, other %d, released %d, next GC %d, GCs %d\n",
					ms.HeapInuse, ms.HeapAlloc, ms.HeapObjects, ms.Sys, ms.StackInuse, ms.MSpanInuse, ms.GCSys, ms.OtherSys, ms.HeapReleased, ms.NextGC, ms.NumGC)
				runtime.GC()
				runtime.ReadMemStats(&ms)
				fmt.Fprintf(os.Stderr, "after GC: heap in use %d, alloc %d, objects %d, sys %d\n", ms.HeapInuse, ms.HeapAlloc, ms.HeapObjects, ms.Sys)
				if f, err := os.Create(*memProfile); err == nil {
					pprof.WriteHeapProfile(f)
					f.Close()
				}
			}
		}()
	}
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		go func() {
			time.Sleep(*profileTime)
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	os.Exit(tskrt.Dispatch(&mainFrame{addr: *addr}))
}
