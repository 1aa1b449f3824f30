package main

import (
	"testing"

	"github.com/tskc-lang/tskc/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestOutput(t *testing.T) {
	exampletest.Check(t, 0, `over a channel:
  ponger got ping 1
  pinger got pong
  ponger got ping 2
  pinger got pong
  ponger got ping 3
  pinger got pong
over mailboxes:
  ponger got ping 1
  pinger got pong 1
  ponger got ping 2
  pinger got pong 2
  ponger got ping 3
  pinger got pong 3
  ponger returned 3 balls
  ponger stops
`)
}
