package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tskc-lang/tskc/internal/build"
)

func TestCatch(t *testing.T) {
	f := func() (err error) {
		defer catch(&err)
		var m map[string]int
		//lint:ignore SA5000 the test needs a genuine runtime panic
		m["boom"]++ // a nil map write panics
		return nil
	}
	err := f()
	if err == nil || !strings.HasPrefix(err.Error(), "internal compiler error: assignment to entry in nil map") {
		t.Errorf("got %v", err)
	}
	g := func() (err error) {
		defer catch(&err)
		return errors.New("plain")
	}
	if err := g(); err == nil || err.Error() != "plain" {
		t.Errorf("an error without a panic changed: %v", err)
	}
}

func TestRelativize(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	in := []build.Diagnostic{
		{File: filepath.Join(wd, "b", "x.tsk"), Line: 2, Col: 1, Message: "m"},
		{File: "/elsewhere/y.tsk", Line: 1, Col: 1, Message: "m"},
		{File: "a.tsk", Line: 9, Col: 9, Message: "m"},
	}
	got := relativize(in)
	want := []string{"/elsewhere/y.tsk:1:1: m", "a.tsk:9:9: m", filepath.Join("b", "x.tsk") + ":2:1: m"}
	for i, d := range got {
		if d.String() != want[i] {
			t.Errorf("%d: got %s, want %s", i, d, want[i])
		}
	}
}
