package main

import (
	"testing"

	"github.com/tskc-lang/tskc/examples/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m, main) }

func TestOutput(t *testing.T) {
	exampletest.Check(t, 0, `members: ann, bob, lurker
  ann sees "bob joined"
  bob sees "ann: hi bob"
  ann sees "bob: hi ann"
  bob is out
  ann sees "bob left"
members: ann, lurker
  ann is out
  lurker kept ["ann: hi bob" "bob: hi ann" "bob left"], dropped 2
`)
}
