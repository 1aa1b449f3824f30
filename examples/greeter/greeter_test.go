package main

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptrace"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tskc-lang/tskc/examples/internal/servertest"
)

func TestMain(m *testing.M) { servertest.Main(m, main) }

// TestKeepAlive: Go's HTTP client reuses one connection for many requests, from several
// goroutines at once.
func TestKeepAlive(t *testing.T) {
	srv := servertest.Start(t, "-addr", "127.0.0.1:0")
	tr := &http.Transport{MaxIdleConnsPerHost: 4}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var mu sync.Mutex
	reused := 0
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
					if info.Reused {
						mu.Lock()
						reused++
						mu.Unlock()
					}
				}}
				req, _ := http.NewRequest("GET", "http://"+srv.Addr+"/hello", nil)
				req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
				resp, err := client.Do(req)
				if err != nil {
					t.Errorf("goroutine %d request %d: %v", g, i, err)
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || string(body) != "Hello World!" || resp.Header.Get("Date") == "" {
					t.Errorf("response %d %q %v", resp.StatusCode, body, resp.Header)
				}
			}
		}()
	}
	wg.Wait()
	if reused < 90 {
		t.Errorf("only %d of 100 requests reused a connection", reused)
	}
}

// TestRawHTTP sends hand-written requests: pipelined ones (answered in order), a POST with
// a body, a HEAD, HTTP/1.0 (closed after the response), and a malformed request (400).
func TestRawHTTP(t *testing.T) {
	srv := servertest.Start(t, "-addr", "127.0.0.1:0")
	cases := []struct {
		name, send string
		methods    []string // of the requests, in order (http.ReadResponse needs them)
		want       []string // status codes of the responses, in order
		bodies     []string
		closed     bool // the server closes the connection after them
	}{
		{"pipelined", "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\n\r\n",
			[]string{"GET", "GET", "GET"}, []string{"200", "200", "200"}, []string{"Hello World!", "Hello World!", "Hello World!"}, false},
		{"post-body", "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\n\r\n",
			[]string{"POST", "GET"}, []string{"200", "200"}, []string{"Hello World!", "Hello World!"}, false},
		{"head", "HEAD / HTTP/1.1\r\n\r\n", []string{"HEAD"}, []string{"200"}, []string{""}, false},
		{"http10", "GET / HTTP/1.0\r\n\r\n", []string{"GET"}, []string{"200"}, []string{"Hello World!"}, true},
		{"close", "GET / HTTP/1.1\r\nConnection: close\r\n\r\n", []string{"GET"}, []string{"200"}, []string{"Hello World!"}, true},
		{"bad", "NONSENSE\r\n\r\n", []string{"GET"}, []string{"400"}, []string{""}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := srv.Dial(t)
			if _, err := io.WriteString(c, tc.send); err != nil {
				t.Fatal(err)
			}
			r := bufio.NewReader(c)
			for i, want := range tc.want {
				req, _ := http.NewRequest(tc.methods[i], "/", nil)
				resp, err := http.ReadResponse(r, req)
				if err != nil {
					t.Fatalf("response %d: %v", i, err)
				}
				body, _ := io.ReadAll(resp.Body)
				if got := resp.Status[:3]; got != want || string(body) != tc.bodies[i] {
					t.Errorf("response %d: %s %q; want %s %q", i, resp.Status, body, want, tc.bodies[i])
				}
			}
			if tc.closed {
				if n, err := r.Read(make([]byte, 1)); n != 0 || err != io.EOF {
					t.Errorf("after the last response: %d, %v; want the server to close (EOF)", n, err)
				}
			}
		})
	}
}

// TestSlowClients: clients that send half a request and stall, or connect and send nothing,
// do not hold up the others.
func TestSlowClients(t *testing.T) {
	srv := servertest.Start(t, "-addr", "127.0.0.1:0")
	for range 20 {
		c := srv.Dial(t)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n") // and no blank line
		srv.Dial(t)                                        // nothing at all
	}
	c := srv.Dial(t)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("a prompt client behind stalled ones: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != "Hello World!" {
		t.Errorf("got %s %q", resp.Status, body)
	}
}

// TestLoops: with -loops 2 the server runs two event loops on one address; separate
// connections (spread between them by the kernel) all get their answers.
func TestLoops(t *testing.T) {
	srv := servertest.Start(t, "-addr", "127.0.0.1:0", "-loops", "2")
	want := "listening on " + srv.Addr
	for deadline := time.Now().Add(5 * time.Second); !slices.Contains(srv.Output(), want); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the second loop did not listen on %s: output %q, stderr %s", srv.Addr, srv.Output(), srv.Stderr())
		}
	}
	for i := range 20 {
		tr := &http.Transport{DisableKeepAlives: true}
		resp, err := (&http.Client{Transport: tr}).Get("http://" + srv.Addr + "/")
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "Hello World!" {
			t.Errorf("request %d: %d %q", i, resp.StatusCode, body)
		}
	}
}
