package runtime

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// dribble writes s to c in pieces of at most n bytes, pausing between them, so the reading
// side sees its frames split at every possible place.
func dribble(c net.Conn, s string, n int) error {
	for len(s) > 0 {
		k := min(n, len(s))
		if _, err := c.Write([]byte(s[:k])); err != nil {
			return err
		}
		s = s[k:]
		time.Sleep(time.Millisecond)
	}
	return nil
}

// TestStreamReads: lines (with \n and \r\n, and a last line without \n), ReadUntil, ReadFull
// and ReadSome over frames that arrive split into small pieces.
func TestStreamReads(t *testing.T) {
	const input = "GET / HTTP/1.1\r\nHost: x\r\n\r\n" + "BODY:0123456789" + "tail\n" + "last"
	ln := goListener(t, "tcp", func(c net.Conn) {
		defer c.Close()
		dribble(c, input, 3)
	})
	d, stderr := newNetDispatcher()
	var e errs
	var c *Conn
	var s *Stream
	var got []string
	record := func(v []byte, err error) {
		if err != nil {
			got = append(got, "err:"+err.Error())
			return
		}
		got = append(got, string(v))
	}
	p := prog("client",
		dialStep(&e, "tcp", ln.Addr().String(), &c),
		do(func(t *Tasklet) { s = NewStream(c) }),
		aw(time.Second, func() Op[[]byte] { return s.ReadLine() }, record),
		aw(time.Second, func() Op[[]byte] { return s.ReadUntil("\r\n\r\n") }, record),
		aw(time.Second, func() Op[[]byte] { return s.ReadFull(5) }, record),
		aw(time.Second, func() Op[[]byte] { return s.ReadFull(10) }, record),
		aw(time.Second, func() Op[[]byte] { return s.ReadLine() }, record),
		aw(time.Second, func() Op[[]byte] { return s.ReadLine() }, record),
		aw(time.Second, func() Op[[]byte] { return s.ReadLine() }, record),
		aw(time.Second, func() Op[[]byte] { return s.ReadSome() }, record),
		do(func(t *Tasklet) { s.Close() }),
	)
	d.Spawn(p, Options{})
	if code := runNet(t, d); code != 0 {
		t.Fatalf("Run = %d; stderr: %s", code, stderr)
	}
	e.check(t)
	want := []string{"GET / HTTP/1.1", "Host: x\r\n\r\n", "BODY:", "0123456789", "tail", "last", "err:EOF", "err:EOF"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestStreamEOFCases: ReadFull cut short is io.ErrUnexpectedEOF; ReadUntil without the
// delimiter returns what came with io.EOF; a line longer than the maximum is ErrTooLong.
func TestStreamEOFCases(t *testing.T) {
	cases := []struct {
		name, input string
		op          func(s *Stream) Op[[]byte]
		want        string
		wantErr     error
	}{
		{"full-short", "abc", func(s *Stream) Op[[]byte] { return s.ReadFull(5) }, "abc", io.ErrUnexpectedEOF},
		{"full-none", "", func(s *Stream) Op[[]byte] { return s.ReadFull(5) }, "", io.EOF},
		{"full-zero", "", func(s *Stream) Op[[]byte] { return s.ReadFull(0) }, "", nil},
		{"until-missing", "abc", func(s *Stream) Op[[]byte] { return s.ReadUntil("::") }, "abc", io.EOF},
		{"too-long", strings.Repeat("x", 100) + "\n", func(s *Stream) Op[[]byte] { s.SetMaxToken(10); return s.ReadLine() }, "", ErrTooLong},
		{"big-full", strings.Repeat("y", 3*scratchSize+7), func(s *Stream) Op[[]byte] { return s.ReadFull(3*scratchSize + 7) }, strings.Repeat("y", 3*scratchSize+7), nil},
		{"long-line", strings.Repeat("z", 20000) + "\n", func(s *Stream) Op[[]byte] { return s.ReadLine() }, strings.Repeat("z", 20000), nil},
		{"over-max", strings.Repeat("z", 70000) + "\n", func(s *Stream) Op[[]byte] { return s.ReadLine() }, "", ErrTooLong},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ln := goListener(t, "tcp", func(c net.Conn) {
				c.Write([]byte(tc.input))
				c.Close()
			})
			d, stderr := newNetDispatcher()
			var e errs
			var c *Conn
			var s *Stream
			var got []byte
			var gotErr error
			p := prog("client",
				dialStep(&e, "tcp", ln.Addr().String(), &c),
				do(func(t *Tasklet) { s = NewStream(c) }),
				aw(time.Second, func() Op[[]byte] { return tc.op(s) }, func(v []byte, err error) {
					got, gotErr = bytes.Clone(v), err
					s.Close()
				}),
			)
			d.Spawn(p, Options{})
			if code := runNet(t, d); code != 0 {
				t.Fatalf("Run = %d; stderr: %s", code, stderr)
			}
			e.check(t)
			if string(got) != tc.want || !errors.Is(gotErr, tc.wantErr) {
				t.Errorf("got %.20q…, %v; want %.20q…, %v", got, gotErr, tc.want, tc.wantErr)
			}
		})
	}
}

// TestStreamFlushLargeToSlowReader: a flush (and a plain Write) bigger than the socket buffers
// must wait for the slow reader and still deliver every byte in order.
func TestStreamFlushLargeToSlowReader(t *testing.T) {
	const size = 8 << 20
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i * 7)
	}
	result := make(chan []byte, 1)
	ln := goListener(t, "tcp", func(c net.Conn) {
		defer c.Close()
		var got bytes.Buffer
		buf := make([]byte, 64<<10)
		for {
			time.Sleep(100 * time.Microsecond)
			n, err := c.Read(buf)
			got.Write(buf[:n])
			if err != nil {
				break
			}
		}
		result <- got.Bytes()
	})
	d, stderr := newNetDispatcher()
	var e errs
	var c *Conn
	var s *Stream
	p := prog("client",
		dialStep(&e, "tcp", ln.Addr().String(), &c),
		do(func(t *Tasklet) {
			s = NewStream(c)
			s.Write(data[:size/2])
		}),
		aw(10*time.Second, func() Op[struct{}] { return s.Flush() }, func(_ struct{}, err error) {
			if err != nil {
				e.add("flush: %v", err)
			}
		}),
		aw(10*time.Second, func() Op[int] { return c.Write(data[size/2:]) }, func(n int, err error) {
			if err != nil || n != size/2 {
				e.add("write = %d, %v; want %d, nil", n, err, size/2)
			}
			s.Close()
		}),
	)
	d.Spawn(p, Options{})
	if code := runNet(t, d); code != 0 {
		t.Fatalf("Run = %d; stderr: %s", code, stderr)
	}
	e.check(t)
	if got := <-result; !bytes.Equal(got, data) {
		t.Fatalf("peer got %d bytes, not the %d sent (or in another order)", len(got), len(data))
	}
}

// TestStreamIdleHoldsNoBuffer: a stream whose reads are all consumed gives its buffer back
// while it waits, and one whose flush completed holds no write buffer.
func TestStreamIdleHoldsNoBuffer(t *testing.T) {
	ln := goListener(t, "tcp", func(c net.Conn) {
		defer c.Close()
		c.Write([]byte("one\n"))
		io.Copy(io.Discard, c)
	})
	d, stderr := newNetDispatcher()
	var e errs
	var c *Conn
	var s *Stream
	p := prog("client",
		dialStep(&e, "tcp", ln.Addr().String(), &c),
		do(func(t *Tasklet) { s = NewStream(c) }),
		aw(time.Second, func() Op[[]byte] { return s.ReadLine() }, func(v []byte, err error) {
			if string(v) != "one" || err != nil {
				e.add("ReadLine = %q, %v", v, err)
			}
			s.WriteString("reply\n")
		}),
		aw(time.Second, func() Op[struct{}] { return s.Flush() }, func(_ struct{}, err error) {
			if err != nil {
				e.add("flush: %v", err)
			}
			if s.wb != nil {
				e.add("write buffer kept after flush")
			}
		}),
		// Nothing more will come: the read parks, and while it does the stream holds no buffer.
		do(func(t *Tasklet) {
			t.Spawn(prog("checker", func(t *Tasklet) bool { return t.Sleep(20 * time.Millisecond) }, do(func(t *Tasklet) {
				if s.rb != nil {
					e.add("read buffer kept while idle")
				}
				s.Close()
			})), Options{})
		}),
		aw(5*time.Second, func() Op[[]byte] { return s.ReadLine() }, func(v []byte, err error) {
			if !errors.Is(err, net.ErrClosed) {
				e.add("idle ReadLine after close: %q, %v; want net.ErrClosed", v, err)
			}
		}),
	)
	d.Spawn(p, Options{})
	if code := runNet(t, d); code != 0 {
		t.Fatalf("Run = %d; stderr: %s", code, stderr)
	}
	e.check(t)
}

// TestStreamRandomSplits reads a random mix of lines, delimited tokens and fixed-size records
// with a random sequence of stream operations, while the peer writes the bytes in random
// pieces with random pauses; every result must match a plain reading of the same bytes.
func TestStreamRandomSplits(t *testing.T) {
	seeds := int64(3)
	if testing.Short() {
		seeds = 1
	}
	for seed := int64(1); seed <= seeds; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewSource(seed))
			// The script: what to read, and the bytes that make it up.
			type read struct {
				kind string // line, until, full
				n    int
				want string
			}
			var input strings.Builder
			var script []read
			for range 150 {
				switch rng.Intn(3) {
				case 0:
					s := randText(rng, rng.Intn(200))
					input.WriteString(s + "\n")
					script = append(script, read{kind: "line", want: s})
				case 1:
					s := randText(rng, rng.Intn(300)) + "::"
					input.WriteString(s)
					script = append(script, read{kind: "until", want: s})
				case 2:
					n := rng.Intn(2000)
					s := randText(rng, n)
					input.WriteString(s)
					script = append(script, read{kind: "full", n: n, want: s})
				}
			}
			data := input.String()
			pieces := rand.New(rand.NewSource(seed + 100))
			ln := goListener(t, "tcp", func(c net.Conn) {
				defer c.Close()
				for rest := data; len(rest) > 0; {
					k := min(len(rest), 1+pieces.Intn(64))
					if _, err := c.Write([]byte(rest[:k])); err != nil {
						return
					}
					rest = rest[k:]
					if pieces.Intn(2) == 0 {
						time.Sleep(time.Duration(pieces.Intn(50)) * time.Microsecond)
					}
				}
			})
			d, stderr := newNetDispatcher()
			var e errs
			var c *Conn
			var s *Stream
			i := 0
			var p *netProg
			p = prog("reader",
				dialStep(&e, "tcp", ln.Addr().String(), &c),
				do(func(t *Tasklet) { s = NewStream(c) }),
				label("next"),
				aw(5*time.Second, func() Op[[]byte] {
					switch r := script[i]; r.kind {
					case "line":
						return s.ReadLine()
					case "until":
						return s.ReadUntil("::")
					default:
						return s.ReadFull(r.n)
					}
				}, func(v []byte, err error) {
					r := script[i]
					if err != nil || string(v) != r.want {
						e.add("read %d (%s): %.30q…, %v; want %.30q…", i, r.kind, v, err, r.want)
						s.Close()
						return
					}
					if i++; i < len(script) {
						p.jump("next")
					}
				}),
				aw(5*time.Second, func() Op[[]byte] { return s.ReadSome() }, func(v []byte, err error) {
					if err != io.EOF {
						e.add("after the script: %q, %v; want io.EOF", v, err)
					}
					s.Close()
				}),
			)
			d.Spawn(p, Options{})
			if code := runNet(t, d); code != 0 {
				t.Fatalf("Run = %d; stderr: %s", code, stderr)
			}
			e.check(t)
		})
	}
}

// randText returns n random bytes of text without '\n' or ':'.
func randText(rng *rand.Rand, n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\r\t-_=+"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.Intn(len(alphabet))]
	}
	// A '\r' just before the line's end would be trimmed by ReadLine: keep it out of the end.
	if n > 0 && b[n-1] == '\r' {
		b[n-1] = 'r'
	}
	return string(b)
}

// TestIdleConnectionObjects: what every idle connection of a stream server carries stays
// within the memory budget of the network benchmarks (≤ 500 bytes of RSS per idle
// connection, tasklet and frame included): the Conn (with its write operation) and the
// Stream (with its read operation) fit the 96- and 80-byte size classes, and an operation
// parked on a socket costs the socket one pointer.
func TestIdleConnectionObjects(t *testing.T) {
	for _, c := range []struct {
		name       string
		size, most uintptr
	}{
		{"netFD", unsafe.Sizeof(netFD{}), 32},
		{"Conn", unsafe.Sizeof(Conn{}), 96},
		{"Stream", unsafe.Sizeof(Stream{}), 80},
	} {
		if c.size > c.most {
			t.Errorf("%s is %d bytes, over its budget of %d", c.name, c.size, c.most)
		}
	}
}

// TestReadUntilDelimiterLimits: an empty delimiter, or one of 64 KiB or more, fails at once.
func TestReadUntilDelimiterLimits(t *testing.T) {
	s := NewStream(&Conn{})
	for _, delim := range []string{"", strings.Repeat("x", 1<<16)} {
		_, err := s.ReadUntil(delim).Result(nil)
		if err == nil {
			t.Errorf("ReadUntil with a %d-byte delimiter: no error", len(delim))
		}
	}
}
