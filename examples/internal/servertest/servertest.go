// Package servertest runs an example server program as a process of its own, on a free
// loopback port, for the tests of the network examples. The example's test binary doubles
// as the program:
//
//	func TestMain(m *testing.M) { servertest.Main(m, main) }
//
//	func TestEcho(t *testing.T) {
//		srv := servertest.Start(t, "-addr", "127.0.0.1:0")
//		conn := srv.Dial(t)
//		...
//	}
package servertest

import (
	"bufio"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// argsEnv holds the arguments of the program that Start and Run run in place of the tests,
// separated by the unit separator (\x1f; an environment variable cannot hold NUL).
const argsEnv = "TSKC_SERVERTEST_ARGS"

// nofileEnv holds the soft limit on open files (RLIMIT_NOFILE) of a program started by
// StartLimited.
const nofileEnv = "TSKC_SERVERTEST_NOFILE"

// Main runs the tests or, in a process started by Start or Run, the program's main function
// with the arguments given there.
func Main(m *testing.M, main func()) {
	if args, ok := os.LookupEnv(argsEnv); ok {
		if n, err := strconv.ParseUint(os.Getenv(nofileEnv), 10, 64); err == nil {
			// After the Go runtime raised the soft limit at start-up: lower it again.
			var lim syscall.Rlimit
			syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
			lim.Cur = n
			if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
				panic(err)
			}
		}
		os.Args = os.Args[:1]
		if args != "" {
			os.Args = append(os.Args, strings.Split(args, "\x1f")...)
		}
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func command(t *testing.T, args []string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), argsEnv+"="+strings.Join(args, "\x1f"))
	return cmd
}

// Run runs the program with args to its end (at most 10 s) and returns its standard output
// and exit code.
func Run(t *testing.T, args ...string) (stdout string, code int) {
	t.Helper()
	cmd := command(t, args)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(10*time.Second, func() { cmd.Process.Kill() })
	defer timer.Stop()
	cmd.Wait()
	if errb.Len() > 0 {
		t.Logf("stderr of %v:\n%s", args, errb.String())
	}
	return out.String(), cmd.ProcessState.ExitCode()
}

// A Server is a running example program.
type Server struct {
	// Addr is the address it listens on, from its first line of output "listening on ADDR".
	Addr string

	cmd    *exec.Cmd
	mu     sync.Mutex
	stdout []string // its other lines of output
	stderr strings.Builder
	done   chan struct{}
}

// Start runs the program with args and waits (up to 10 s) for it to print
// "listening on ADDR". The program is interrupted (SIGINT) when the test ends.
func Start(t *testing.T, args ...string) *Server {
	t.Helper()
	return start(t, command(t, args))
}

// StartLimited is Start for a program that may have at most nofile open files.
func StartLimited(t *testing.T, nofile int, args ...string) *Server {
	t.Helper()
	cmd := command(t, args)
	cmd.Env = append(cmd.Env, nofileEnv+"="+strconv.Itoa(nofile))
	return start(t, cmd)
}

func start(t *testing.T, cmd *exec.Cmd) *Server {
	t.Helper()
	s := &Server{cmd: cmd, done: make(chan struct{})}
	s.cmd.Stderr = &lockedBuilder{mu: &s.mu, b: &s.stderr}
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(out)
		first := true
		for sc.Scan() {
			line := sc.Text()
			if a, ok := strings.CutPrefix(line, "listening on "); ok && first {
				addr <- a
				first = false
				continue
			}
			s.mu.Lock()
			s.stdout = append(s.stdout, line)
			s.mu.Unlock()
		}
		io.Copy(io.Discard, out)
	}()
	t.Cleanup(func() { s.Stop(t) })
	select {
	case s.Addr = <-addr:
	case <-s.done:
		t.Fatalf("server exited before listening; stderr:\n%s", s.Stderr())
	case <-time.After(10 * time.Second):
		t.Fatalf("server did not print its address within 10s; stderr:\n%s", s.Stderr())
	}
	return s
}

// Stop interrupts the server and waits for it to exit; it returns the exit code.
func (s *Server) Stop(t *testing.T) int {
	if s.cmd.ProcessState != nil {
		return s.cmd.ProcessState.ExitCode()
	}
	s.cmd.Process.Signal(syscall.SIGINT)
	exited := make(chan error, 1)
	go func() { <-s.done; exited <- s.cmd.Wait() }()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-exited
		t.Errorf("server did not exit within 10s of SIGINT")
	}
	return s.cmd.ProcessState.ExitCode()
}

// Output returns the lines the server printed after its address.
func (s *Server) Output() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.stdout...)
}

// Stderr returns what the server wrote to its standard error.
func (s *Server) Stderr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.String()
}

// Dial connects to the server; the connection is closed when the test ends, and every read
// or write on it must finish within 10 s.
func (s *Server) Dial(t *testing.T) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", s.Addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v; server stderr:\n%s", s.Addr, err, s.Stderr())
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	t.Cleanup(func() { c.Close() })
	return c
}

type lockedBuilder struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
