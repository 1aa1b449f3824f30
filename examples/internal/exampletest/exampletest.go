// Package exampletest runs an example program as a process of its own and
// checks what it prints. The example's test binary doubles as the program:
//
//	func TestMain(m *testing.M) { exampletest.Main(m, main) }
//
//	func TestOutput(t *testing.T) { exampletest.Check(t, 0, want) }
package exampletest

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// env tells the re-executed test binary to be the program.
const env = "TSKC_EXAMPLE_RUN_MAIN"

// Main runs the tests, or, in the process Check starts, the program's main
// function (which ends the process with the program's exit code).
func Main(m *testing.M, main func()) {
	if os.Getenv(env) == "1" {
		os.Args = os.Args[:1]
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// Check runs the program with args and compares its exit code and its
// standard output with the expected ones, line by line.
func Check(t *testing.T, wantCode int, want string, args ...string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), env+"=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	code := 0
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code = exitErr.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if code != wantCode {
		t.Errorf("exit code %d, want %d; stderr:\n%s", code, wantCode, stderr.String())
	}
	got, wantLines := strings.Split(string(out), "\n"), strings.Split(want, "\n")
	for i := 0; i < max(len(got), len(wantLines)); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(wantLines) {
			w = wantLines[i]
		}
		if g != w {
			t.Errorf("output line %d: got %q, want %q\nfull output:\n%s\nstderr:\n%s", i+1, g, w, out, stderr.String())
			return
		}
	}
}
