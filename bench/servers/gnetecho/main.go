// Command gnetecho is the github.com/panjf2000/gnet/v2 echo server of the network benchmarks:
// the event-loop design that tskc's echo server is measured against.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/panjf2000/gnet/v2"
)

type echo struct {
	gnet.BuiltinEventEngine
	addr string
}

func (e *echo) OnBoot(eng gnet.Engine) gnet.Action {
	fmt.Fprintf(os.Stdout, "listening on %s\n", e.addr)
	return gnet.None
}

func (e *echo) OnTraffic(c gnet.Conn) gnet.Action {
	buf, _ := c.Next(-1)
	if _, err := c.Write(buf); err != nil {
		return gnet.Close
	}
	return gnet.None
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "TCP address to listen on")
	loops := flag.Int("loops", 0, "event loops (0: one per CPU, gnet's multicore mode)")
	flag.Parse()
	opts := []gnet.Option{gnet.WithTCPNoDelay(gnet.TCPNoDelay), gnet.WithReusePort(false)}
	if *loops == 0 {
		opts = append(opts, gnet.WithMulticore(true))
	} else {
		opts = append(opts, gnet.WithNumEventLoop(*loops))
	}
	a := *addr
	if !strings.Contains(a, "://") {
		a = "tcp://" + a
	}
	log.Fatal(gnet.Run(&echo{addr: *addr}, a, opts...))
}
