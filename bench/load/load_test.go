package load

import (
	"net"
	"strings"
	"testing"
	"time"
)

func TestEchoParse(t *testing.T) {
	e := NewEcho(8)
	msg := string(e.Request())
	n, used, err := e.Parse([]byte(msg + msg + msg[:3]))
	if err != nil || n != 2 || used != 16 {
		t.Fatalf("Parse = %d, %d, %v; want 2, 16, nil", n, used, err)
	}
	if _, _, err := e.Parse([]byte("xxxxxxxx")); err == nil {
		t.Fatal("Parse of an altered message: no error")
	}
}

func TestHTTPParse(t *testing.T) {
	h := NewHTTP("x", "/")
	resp := "HTTP/1.1 200 OK\r\nContent-Length: 5\r\ncontent-type: text/plain\r\n\r\nhello"
	n, used, err := h.Parse([]byte(resp + resp + resp[:20]))
	if err != nil || n != 2 || used != 2*len(resp) {
		t.Fatalf("Parse = %d, %d, %v; want 2, %d, nil", n, used, err, 2*len(resp))
	}
	// A body cut short is not a response yet.
	if n, _, err := h.Parse([]byte(resp[:len(resp)-1])); n != 0 || err != nil {
		t.Fatalf("Parse of a partial body = %d, %v", n, err)
	}
	for _, bad := range []string{
		"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
	} {
		if _, _, err := h.Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%q): no error", bad)
		}
	}
}

// echoServer is a goroutine echo server; it echoes only after a split so responses arrive in
// pieces and the client must reassemble them.
func echoServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					half := n / 2
					c.Write(buf[:half])
					c.Write(buf[half:n])
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func TestRunStopsByBudget(t *testing.T) {
	addr := echoServer(t)
	c, err := Dial(addr, 10, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Conns() != 10 {
		t.Fatalf("Conns = %d", c.Conns())
	}
	p := NewEcho(64)
	if err := c.Prime(p, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := c.Completed(); got != 10 {
		t.Fatalf("after Prime, Completed = %d; want 10", got)
	}
	// Pipelined, with a budget of 2,000 round trips: the run must end by itself.
	r := c.Start(p, 16, 0, 2000)
	deadline := time.Now().Add(10 * time.Second)
	for !r.Finished() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if !r.Finished() {
		t.Fatal("run did not stop by itself")
	}
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	if got := c.Completed(); got < 2000 || got > 2000+10*16 {
		t.Fatalf("Completed = %d; want 2000..2160", got)
	}
	// Time-bounded: Stop drains what is in flight and the connections can be used again.
	r = c.Start(p, 1, 0, 0)
	time.Sleep(20 * time.Millisecond)
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	if c.Completed() == 0 {
		t.Fatal("no round trips in 20ms")
	}
}

func TestServerClose(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.Close()
		}
	}()
	c, err := Dial(ln.Addr().String(), 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.Prime(NewEcho(64), 5*time.Second)
	if err == nil || !strings.Contains(err.Error(), "closed") && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("Prime against a closing server: %v; want a closed/reset error", err)
	}
}
