package main

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"time"
)

// request is what Greet needs to know about a request.
type request struct {
	head    bool // a HEAD request: no body in the response
	close   bool // the connection ends after the response
	bodyLen int  // bytes of request body to skip
}

const badRequest = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

var errBadRequest = errors.New("bad request")

// parseRequest reads the request line and the headers Greet cares about from head (the bytes
// up to and including the blank line).
func parseRequest(head []byte) (request, error) {
	var req request
	line, rest, ok := bytes.Cut(head, []byte("\r\n"))
	if !ok {
		return req, errBadRequest
	}
	method, line, ok1 := bytes.Cut(line, []byte(" "))
	_, proto, ok2 := bytes.Cut(line, []byte(" "))
	if !ok1 || !ok2 || len(method) == 0 {
		return req, errBadRequest
	}
	switch string(proto) {
	case "HTTP/1.1":
	case "HTTP/1.0":
		req.close = true // unless it asks for keep-alive
	default:
		return req, errBadRequest
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
			return req, errBadRequest
		}
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Connection")):
			if bytes.EqualFold(v, []byte("close")) {
				req.close = true
			} else if bytes.EqualFold(v, []byte("keep-alive")) {
				req.close = false
			}
		case bytes.EqualFold(k, []byte("Content-Length")):
			n, err := strconv.Atoi(string(v))
			if err != nil || n < 0 || n > 1<<20 {
				return req, errBadRequest
			}
			req.bodyLen = n
		case bytes.EqualFold(k, []byte("Transfer-Encoding")):
			return req, errBadRequest // chunked bodies are not supported
		}
	}
	return req, nil
}

const hello = "Hello World!"

// http1Time is the time format of HTTP headers (RFC 9110, IMF-fixdate).
const http1Time = "Mon, 02 Jan 2006 15:04:05 GMT"

// date caches the Date header, which changes once a second.
var date struct {
	sec  int64
	line string
}

// writeHello buffers the response to req on w.
func writeHello(w io.StringWriter, req request) {
	now := time.Now()
	if s := now.Unix(); s != date.sec {
		date.sec = s
		date.line = "Date: " + now.UTC().Format(http1Time) + "\r\n"
	}
	w.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 12\r\n")
	w.WriteString(date.line)
	if req.close {
		w.WriteString("Connection: close\r\n")
	}
	w.WriteString("\r\n")
	if !req.head {
		w.WriteString(hello)
	}
}
