// Package runner is the logic behind tskc run: it compiles a .tsk program,
// builds it with the go command in a temporary directory and runs it,
// passing standard input, output, error and the exit code through.
//
// A directory inside a Go module is built in place, as part of its module:
// the generated files reach the go command through an overlay, so nothing
// in the source tree is written. A single .tsk file, or a directory outside
// any module, is built in a temporary module that holds a copy of the
// runtime this tskc was built with, so it needs nothing but Go installed.
package runner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/tskc-lang/tskc/internal/build"
)

// ModulePath is the path of the module that holds the runtime.
const ModulePath = "github.com/tskc-lang/tskc"

// Config says how to build and run a program.
type Config struct {
	// Generate compiles the .tsk files of a package directory.
	Generate build.Generator
	// Module holds the files of the runtime's module (go.mod, go.sum and
	// the runtime/ tree) for programs built outside any module.
	Module fs.FS
	// Go is the go command; "go" when empty.
	Go string
	// Stdin, Stdout and Stderr are given to the program; Stderr also gets
	// the go command's build errors.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// Error reports errors in the program's source: .tsk diagnostics, or a
// failed go build whose output has already been written to Config.Stderr.
type Error struct {
	Diagnostics []build.Diagnostic // empty when the go build failed
}

func (e *Error) Error() string {
	if len(e.Diagnostics) == 0 {
		return "build failed"
	}
	var sb strings.Builder
	for i, d := range e.Diagnostics {
		if i > 0 {
			sb.WriteByte('\n')
		}
		sb.WriteString(d.String())
	}
	return sb.String()
}

// Run builds the program that target names (a .tsk file or a directory)
// and runs it with args. It returns the program's exit code, or an error
// when the program could not be built (an *Error for errors in its source).
func Run(target string, args []string, cfg Config) (int, error) {
	if cfg.Go == "" {
		cfg.Go = "go"
	}
	fi, err := os.Stat(target)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, fmt.Errorf("%s: no such file or directory", target)
		}
		return 0, err
	}
	tmp, err := os.MkdirTemp("", "tskc-run-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)

	var bin string
	switch {
	case !fi.IsDir():
		if !strings.HasSuffix(target, build.SourceExt) {
			return 0, fmt.Errorf("%s: not a .tsk file or a directory", target)
		}
		bin, err = buildStandalone(tmp, filepath.Dir(target), []string{target}, cfg)
	default:
		dir := filepath.Clean(target)
		var root string
		root, err = moduleRoot(dir)
		if err != nil {
			return 0, err
		}
		if root != "" {
			bin, err = buildInModule(tmp, dir, cfg)
			break
		}
		var files []string
		files, err = programFiles(dir)
		if err != nil {
			return 0, err
		}
		bin, err = buildStandalone(tmp, dir, files, cfg)
	}
	if err != nil {
		return 0, err
	}
	return execute(bin, args, cfg)
}

// moduleRoot returns the directory of the go.mod that governs dir, or ""
// when dir is outside any module.
func moduleRoot(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", nil
		}
		d = parent
	}
}

// programFiles lists the .tsk and the .go files of dir, leaving out tests
// and files tskc generated.
func programFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
			continue
		}
		path := filepath.Join(dir, name)
		switch {
		case strings.HasSuffix(name, build.SourceExt):
			files = append(files, path)
		case strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go"):
			// Generated files are generated afresh; stale or orphaned
			// ones must not get in the way.
			if gen, err := build.IsGenerated(path); err != nil || gen {
				continue
			}
			files = append(files, path)
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no .tsk files", dir)
	}
	return files, nil
}

// buildInModule builds the package in dir within its own module, giving the
// go command the generated files through an overlay.
func buildInModule(tmp, dir string, cfg Config) (string, error) {
	pkgs, err := build.Expand([]string{dir})
	if err != nil {
		return "", err
	}
	changes, diags := build.Plan(pkgs, cfg.Generate)
	if len(diags) > 0 {
		return "", &Error{Diagnostics: diags}
	}
	replace := make(map[string]string)
	for i, c := range changes {
		abs, err := filepath.Abs(c.Path)
		if err != nil {
			return "", err
		}
		if c.Kind == build.Orphaned {
			replace[abs] = "" // deleted, as far as the build is concerned
			continue
		}
		file := filepath.Join(tmp, fmt.Sprintf("overlay%d.go", i))
		if err := os.WriteFile(file, c.New, 0o644); err != nil {
			return "", err
		}
		replace[abs] = file
	}
	overlay := filepath.Join(tmp, "overlay.json")
	data, err := json.Marshal(map[string]any{"Replace": replace})
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(overlay, data, 0o644); err != nil {
		return "", err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(tmp, "bin", filepath.Base(abs))
	if err := goBuild(cfg, dir, nil, "-overlay", overlay, "-o", bin, "."); err != nil {
		return "", err
	}
	return bin, nil
}

// buildStandalone builds files (from srcDir) as the main package of a
// temporary module that holds a copy of the runtime's module.
func buildStandalone(tmp, srcDir string, files []string, cfg Config) (string, error) {
	sc, err := newScratch(tmp, srcDir, files, cfg.Module)
	if err != nil {
		return "", err
	}
	outs, err := sc.generate(cfg.Generate)
	if err != nil {
		return "", &Error{Diagnostics: build.SortDiagnostics(build.Diagnostics(srcDir, err))}
	}
	for _, o := range outs {
		if err := os.WriteFile(filepath.Join(sc.progDir, filepath.Base(o.Path)), o.Content, 0o644); err != nil {
			return "", err
		}
		if name := packageName(o.Content); name != "" && name != "main" {
			return "", &Error{Diagnostics: []build.Diagnostic{{File: o.Source, Line: 1, Col: 1,
				Message: fmt.Sprintf("package %s is not a main package (tskc run needs package main with a tasklet Main)", name)}}}
		}
	}
	name := filepath.Base(files[0])
	name = strings.TrimSuffix(strings.TrimSuffix(name, build.SourceExt), ".go")
	if len(files) > 1 {
		abs, err := filepath.Abs(srcDir)
		if err != nil {
			return "", err
		}
		name = filepath.Base(abs)
	}
	bin := filepath.Join(tmp, "bin", name)
	// -trimpath keeps the temporary directory's name out of the build, so
	// the build cache serves the runtime from one run to the next.
	if err := goBuild(cfg, sc.modDir, sc.replacer(), "-trimpath", "-o", bin, "./"+scratchProg); err != nil {
		return "", err
	}
	return bin, nil
}

// packageName returns the package name of a Go source, or "" when it has
// no valid package clause.
func packageName(src []byte) string {
	f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.PackageClauseOnly)
	if err != nil {
		return ""
	}
	return f.Name.Name
}

// extractModule writes the module files of fsys into dir, leaving out
// tests and testdata.
func extractModule(fsys fs.FS, dir string) error {
	if fsys == nil {
		return errors.New("this tskc carries no runtime sources")
	}
	return fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "testdata" {
				return fs.SkipDir
			}
			return os.MkdirAll(filepath.Join(dir, filepath.FromSlash(path)), 0o755)
		}
		if strings.HasSuffix(path, "_test.go") {
			return nil
		}
		data, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, filepath.FromSlash(path)), data, 0o644)
	})
}

// goBuild runs "go build args..." in dir. Its output goes to cfg.Stderr,
// rewritten by replacer when not nil; a failure is an *Error.
func goBuild(cfg Config, dir string, replacer *strings.Replacer, args ...string) error {
	cmd := exec.Command(cfg.Go, append([]string{"build"}, args...)...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	text := out.String()
	if replacer != nil {
		// The package path of the temporary module means nothing to the
		// user: drop the "# path" header the go command prints.
		var kept []string
		for _, line := range strings.SplitAfter(text, "\n") {
			if !strings.HasPrefix(line, "# "+ModulePath+"/") {
				kept = append(kept, line)
			}
		}
		text = replacer.Replace(strings.Join(kept, ""))
	}
	if text != "" && cfg.Stderr != nil {
		io.WriteString(cfg.Stderr, text)
	}
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return &Error{}
		}
		return fmt.Errorf("running go build: %v", err)
	}
	return nil
}

// execute runs the built program and returns its exit code. While it runs,
// tskc passes SIGINT and SIGTERM on to it rather than dying of them: the
// program decides what they mean, and its exit code says (a tasklet
// program ends with 130 on SIGINT). An interrupt typed at a terminal reaches
// both processes; the program sees it once more from tskc, which changes
// nothing for a program already ending.
func execute(bin string, args []string, cfg Config) (int, error) {
	cmd := exec.Command(bin, args...)
	cmd.Stdin = cfg.Stdin
	cmd.Stdout = cfg.Stdout
	cmd.Stderr = cfg.Stderr
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	if err == nil {
		return 0, nil
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return exitErr.ExitCode(), nil
	}
	return 0, err
}
