package main

import (
	"testing"

	"github.com/tskc-lang/tskc/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestOutput(t *testing.T) {
	exampletest.Check(t, 0, `every 10ms:
  beat 1
  beat 2
  beat 3
  three beats took at least 30ms: true
rate 100/s:
  sample 1 later than the one before: true
  sample 2 later than the one before: true
  sample 3 later than the one before: true
after 15ms:
  alarm, not before 15ms: true
loop:
  polled, round 1
  polled, round 2
  polled, round 3
receiver:
  echo: first
  echo: 2
  echo: last
  the receiver ran once per message
`)
}
