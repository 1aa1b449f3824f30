package codegen_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/tools/txtar"

	"github.com/tskc-lang/tskc/codegen"
	"github.com/tskc-lang/tskc/internal/diff"
)

// The behaviour tests are the acceptance suite of the compiler and runtime together. Each
// testdata/behavior/NAME.txtar archive is one .tsk program:
//
//	-- main.tsk --            package main with tasklet Main(); more .tsk or .go files may follow
//	-- stdout --              the exact expected standard output
//	-- exitcode --            optional: the expected exit code (default 0)
//	-- stderr-contains --     optional: each non-empty line must occur in standard error
//	                          (case-insensitively)
//	-- sigint-after --        optional: a duration; the harness sends SIGINT that long after
//	                          starting the program
//	-- clock --               optional: "virtual" (the default: TSKRT_CLOCK=virtual, so time
//	                          advances only when nothing can run and timing never depends on
//	                          the machine's load) or "real" (for programs that measure real
//	                          time, run Go operations or take a signal)
//
// Set TSKC_BEHAVIOR=regexp to build and run only the programs whose names match.
//
// All programs are extracted into one temporary module that uses this repository through a
// replace directive, compiled with codegen.Generate, built by a single go build and run with a
// timeout. When something fails the temporary module is kept and its path is logged, so the
// generated code can be read.

// runTimeout bounds the run of one program.
const runTimeout = 10 * time.Second

// reserve is the time left before the test deadline below which no more programs are
// compiled: the go build and the runs still need it.
const reserve = 3 * time.Minute

// program is one behaviour test: an archive and, once compiled, where its binary is.
type program struct {
	name     string
	archive  string
	dir      string // the program's package directory in the temporary module
	stdout   string
	exitCode int
	stderr   []string      // lines that must occur in stderr
	sigint   time.Duration // when > 0: send SIGINT this long after the start
	realTime bool          // run on the real clock (-- clock -- real)
	genErr   error         // codegen.Generate's error
	buildErr string        // go build output lines about this program
}

func TestBehavior(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs every behaviour program; skipped in -short mode")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not found")
	}
	archives, err := filepath.Glob(filepath.Join("testdata", "behavior", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(archives) == 0 {
		t.Fatal("no behaviour programs in testdata/behavior")
	}
	if only := os.Getenv("TSKC_BEHAVIOR"); only != "" {
		// TSKC_BEHAVIOR=regexp builds and runs only the programs whose names match, which
		// is quicker than -run (the build covers every program before subtests start).
		re, err := regexp.Compile(only)
		if err != nil {
			t.Fatalf("TSKC_BEHAVIOR: %v", err)
		}
		var some []string
		for _, a := range archives {
			if re.MatchString(strings.TrimSuffix(filepath.Base(a), ".txtar")) {
				some = append(some, a)
			}
		}
		archives = some
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp("", "tskc-behavior-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kept the temporary module with the generated code: %s", tmp)
			return
		}
		os.RemoveAll(tmp)
	})
	if err := writeModule(tmp, root); err != nil {
		t.Fatal(err)
	}
	if err := readRuntimeSources(root); err != nil {
		t.Fatal(err)
	}

	// Extract every archive into its own package directory.
	progs := make([]*program, 0, len(archives))
	for _, a := range archives {
		p, err := extract(a, tmp)
		if err != nil {
			t.Fatalf("%s: %v", a, err)
		}
		progs = append(progs, p)
	}

	// Compile the .tsk files of every program, a few at a time.
	start := time.Now()
	// Generate spends most of its time waiting for the go command (go/packages), so a few
	// more calls than CPUs keep the machine busy.
	deadline, hasDeadline := t.Deadline()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2*runtime.GOMAXPROCS(0))
	for _, p := range progs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if hasDeadline && time.Until(deadline) < reserve {
				// Fail this program cleanly rather than let the test binary time out.
				p.genErr = fmt.Errorf("not compiled: less than %v left before the test deadline "+
					"(a loaded machine?); run go test with a longer -timeout", reserve)
				return
			}
			p.genErr = generate(p.dir)
			if p.genErr != nil {
				// Keep the broken package out of the shared go build (the go command
				// ignores directories whose names begin with "_").
				os.Rename(p.dir, filepath.Join(tmp, "_"+p.name))
			}
		}()
	}
	wg.Wait()
	t.Logf("codegen.Generate of %d programs: %v", len(progs), time.Since(start).Round(time.Millisecond))
	start = time.Now()

	// Build every program with one go build.
	bin := filepath.Join(tmp, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	// -ldflags=-w leaves out DWARF (links faster); stack traces do not need it.
	cmd := exec.Command("go", "build", "-ldflags=-w", "-o", bin, "./...")
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.CombinedOutput()
	t.Logf("go build: %v", time.Since(start).Round(time.Millisecond))
	if err != nil {
		attributeBuildErrors(tmp, progs, string(out))
		// A failed go build may have left out programs that are fine on their own: build
		// each of those alone, so that only the broken ones fail.
		for _, p := range progs {
			if p.genErr != nil || p.buildErr != "" {
				continue
			}
			if _, err := os.Stat(filepath.Join(bin, p.name)); err == nil {
				continue
			}
			one := exec.Command("go", "build", "-ldflags=-w", "-o", filepath.Join(bin, p.name), "./"+p.name)
			one.Dir = tmp
			one.Env = cmd.Env
			if out, err := one.CombinedOutput(); err != nil {
				p.buildErr = string(out)
			}
		}
	}

	for _, p := range progs {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			p.check(t, bin, string(out))
		})
	}
}

// check runs p's binary and compares what it did with what the archive expects.
func (p *program) check(t *testing.T, bin, buildOut string) {
	if p.genErr != nil {
		t.Fatalf("%s: codegen.Generate failed:\n%v", p.archive, p.genErr)
	}
	exe := filepath.Join(bin, p.name)
	if _, err := os.Stat(exe); err != nil {
		msg := p.buildErr
		if msg == "" {
			msg = buildOut
		}
		t.Fatalf("%s: go build failed (generated code in %s):\n%s", p.archive, p.dir, msg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe)
	if !p.realTime {
		cmd.Env = append(os.Environ(), "TSKRT_CLOCK=virtual")
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", p.archive, err)
	}
	if p.sigint > 0 {
		timer := time.AfterFunc(p.sigint, func() { cmd.Process.Signal(os.Interrupt) })
		defer timer.Stop()
	}
	err := cmd.Wait()
	elapsed := time.Since(start)
	code := 0
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%s: still running after %v (generated code in %s)\nstdout:\n%s\nstderr:\n%s",
			p.archive, runTimeout, p.dir, stdout.Bytes(), stderr.Bytes())
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", p.archive, err)
	}
	t.Logf("ran in %v", elapsed.Round(time.Millisecond))
	failed := false
	if got := stdout.String(); got != p.stdout {
		failed = true
		t.Errorf("%s: stdout differs:\n%s", p.archive,
			diff.Unified("want", "got", []byte(p.stdout), []byte(got)))
	}
	if code != p.exitCode {
		failed = true
		t.Errorf("%s: exit code %d, want %d", p.archive, code, p.exitCode)
	}
	lower := strings.ToLower(stderr.String())
	for _, s := range p.stderr {
		if !strings.Contains(lower, strings.ToLower(s)) {
			failed = true
			t.Errorf("%s: stderr does not contain %q", p.archive, s)
		}
	}
	if failed {
		t.Logf("stderr:\n%s", stderr.Bytes())
		t.Logf("generated code in %s", p.dir)
	}
}

// writeModule writes the go.mod and go.sum of the temporary module that holds the programs:
// it requires this repository's module, replaced by the working tree at root, and the
// repository's own requirements, so that the go command needs no network.
func writeModule(dir, root string) error {
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return err
	}
	// The go directive must be the repository's: an older one would need a go.mod update,
	// which the go command refuses in its default -mod=readonly mode (codegen.Generate loads
	// packages in that mode).
	goLine := "go 1.26.0"
	for _, line := range strings.Split(string(gomod), "\n") {
		if strings.HasPrefix(line, "go ") {
			goLine = strings.TrimSpace(line)
		}
	}
	rootPath := root
	if strings.ContainsAny(root, " \t\"'`") {
		rootPath = strconv.Quote(root)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "module tskbehavior\n\n%s\n\n", goLine)
	b.WriteString("require github.com/tskc-lang/tskc v0.0.0-00010101000000-000000000000\n\n")
	fmt.Fprintf(&b, "replace github.com/tskc-lang/tskc => %s\n\n", rootPath)
	// Copy the repository's require directives (single lines and blocks).
	in := bufio.NewScanner(bytes.NewReader(gomod))
	inBlock := false
	for in.Scan() {
		line := in.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case inBlock:
			b.WriteString(line + "\n")
			if trimmed == ")" {
				inBlock = false
			}
		case strings.HasPrefix(trimmed, "require ("):
			inBlock = true
			b.WriteString(line + "\n")
		case strings.HasPrefix(trimmed, "require "):
			b.WriteString(line + "\n")
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	gosum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "go.sum"), gosum, 0o644)
}

// readRuntimeSources reads the runtime's Go files. The programs link the runtime, but this
// test binary does not import it: reading its files makes go test's result cache notice when
// the runtime changes, instead of replaying a stale result.
func readRuntimeSources(root string) error {
	return filepath.WalkDir(filepath.Join(root, "runtime"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		_, err = os.ReadFile(path)
		return err
	})
}

// extract writes the source files of the archive into dir/NAME and reads its expectations.
func extract(archive, dir string) (*program, error) {
	ar, err := txtar.ParseFile(archive)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSuffix(filepath.Base(archive), ".txtar")
	p := &program{name: name, archive: archive, dir: filepath.Join(dir, name)}
	if err := os.Mkdir(p.dir, 0o755); err != nil {
		return nil, err
	}
	var hasMain, hasStdout bool
	for _, f := range ar.Files {
		switch {
		case f.Name == "stdout":
			p.stdout = string(f.Data)
			hasStdout = true
		case f.Name == "exitcode":
			p.exitCode, err = strconv.Atoi(strings.TrimSpace(string(f.Data)))
			if err != nil {
				return nil, fmt.Errorf("exitcode: %v", err)
			}
		case f.Name == "sigint-after":
			p.sigint, err = time.ParseDuration(strings.TrimSpace(string(f.Data)))
			if err != nil || p.sigint <= 0 {
				return nil, fmt.Errorf("sigint-after: want a positive duration, got %q", f.Data)
			}
		case f.Name == "clock":
			switch c := strings.TrimSpace(string(f.Data)); c {
			case "real", "virtual":
				p.realTime = c == "real"
			default:
				return nil, fmt.Errorf("clock: want real or virtual, got %q", c)
			}
		case f.Name == "stderr-contains":
			for _, line := range strings.Split(string(f.Data), "\n") {
				if line = strings.TrimSpace(line); line != "" {
					p.stderr = append(p.stderr, line)
				}
			}
		case strings.HasSuffix(f.Name, ".tsk") || strings.HasSuffix(f.Name, ".go"):
			if f.Name == "main.tsk" {
				hasMain = true
			}
			if strings.Contains(f.Name, "/") {
				return nil, fmt.Errorf("%s: source files must sit in the program's directory", f.Name)
			}
			if err := os.WriteFile(filepath.Join(p.dir, f.Name), f.Data, 0o644); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("unknown section %q", f.Name)
		}
	}
	if !hasMain || !hasStdout {
		return nil, fmt.Errorf("an archive needs a main.tsk and a stdout section")
	}
	return p, nil
}

// generate compiles the .tsk files of the package in dir and writes the generated files.
func generate(dir string) (err error) {
	defer func() {
		// A panic in the compiler fails this program only.
		if r := recover(); r != nil {
			err = fmt.Errorf("codegen.Generate panicked: %v\n%s", r, debug.Stack())
		}
	}()
	outs, err := codegen.Generate(dir, codegen.Config{})
	if err != nil {
		return err
	}
	if len(outs) == 0 {
		return fmt.Errorf("codegen.Generate produced no files")
	}
	for _, o := range outs {
		path := o.Path
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, filepath.Base(path))
		}
		if err := os.WriteFile(path, o.Content, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// attributeBuildErrors gives each program the lines of a failed go build that concern it.
func attributeBuildErrors(tmp string, progs []*program, out string) {
	byPkg := map[string]*program{}
	for _, p := range progs {
		byPkg[p.name] = p
	}
	var cur *program
	for _, line := range strings.Split(out, "\n") {
		// "# tskbehavior/NAME" starts the errors of package NAME; the error lines that
		// follow name files as ./NAME/x.go or NAME/x.go (relative to the module).
		if rest, ok := strings.CutPrefix(line, "# tskbehavior/"); ok {
			cur = byPkg[rest]
			continue
		}
		for _, p := range progs {
			if strings.Contains(line, p.name+string(filepath.Separator)) ||
				strings.Contains(line, filepath.Join(tmp, p.name)) {
				cur = p
				break
			}
		}
		if cur != nil && line != "" {
			cur.buildErr += line + "\n"
		}
	}
}
