package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tskc-lang/tskc/examples/internal/servertest"
)

func TestMain(m *testing.M) { servertest.Main(m, main) }

// TestEcho starts the server and drives it with Go clients: many at once, messages split
// across writes, half-close.
func TestEcho(t *testing.T) {
	srv := servertest.Start(t, "-addr", "127.0.0.1:0")
	var wg sync.WaitGroup
	for i := range 50 {
		c := srv.Dial(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg := bytes.Repeat([]byte{'a' + byte(i%26)}, 1000+i*100)
			go func() {
				// In pieces, so the server sees partial messages.
				for p := msg; len(p) > 0; p = p[min(len(p), 333):] {
					c.Write(p[:min(len(p), 333)])
				}
				c.(interface{ CloseWrite() error }).CloseWrite()
			}()
			got, err := io.ReadAll(c) // to EOF: the server closes after our half-close
			if err != nil {
				t.Errorf("client %d: %v", i, err)
			}
			if !bytes.Equal(got, msg) {
				t.Errorf("client %d: got %d bytes back, want %d", i, len(got), len(msg))
			}
		}()
	}
	wg.Wait()
}

// TestClient runs the example's own client against its server.
func TestClient(t *testing.T) {
	srv := servertest.Start(t, "-addr", "127.0.0.1:0")
	out, code := servertest.Run(t, "-connect", srv.Addr, "hello", "tasklet", "world")
	want := "echo: hello\necho: tasklet\necho: world\nserver closed: EOF\n"
	if code != 0 || out != want {
		t.Errorf("client: exit %d, output:\n%s\nwant:\n%s", code, out, want)
	}
	// A client with nothing to connect to fails with exit code 1.
	if _, code := servertest.Run(t, "-connect", "127.0.0.1:1"); code != 1 {
		t.Errorf("client against a closed port: exit %d, want 1", code)
	}
	if strings.Contains(srv.Stderr(), "panic") {
		t.Errorf("server stderr:\n%s", srv.Stderr())
	}
}

// TestEchoSurvivesResets: clients that reset their connections (RST) mid-stream, or vanish
// without reading, do not disturb the server: a new client is served as usual.
func TestEchoSurvivesResets(t *testing.T) {
	srv := servertest.Start(t, "-addr", "127.0.0.1:0")
	for i := range 100 {
		c := srv.Dial(t)
		c.Write(bytes.Repeat([]byte("x"), 1000+i*1000))
		if i%2 == 0 {
			c.(*net.TCPConn).SetLinger(0) // close sends RST
		}
		c.Close()
	}
	c := srv.Dial(t)
	if _, err := c.Write([]byte("still there?")); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len("still there?"))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "still there?" {
		t.Fatalf("after the resets: %q, %v; server stderr:\n%s", got, err, srv.Stderr())
	}
}

// TestEchoOutOfDescriptors runs the server with room for about 40 descriptors and connects 80
// clients: accept fails with EMFILE (the server says so on stderr and goes on), the clients
// beyond the limit wait in the accept queue, and once the first ones leave, the rest are
// served.
func TestEchoOutOfDescriptors(t *testing.T) {
	srv := servertest.StartLimited(t, 48, "-addr", "127.0.0.1:0")
	const n = 80
	conns := make([]net.Conn, n)
	for i := range conns {
		conns[i] = srv.Dial(t)
		fmt.Fprintf(conns[i], "client %02d\n", i)
	}
	check := func(i int) {
		t.Helper()
		want := fmt.Sprintf("client %02d\n", i)
		got := make([]byte, len(want))
		if _, err := io.ReadFull(conns[i], got); err != nil || string(got) != want {
			t.Fatalf("client %d: %q, %v; server stderr:\n%s", i, got, err, srv.Stderr())
		}
	}
	check(0)
	for i := 0; i < n/2; i++ {
		conns[i].Close()
	}
	for i := n / 2; i < n; i++ {
		check(i)
		conns[i].Close() // and make room for the next
	}
	if !strings.Contains(srv.Stderr(), "too many open files") {
		t.Errorf("the server never ran out of descriptors; stderr:\n%s", srv.Stderr())
	}
}

// TestEchoLoops: with -loops 3 the server runs three event loops on one address (the extra
// ones listen on the first one's port, here chosen by the kernel); every client is echoed,
// whichever loop accepted it.
func TestEchoLoops(t *testing.T) {
	srv := servertest.Start(t, "-addr", "127.0.0.1:0", "-loops", "3")
	want := "listening on " + srv.Addr
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		n := 0
		for _, l := range srv.Output() {
			if l == want {
				n++
			}
		}
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the two extra loops did not listen on %s: output %q, stderr %s", srv.Addr, srv.Output(), srv.Stderr())
		}
	}
	var wg sync.WaitGroup
	for i := range 30 {
		c := srv.Dial(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg := []byte(fmt.Sprintf("message %d\n", i))
			c.Write(msg)
			got := make([]byte, len(msg))
			if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, msg) {
				t.Errorf("client %d: got %q, %v; want %q", i, got, err, msg)
			}
		}()
	}
	wg.Wait()
	if code := srv.Stop(t); code != 130 {
		t.Errorf("exit code after SIGINT: %d, want 130; stderr: %s", code, srv.Stderr())
	}
}
