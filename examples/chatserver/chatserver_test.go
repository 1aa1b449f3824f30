package main

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/tskc-lang/tskc/examples/internal/servertest"
)

func TestMain(m *testing.M) { servertest.Main(m, main) }

type client struct {
	t    *testing.T
	name string
	c    net.Conn
	r    *bufio.Reader
}

func join(t *testing.T, srv *servertest.Server, name string) *client {
	t.Helper()
	c := srv.Dial(t)
	cl := &client{t: t, name: name, c: c, r: bufio.NewReader(c)}
	cl.expect("name?")
	cl.say(name)
	return cl
}

func (cl *client) say(line string) {
	cl.t.Helper()
	if _, err := fmt.Fprintf(cl.c, "%s\n", line); err != nil {
		cl.t.Fatalf("%s: write: %v", cl.name, err)
	}
}

func (cl *client) expect(want string) {
	cl.t.Helper()
	got, err := cl.r.ReadString('\n')
	if err != nil {
		cl.t.Fatalf("%s: waiting for %q: %v", cl.name, want, err)
	}
	if got = strings.TrimSuffix(got, "\n"); got != want {
		cl.t.Fatalf("%s: got %q, want %q", cl.name, got, want)
	}
}

// TestChat: three clients join, talk, list the members, and leave in the two ways (quit and
// disconnect); names must be unique.
func TestChat(t *testing.T) {
	srv := servertest.Start(t, "-addr", "127.0.0.1:0")
	ann := join(t, srv, "ann")
	ann.expect("* welcome ann")
	bob := join(t, srv, "bob")
	bob.expect("* welcome bob")
	ann.expect("* bob joined")

	ann.say("hi bob")
	bob.expect("ann: hi bob")
	bob.say("hello ann")
	ann.expect("bob: hello ann")

	dup := join(t, srv, "ann")
	dup.expect("* name taken")

	cat := join(t, srv, "cat")
	cat.expect("* welcome cat")
	ann.expect("* cat joined")
	bob.expect("* cat joined")
	cat.say("/who")
	cat.expect("* members: ann, bob, cat")

	bob.say("/quit")
	ann.expect("* bob left")
	cat.expect("* bob left")
	if _, err := bob.r.ReadString('\n'); err == nil {
		t.Error("bob: the connection stayed open after /quit")
	}

	cat.c.Close() // a disconnect, not a /quit
	ann.expect("* cat left")
	ann.say("/who")
	ann.expect("* members: ann")
}
