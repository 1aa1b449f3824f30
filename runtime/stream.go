package runtime

import (
	"bytes"
	"errors"
	"io"
	"math"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ErrTooLong is the error of ReadLine and ReadUntil when no delimiter came within the
// stream's maximum token size (see Stream.SetMaxToken).
var ErrTooLong = errors.New("tskrt: line or token too long")

// Streams borrow their buffers, in a few size classes, only while they hold data: a read
// buffer while unread bytes are buffered, a write buffer between Write and the end of Flush.
// An idle connection holds none. A socket is read into a shared scratch buffer when the
// stream holds no room, and what came is copied into a buffer of the right class; so a burst
// of readiness on thousands of sockets borrows small buffers, not a big one each.
var bufClasses = [...]int{64, 256, 1024, 4096, 16 << 10, 64 << 10}

var bufPools [len(bufClasses)]sync.Pool

// scratchSize is the size of the shared buffer sockets are read into.
const scratchSize = 64 << 10

var scratchPool = sync.Pool{New: func() any { return new([scratchSize]byte) }}

// getBuf borrows a buffer of at least n bytes (of length its class's size).
func getBuf(n int) *[]byte {
	for i, size := range bufClasses {
		if n <= size {
			if p, ok := bufPools[i].Get().(*[]byte); ok {
				return p
			}
			b := make([]byte, size)
			return &b
		}
	}
	b := make([]byte, n)
	return &b
}

// putBuf gives back a buffer from getBuf (one of no class is left to the garbage collector).
func putBuf(p *[]byte) {
	for i, size := range bufClasses {
		if cap(*p) == size {
			*p = (*p)[:size]
			bufPools[i].Put(p)
			return
		}
	}
}

// A Stream is a buffered reader and writer over a Conn, in the manner of Concurrence's
// BufferedStream: read a line, exactly n bytes, up to a delimiter, whatever has arrived; write
// into a buffer and flush it.
//
// The slices the read operations return point into the stream's buffer: they are valid until
// the next read operation on the stream. Copy what must live longer (string(line) does).
type Stream struct {
	c      *Conn
	rb     *[]byte // borrowed read buffer, or nil; unread data is (*rb)[r:w]
	wb     *[]byte // borrowed write buffer, or nil
	delim  *byte   // ReadUntil's delimiter: the delimLen bytes of the caller's string
	rerr   error   // the read operation's outcome: errPending until it completes or fails
	r, w   int32
	wn     int32 // bytes in (*wb)[:wn]
	maxTok int32
	// The read operation (see streamRead) lives in the stream, which an idle connection thus
	// carries in one 80-byte object; Flush uses the Conn's write operation fields. While the
	// operation runs, n is ReadFull's count and off the bytes of (*rb)[r:w] already searched
	// for the delimiter; once it is complete, its result is (*rb)[off:off+n] (nil if n < 0).
	n, off   int32
	delimLen uint16
	mode     readMode
	eof      bool // the peer closed its side: no more data will come
}

// NewStream returns a buffered stream over c. The stream reads and writes c; do not use c's
// own Read alongside the stream's read operations.
func NewStream(c *Conn) *Stream {
	return &Stream{c: c, maxTok: 64 << 10}
}

// Conn returns the stream's connection.
func (s *Stream) Conn() *Conn { return s.c }

// Close closes the stream's connection (unflushed writes are dropped).
func (s *Stream) Close() error {
	s.releaseRead()
	if s.wb != nil {
		putBuf(s.wb)
		s.wb, s.wn = nil, 0
	}
	return s.c.Close()
}

// SetMaxToken sets the longest line (or token, for ReadUntil) the stream accepts, 64 KiB by
// default; a longer one fails with ErrTooLong.
func (s *Stream) SetMaxToken(n int) { s.maxTok = int32(min(max(n, 1), math.MaxInt32/2)) }

// Buffered returns the number of bytes received and not yet read.
func (s *Stream) Buffered() int { return int(s.w - s.r) }

type readMode uint8

const (
	readLine readMode = iota
	readUntil
	readFull
	readSome
)

// ReadLine returns the operation that reads the next line: the bytes up to "\n", without the
// "\n" or "\r\n". A last line without "\n" is returned as a line; after it, io.EOF.
func (s *Stream) ReadLine() Op[[]byte] { return s.read(readLine, "", 0) }

// ReadUntil returns the operation that reads up to and including delim. If the peer closes
// first, it completes with what came (possibly nothing) and io.EOF.
func (s *Stream) ReadUntil(delim string) Op[[]byte] {
	if delim == "" || len(delim) > math.MaxUint16 {
		return &failedOp[[]byte]{errors.New("tskrt: ReadUntil with an empty delimiter, or one of 64 KiB or more")}
	}
	return s.read(readUntil, delim, 0)
}

// ReadFull returns the operation that reads exactly n bytes. If the peer closes first, it
// completes with io.EOF when nothing came, io.ErrUnexpectedEOF when some did.
func (s *Stream) ReadFull(n int) Op[[]byte] {
	if n < 0 {
		return &failedOp[[]byte]{errors.New("tskrt: ReadFull with a negative count")}
	}
	return s.read(readFull, "", n)
}

// ReadSome returns the operation that reads whatever has arrived: the buffered bytes if there
// are any, otherwise the next bytes received (at least one). The peer's close reads as io.EOF.
func (s *Stream) ReadSome() Op[[]byte] { return s.read(readSome, "", 0) }

func (s *Stream) read(mode readMode, delim string, n int) Op[[]byte] {
	if s.c.fd.busy(true) {
		return &failedOp[[]byte]{opError("read", &s.c.fd, ErrBusy)}
	}
	if n > math.MaxInt32 {
		return &failedOp[[]byte]{errors.New("tskrt: ReadFull of 2 GiB or more")}
	}
	s.mode, s.n, s.off = mode, int32(n), 0
	s.delim, s.delimLen = unsafe.StringData(delim), uint16(len(delim))
	return (*streamRead)(s)
}

// streamRead is a Stream seen as its read operation, whose state is the stream's own fields
// (mode, delim, delimLen, rerr, n, off).
type streamRead Stream

func (o *streamRead) stream() *Stream { return (*Stream)(o) }
func (o *streamRead) abandon()        { o.c.fd.withdraw(o) }
func (o *streamRead) fail(err error) {
	o.n, o.rerr = -1, opError("read", &o.c.fd, err)
}

func (o *streamRead) Start(t *Tasklet, timeout time.Duration) bool {
	s := o.stream()
	o.rerr = errPending
	if t.begin() {
		return true
	}
	if s.r == s.w {
		// What the last read returned is no longer valid: give the buffer back.
		s.releaseRead()
	}
	if o.attempt() {
		return true
	}
	s.c.fd.wait(t, o, true, timeout)
	return false
}

// scan tries to complete the operation from the buffered bytes.
func (o *streamRead) scan() bool {
	s := o.stream()
	if s.rb == nil {
		return o.mode == readFull && o.n == 0 && o.finish(0, 0)
	}
	buf := (*s.rb)[s.r:s.w]
	start := int(s.r)
	maxToken := int(s.maxTok)
	switch o.mode {
	case readLine:
		if i := bytes.IndexByte(buf[o.off:], '\n'); i >= 0 {
			i += int(o.off)
			if i > maxToken {
				return o.tooLong()
			}
			n := i
			if n > 0 && buf[n-1] == '\r' {
				n--
			}
			s.r += int32(i + 1)
			return o.finish(start, n)
		}
		o.off = int32(len(buf))
		if len(buf) > maxToken {
			return o.tooLong()
		}
	case readUntil:
		delim := unsafe.Slice(o.delim, o.delimLen) // the caller's string: read only
		from := max(0, int(o.off)-len(delim)+1)
		if i := bytes.Index(buf[from:], delim); i >= 0 {
			end := from + i + len(delim)
			if end > maxToken+len(delim) {
				return o.tooLong()
			}
			s.r += int32(end)
			return o.finish(start, end)
		}
		o.off = int32(len(buf))
		if len(buf) > maxToken+len(delim) {
			return o.tooLong()
		}
	case readFull:
		if n := int(o.n); len(buf) >= n {
			s.r += int32(n)
			return o.finish(start, n)
		}
	case readSome:
		if len(buf) > 0 {
			s.r = s.w
			return o.finish(start, len(buf))
		}
	}
	return false
}

// tooLong fails the operation with ErrTooLong, leaving the buffered bytes unread.
func (o *streamRead) tooLong() bool {
	o.n, o.rerr = -1, ErrTooLong
	return true
}

// finish completes the operation with the n bytes at off in the read buffer.
func (o *streamRead) finish(off, n int) bool {
	o.off, o.n, o.rerr = int32(off), int32(n), nil
	return true
}

// atEOF completes the operation when the peer has closed and the buffer cannot satisfy it.
func (o *streamRead) atEOF() {
	s := o.stream()
	off, n := int(s.r), int(s.w-s.r)
	s.r = s.w
	switch {
	case n == 0:
		o.n, o.rerr = -1, io.EOF
	case o.mode == readLine:
		o.finish(off, n)
	case o.mode == readFull:
		o.finish(off, n)
		o.rerr = io.ErrUnexpectedEOF
	default:
		o.finish(off, n)
		o.rerr = io.EOF
	}
}

func (o *streamRead) attempt() bool {
	s := o.stream()
	for {
		if o.scan() {
			return true
		}
		if s.eof {
			o.atEOF()
			return true
		}
		_, err := s.fill()
		switch {
		case err == io.EOF:
			s.eof = true
		case err != nil && isEAGAIN(err):
			s.releaseRead() // if idle, hold no buffer while waiting
			return false
		case err != nil:
			o.fail(err)
			return true
		}
	}
}

// minDirect is the least room in a stream's buffer worth reading into directly.
const minDirect = 1024

// fill reads from the socket into the stream's buffer: directly when the buffer has room,
// else through the scratch buffer into a buffer of the right size class.
func (s *Stream) fill() (int, error) {
	fd := &s.c.fd
	if s.rb != nil {
		buf := *s.rb
		if s.r > 0 && len(buf)-int(s.w) < minDirect {
			// Move the unread bytes to the front.
			s.w = int32(copy(buf, buf[s.r:s.w]))
			s.r = 0
		}
		if len(buf)-int(s.w) >= minDirect {
			m, err := fd.read(buf[s.w:])
			s.w += int32(m)
			return m, err
		}
	}
	if !fd.rdHint {
		return 0, unix.EAGAIN // spare the scratch buffer
	}
	sp := scratchPool.Get().(*[scratchSize]byte)
	m, err := fd.read(sp[:])
	if m > 0 {
		s.appendRead(sp[:m])
	}
	scratchPool.Put(sp)
	return m, err
}

// appendRead adds p to the unread bytes, moving them to a bigger buffer if needed.
func (s *Stream) appendRead(p []byte) {
	unread := int(s.w - s.r)
	if s.rb == nil || len(*s.rb)-int(s.w) < len(p) {
		nb := getBuf(unread + len(p))
		if s.rb != nil {
			copy(*nb, (*s.rb)[s.r:s.w])
			putBuf(s.rb)
		}
		s.rb, s.r, s.w = nb, 0, int32(unread)
	}
	s.w += int32(copy((*s.rb)[s.w:], p))
}

func (s *Stream) releaseRead() {
	if s.rb != nil && s.r == s.w {
		putBuf(s.rb)
		s.rb, s.r, s.w = nil, 0, 0
	}
}

func (o *streamRead) Result(t *Tasklet) ([]byte, error) {
	err := o.rerr
	o.rerr, o.delim, o.delimLen = nil, nil, 0
	if err == errPending {
		return nil, t.Err()
	}
	if o.n < 0 || o.rb == nil {
		return nil, err
	}
	off, end := int(o.off), int(o.off)+int(o.n)
	return (*o.rb)[off:end:end], err
}

// Write adds p to the stream's write buffer; Flush sends it. It never blocks and never fails
// (the error is for io.Writer, so fmt.Fprintf works on a stream).
func (s *Stream) Write(p []byte) (int, error) {
	s.grow(len(p))
	s.wn += int32(copy((*s.wb)[s.wn:], p))
	return len(p), nil
}

// WriteString adds str to the stream's write buffer.
func (s *Stream) WriteString(str string) (int, error) {
	s.grow(len(str))
	s.wn += int32(copy((*s.wb)[s.wn:], str))
	return len(str), nil
}

// maxWriteBuf bounds what a stream buffers between flushes.
const maxWriteBuf = math.MaxInt32

func (s *Stream) grow(n int) {
	if n > maxWriteBuf-int(s.wn) {
		panic("tskrt: more than 2 GiB written to a stream without a Flush")
	}
	if s.wb == nil {
		s.wb = getBuf(n)
		s.wn = 0
		return
	}
	need := int(s.wn) + n
	if need <= len(*s.wb) {
		return
	}
	nb := getBuf(min(max(2*len(*s.wb), need), maxWriteBuf))
	copy(*nb, (*s.wb)[:s.wn])
	putBuf(s.wb)
	s.wb = nb
}

// Flush returns the operation that writes everything buffered by Write, waiting while the
// kernel's send buffer is full.
func (s *Stream) Flush() Op[struct{}] {
	if s.c.fd.busy(false) {
		return &failedOp[struct{}]{opError("write", &s.c.fd, ErrBusy)}
	}
	return (*streamFlush)(s)
}

// streamFlush is a Stream seen as its flush operation, whose state is the write operation
// fields of the stream's Conn (wn: bytes of the buffer sent, werr): a flush and a Conn.Write
// never run at once (see netFD.busy).
type streamFlush Stream

func (o *streamFlush) stream() *Stream { return (*Stream)(o) }
func (o *streamFlush) abandon()        { o.c.fd.withdraw(o) }
func (o *streamFlush) fail(err error) {
	o.c.werr = opError("write", &o.c.fd, err)
	o.stream().dropWritten(o.c.wn)
	o.c.wn = 0
}

func (o *streamFlush) Start(t *Tasklet, timeout time.Duration) bool {
	o.c.wn, o.c.werr = 0, errPending
	if t.begin() {
		return true
	}
	if o.attempt() {
		return true
	}
	o.c.fd.wait(t, o, false, timeout)
	return false
}

func (o *streamFlush) attempt() bool {
	s, c := o.stream(), o.c
	for c.wn < int(s.wn) {
		m, err := c.fd.write((*s.wb)[c.wn:s.wn])
		if err != nil && isEAGAIN(err) {
			return false
		}
		if err != nil {
			o.fail(err)
			return true
		}
		c.wn += m
	}
	s.dropWritten(c.wn)
	c.wn, c.werr = 0, nil
	return true
}

// dropWritten removes the first n bytes (sent) from the write buffer, and gives the buffer
// back when it is empty.
func (s *Stream) dropWritten(n int) {
	if s.wb == nil {
		return
	}
	if n < int(s.wn) {
		s.wn = int32(copy(*s.wb, (*s.wb)[n:s.wn]))
		return
	}
	putBuf(s.wb)
	s.wb, s.wn = nil, 0
}

func (o *streamFlush) Result(t *Tasklet) (struct{}, error) {
	c := o.c
	err := c.werr
	c.werr = nil
	if err == errPending {
		// Cut short by a timeout or kill: keep what was not sent, drop what was.
		o.stream().dropWritten(c.wn)
		c.wn = 0
		return struct{}{}, t.Err()
	}
	return struct{}{}, err
}
