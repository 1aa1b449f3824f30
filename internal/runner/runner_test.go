package runner

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/tskc-lang/tskc/grammar"
	"github.com/tskc-lang/tskc/internal/build"
)

// copyGen stands in for the code generator: a .tsk file here holds Go
// source, which it "compiles" by adding the marker. A source containing
// "ERROR" gives a positioned error.
func copyGen(dir string, _ map[string][]byte) ([]build.Output, error) {
	matches, _ := filepath.Glob(filepath.Join(dir, "*.tsk"))
	var outs []build.Output
	for _, m := range matches {
		src, err := os.ReadFile(m)
		if err != nil {
			return nil, err
		}
		if i := bytes.Index(src, []byte("ERROR")); i >= 0 {
			return nil, grammar.ErrorList{{Pos: grammar.Pos{Filename: m, Line: 1, Column: i + 1}, Msg: "bad"}}
		}
		outs = append(outs, build.Output{Source: m, Path: build.GeneratedName(m),
			Content: append([]byte(build.Marker+"\n\n"), src...)})
	}
	return outs, nil
}

// fakeModule is a stand-in for the embedded runtime module.
var fakeModule = fstest.MapFS{
	"go.mod":                    {Data: []byte("module github.com/tskc-lang/tskc\n\ngo 1.26\n")},
	"go.sum":                    {Data: nil},
	"runtime/version.go":        {Data: []byte("package runtime\n\nconst Version = \"fake\"\n")},
	"runtime/version_test.go":   {Data: []byte("this is not Go and must not be copied")},
	"runtime/testdata/junk.txt": {Data: []byte("not copied")},
}

const program = `package main

import (
	"fmt"
	"io"
	"os"

	tskrt "github.com/tskc-lang/tskc/runtime"
)

func main() {
	in, _ := io.ReadAll(os.Stdin)
	fmt.Println("runtime", tskrt.Version, "args", os.Args[1:], "stdin", string(in))
	fmt.Fprintln(os.Stderr, "to stderr")
	os.Exit(3)
}
`

func needGo(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
}

func run(t *testing.T, target string, args ...string) (code int, stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	code, err = Run(target, args, Config{
		Generate: copyGen,
		Module:   fakeModule,
		Stdin:    strings.NewReader("hello"),
		Stdout:   &out,
		Stderr:   &errb,
	})
	return code, out.String(), errb.String(), err
}

func TestRunSingleFile(t *testing.T) {
	needGo(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "hello.tsk")
	os.WriteFile(file, []byte(program), 0o644)
	code, stdout, stderr, err := run(t, file, "a", "b c")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if code != 3 || stdout != "runtime fake args [a b c] stdin hello\n" || stderr != "to stderr\n" {
		t.Errorf("got code %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	// Nothing is written beside the source.
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("run wrote into the source directory: %v", entries)
	}
}

func TestRunInModule(t *testing.T) {
	needGo(t)
	dir := t.TempDir()
	// A module of its own that vendors a copy of the fake runtime through a
	// replace directive, as a user's module requires the real one.
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/app\n\ngo 1.26\n\nrequire github.com/tskc-lang/tskc v0.0.0\n\nreplace github.com/tskc-lang/tskc => ./rt\n"), 0o644)
	if err := extractModule(fakeModule, filepath.Join(dir, "rt")); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "cmd", "app"), 0o755)
	os.WriteFile(filepath.Join(dir, "cmd", "app", "main.tsk"), []byte(program), 0o644)
	// An orphan that would not compile must be left out of the build.
	os.WriteFile(filepath.Join(dir, "cmd", "app", "old_tsk.go"), []byte(build.Marker+"\n\npackage main\n\nfunc main() {}\n"), 0o644)
	t.Chdir(dir)
	code, stdout, stderr, err := run(t, "cmd/app", "x")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if code != 3 || stdout != "runtime fake args [x] stdin hello\n" {
		t.Errorf("got code %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join("cmd", "app", "main_tsk.go")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("run wrote the generated file into the source tree: %v", err)
	}
	if _, err := os.Stat(filepath.Join("cmd", "app", "old_tsk.go")); err != nil {
		t.Errorf("run removed the orphan: %v", err)
	}
}

func TestRunErrors(t *testing.T) {
	needGo(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.tsk")
	os.WriteFile(bad, []byte("package main // ERROR"), 0o644)
	_, _, _, err := run(t, bad)
	var e *Error
	if !errors.As(err, &e) || len(e.Diagnostics) != 1 || e.Diagnostics[0].String() != bad+":1:17: bad" {
		t.Errorf("got %v", err)
	}

	notMain := filepath.Join(dir, "lib.tsk")
	os.WriteFile(notMain, []byte("package lib\n"), 0o644)
	_, _, _, err = run(t, notMain)
	if err == nil || !strings.Contains(err.Error(), "package lib is not a main package") {
		t.Errorf("got %v", err)
	}

	broken := filepath.Join(dir, "broken", "broken.tsk")
	os.MkdirAll(filepath.Dir(broken), 0o755)
	os.WriteFile(broken, []byte("package main\n\nfunc main() { undefinedName() }\n"), 0o644)
	_, _, stderr, err := run(t, broken)
	if !errors.As(err, &e) || !strings.Contains(stderr, "undefined: undefinedName") {
		t.Errorf("got %v, stderr %q", err, stderr)
	}
	if strings.Contains(stderr, "tskc-run-") {
		t.Errorf("build errors name the temporary directory: %q", stderr)
	}

	if _, _, _, err := run(t, filepath.Join(dir, "missing.tsk")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("got %v", err)
	}
}

func TestOutsideModules(t *testing.T) {
	needGo(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.tsk"), []byte("package main\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "b.tsk"), []byte("package main // ERROR\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "old_tsk.go"), []byte(build.Marker+"\n\npackage main\n"), 0o644)
	var sawDir string
	var sawFiles []string
	gen := func(d string, overlay map[string][]byte) ([]build.Output, error) {
		sawDir = d
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			sawFiles = append(sawFiles, e.Name())
		}
		if _, err := os.Stat(filepath.Join(d, "..", "..", "runtime", "version.go")); d != dir && err != nil {
			t.Errorf("the scratch module holds no runtime: %v", err)
		}
		return copyGen(d, overlay)
	}
	_, err := OutsideModules(gen, fakeModule)(dir, nil)
	var list grammar.ErrorList
	if !errors.As(err, &list) || len(list) != 1 || list[0].Pos.Filename != filepath.Join(dir, "b.tsk") {
		t.Fatalf("errors not mapped back to the original files: %v", err)
	}
	if sawDir == dir || strings.Join(sawFiles, " ") != "a.tsk b.tsk" {
		t.Errorf("generator ran on %s with %v", sawDir, sawFiles)
	}

	os.Remove(filepath.Join(dir, "b.tsk"))
	outs, err := OutsideModules(gen, fakeModule)(dir, nil)
	if err != nil || len(outs) != 1 || outs[0].Path != filepath.Join(dir, "a_tsk.go") || outs[0].Source != filepath.Join(dir, "a.tsk") {
		t.Errorf("got %+v, %v", outs, err)
	}

	// Inside a module the generator runs on the directory itself.
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module m\n"), 0o644)
	OutsideModules(gen, fakeModule)(dir, nil)
	if sawDir != dir {
		t.Errorf("inside a module the generator ran on %s", sawDir)
	}
}
