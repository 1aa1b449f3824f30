package main

import (
	"testing"

	"github.com/tskc-lang/tskc/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestOutput(t *testing.T) {
	exampletest.Check(t, 0, `a pool of four:
  square-3 = 9
  square-1 = 1
  square-13 failed: job 13: unlucky number
  square-2 = 4
  total 14
kill:
  stuck worker: unwinding
  joined the stuck worker: true
deadline:
  slow worker done within 20ms: false timed out: true
  slow worker finished: true
`)
}
