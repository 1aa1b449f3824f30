// Command tskgreeter is the HTTP/1.1 hello server of examples/greeter written with
// hand-written frames on the tskc runtime, in the shape tskc generates. It lets the
// benchmarks measure the runtime's network layer without the compiler.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	tskrt "github.com/tskc-lang/tskc/runtime"
)

// mainFrame: ln := await Listen("tcp", addr); for { c := await ln.Accept(); spawn greet(c) }
type mainFrame struct {
	pc   int
	addr string
	ln   *tskrt.Listener
	lop  tskrt.Op[*tskrt.Listener]
	aop  tskrt.Op[*tskrt.Conn]
}

func (f *mainFrame) Resume(t *tskrt.Tasklet) tskrt.Status {
	switch f.pc {
	case 1:
		goto listened
	case 2:
		goto accepted
	}
	f.pc = 1
	f.lop = tskrt.Listen("tcp", f.addr)
	if !f.lop.Start(t, tskrt.NoTimeout) {
		return tskrt.Suspended
	}
listened:
	{
		ln, err := f.lop.Result(t)
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
	if c, err := f.aop.Result(t); err == nil {
		t.Spawn(&greetFrame{c: c}, tskrt.Options{})
	}
	goto accept
}

// greetFrame: for { head := await s.ReadUntil("\r\n\r\n") timeout 30s; (body); write the
// response; flush unless more requests are buffered }
type greetFrame struct {
	pc  int
	c   *tskrt.Conn
	s   *tskrt.Stream
	req request
	rop tskrt.Op[[]byte]
	fop tskrt.Op[struct{}]
}

func (f *greetFrame) Resume(t *tskrt.Tasklet) tskrt.Status {
	switch f.pc {
	case 0:
		f.s = tskrt.NewStream(f.c)
		goto read
	case 1:
		goto headDone
	case 2:
		goto bodyDone
	case 3:
		goto flushed
	}
read:
	f.pc = 1
	f.rop = f.s.ReadUntil("\r\n\r\n")
	if !f.rop.Start(t, 30*time.Second) {
		return tskrt.Suspended
	}
headDone:
	{
		head, err := f.rop.Result(t)
		if err != nil {
			f.s.Close()
			return t.Return(nil)
		}
		f.req, err = parseRequest(head)
		if err != nil {
			f.s.Close()
			return t.Return(nil)
		}
		if f.req.bodyLen > 0 {
			f.pc = 2
			f.rop = f.s.ReadFull(f.req.bodyLen)
			if !f.rop.Start(t, 30*time.Second) {
				return tskrt.Suspended
			}
			goto bodyDone
		}
		goto respond
	}
bodyDone:
	if _, err := f.rop.Result(t); err != nil {
		f.s.Close()
		return t.Return(nil)
	}
respond:
	writeHello(f.s, f.req)
	if !f.req.close && f.s.Buffered() > 0 {
		goto read
	}
	f.pc = 3
	f.fop = f.s.Flush()
	if !f.fop.Start(t, 10*time.Second) {
		return tskrt.Suspended
	}
flushed:
	if _, err := f.fop.Result(t); err != nil || f.req.close {
		f.s.Close()
		return t.Return(nil)
	}
	goto read
}

// request, parseRequest and writeHello are those of examples/greeter (http.go).
type request struct {
	head    bool
	close   bool
	bodyLen int
}

func parseRequest(head []byte) (request, error) {
	var req request
	line, rest, ok := bytes.Cut(head, []byte("\r\n"))
	if !ok {
		return req, errBad
	}
	method, line, ok1 := bytes.Cut(line, []byte(" "))
	_, proto, ok2 := bytes.Cut(line, []byte(" "))
	if !ok1 || !ok2 {
		return req, errBad
	}
	switch string(proto) {
	case "HTTP/1.1":
	case "HTTP/1.0":
		req.close = true
	default:
		return req, errBad
	}
	req.head = string(method) == "HEAD"
	for len(rest) > 0 {
		var h []byte
		h, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		if len(h) == 0 {
			break
		}
		k, v, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			return req, errBad
		}
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Connection")):
			req.close = bytes.EqualFold(v, []byte("close")) || req.close && !bytes.EqualFold(v, []byte("keep-alive"))
		case bytes.EqualFold(k, []byte("Content-Length")):
			n, err := strconv.Atoi(string(v))
			if err != nil || n < 0 {
				return req, errBad
			}
			req.bodyLen = n
		}
	}
	return req, nil
}

var errBad = fmt.Errorf("bad request")

var date struct {
	sec  int64
	line string
}

func writeHello(s *tskrt.Stream, req request) {
	now := time.Now()
	if sec := now.Unix(); sec != date.sec {
		date.sec = sec
		date.line = "Date: " + now.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT") + "\r\n"
	}
	s.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 12\r\n")
	s.WriteString(date.line)
	if req.close {
		s.WriteString("Connection: close\r\n")
	}
	s.WriteString("\r\n")
	if !req.head {
		s.WriteString("Hello World!")
	}
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "TCP address to listen on")
	flag.Parse()
	os.Exit(tskrt.Dispatch(&mainFrame{addr: *addr}))
}
