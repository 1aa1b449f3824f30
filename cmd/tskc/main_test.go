package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"tskc": func() { os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// oldTime is the modification time setold gives files; isold checks it.
var oldTime = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)

// TestScripts runs the scripts in testdata/script. They run tskc as a
// command (the test binary itself) and the real go command, in a fresh
// directory each; see the commands below for the helpers they use.
func TestScripts(t *testing.T) {
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	goEnv := map[string]string{}
	if _, err := exec.LookPath("go"); err == nil {
		out, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH", "GOPROXY").Output()
		if err != nil {
			t.Fatalf("go env: %v", err)
		}
		vals := strings.Split(strings.TrimSpace(string(out)), "\n")
		for i, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOPROXY"} {
			if i < len(vals) {
				goEnv[k] = vals[i]
			}
		}
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(e *testscript.Env) error {
			for k, v := range goEnv {
				e.Setenv(k, v)
			}
			e.Setenv("GOTOOLCHAIN", "local")
			// Everything the scripts build is in the module cache already
			// (the repository's own dependencies): never wait on a network.
			e.Setenv("GOPROXY", "off")
			e.Setenv("GOFLAGS", "-mod=mod")
			e.Setenv("GOWORK", "off")
			e.Setenv("REPO", repo)
			return nil
		},
		Condition: func(cond string) (bool, error) {
			if cond == "short" {
				return testing.Short(), nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"setold": cmdSetold,
			"isold":  cmdIsold,
			"mkmod":  cmdMkmod,
		},
	})
}

// setold FILE... sets the files' modification times to a fixed old time.
func cmdSetold(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: setold file...")
	}
	for _, a := range args {
		ts.Check(os.Chtimes(ts.MkAbs(a), oldTime, oldTime))
	}
}

// isold FILE... checks that setold's time is still on the files (that
// nothing rewrote them); with !, that it is not.
func cmdIsold(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: [!] isold file...")
	}
	for _, a := range args {
		fi, err := os.Stat(ts.MkAbs(a))
		ts.Check(err)
		if old := fi.ModTime().Equal(oldTime); old == neg {
			if neg {
				ts.Fatalf("%s was not rewritten", a)
			}
			ts.Fatalf("%s was rewritten (modified %v)", a, fi.ModTime())
		}
	}
}

// mkmod PATH [extra go.mod lines...] writes a go.mod for module PATH in the
// current directory that requires this repository's module through a
// replace directive, with the repository's requirements and go.sum, so
// that generated code builds against the runtime under test with nothing
// to download.
func cmdMkmod(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: mkmod modulepath [go.mod line...]")
	}
	repo := ts.Getenv("REPO")
	repoMod, err := os.ReadFile(filepath.Join(repo, "go.mod"))
	ts.Check(err)
	var mod bytes.Buffer
	fmt.Fprintf(&mod, "module %s\n\n", args[0])
	// The go line and the requirements of the repository's module.
	inRequire := false
	for _, line := range strings.Split(string(repoMod), "\n") {
		switch {
		case strings.HasPrefix(line, "go "), strings.HasPrefix(line, "require ") && !strings.HasSuffix(line, "("):
			fmt.Fprintf(&mod, "%s\n", line)
		case line == "require (":
			inRequire = true
			fmt.Fprintf(&mod, "%s\n", line)
		case inRequire:
			fmt.Fprintf(&mod, "%s\n", line)
			inRequire = line != ")"
		}
	}
	fmt.Fprintf(&mod, "\nrequire github.com/tskc-lang/tskc v0.0.0\n\nreplace github.com/tskc-lang/tskc => %s\n", repo)
	for _, line := range args[1:] {
		fmt.Fprintf(&mod, "\n%s\n", line)
	}
	ts.Check(os.WriteFile(ts.MkAbs("go.mod"), mod.Bytes(), 0o644))
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs("go.sum"), sum, 0o644))
}
