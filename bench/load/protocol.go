package load

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// A Protocol says what one request is and how the responses of a connection are framed.
type Protocol interface {
	// Request returns the bytes of one request. The slice is not modified by the caller.
	Request() []byte
	// Parse consumes the complete responses at the front of buf and returns how many there
	// were and how many bytes they took. A malformed response is an error.
	Parse(buf []byte) (n, used int, err error)
}

// Echo is the echo protocol: a request is Size bytes, and its response is the same bytes.
type Echo struct {
	msg []byte
}

// NewEcho returns the echo protocol with messages of size bytes.
func NewEcho(size int) *Echo {
	msg := make([]byte, size)
	for i := range msg {
		msg[i] = 'a' + byte(i%26)
	}
	return &Echo{msg: msg}
}

// Request returns one message.
func (e *Echo) Request() []byte { return e.msg }

// Parse counts the whole messages at the front of buf, checking that each came back intact.
func (e *Echo) Parse(buf []byte) (n, used int, err error) {
	size := len(e.msg)
	for len(buf)-used >= size {
		if !bytes.Equal(buf[used:used+size], e.msg) {
			return n, used, fmt.Errorf("echo: message %d came back altered: %q", n, buf[used:used+size])
		}
		used += size
		n++
	}
	return n, used, nil
}

// HTTP is HTTP/1.1 with keep-alive: a GET request, responses framed by Content-Length.
type HTTP struct {
	req []byte
}

// NewHTTP returns the HTTP protocol requesting path from host.
func NewHTTP(host, path string) *HTTP {
	return &HTTP{req: []byte("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: netbench\r\n\r\n")}
}

// Request returns one GET request.
func (h *HTTP) Request() []byte { return h.req }

var (
	crlfcrlf     = []byte("\r\n\r\n")
	status200    = []byte("HTTP/1.1 200 ")
	errNoLength  = errors.New("http: response without Content-Length")
	errBadLength = errors.New("http: bad Content-Length")
)

// Parse counts the complete 200 responses at the front of buf. Each must carry Content-Length.
func (h *HTTP) Parse(buf []byte) (n, used int, err error) {
	for {
		rest := buf[used:]
		end := bytes.Index(rest, crlfcrlf)
		if end < 0 {
			if len(rest) > 64<<10 {
				return n, used, errors.New("http: response header over 64 KiB")
			}
			return n, used, nil
		}
		head := rest[:end+2]
		if !bytes.HasPrefix(head, status200) {
			line, _, _ := bytes.Cut(head, []byte("\r\n"))
			return n, used, fmt.Errorf("http: want status 200, got %q", line)
		}
		length := -1
		for line := range bytes.Lines(head) {
			k, v, ok := bytes.Cut(line, []byte(":"))
			if !ok || !bytes.EqualFold(bytes.TrimSpace(k), []byte("Content-Length")) {
				continue
			}
			l, err := strconv.Atoi(string(bytes.TrimSpace(v)))
			if err != nil || l < 0 {
				return n, used, errBadLength
			}
			length = l
		}
		if length < 0 {
			return n, used, errNoLength
		}
		total := end + 4 + length
		if len(rest) < total {
			return n, used, nil
		}
		used += total
		n++
	}
}
