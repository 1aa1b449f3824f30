package main

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/tskc-lang/tskc/internal/build"
	"github.com/tskc-lang/tskc/internal/diff"
)

var fmtCmd = &command{
	name:  "fmt",
	short: "format .tsk files",
	usage: "tskc fmt [-l] [-w] [-d] [paths]",
	long: `Fmt prints .tsk files in their canonical layout (tabs for indentation,
aligned like gofmt's output). Formatting is idempotent: formatting formatted
source changes nothing. Paths are files, directories (their .tsk files) or
"/..." patterns. With no path, fmt reads standard input and writes the
formatted source to standard output.

Without flags the formatted files are printed to standard output.

Flags:

	-l  list the files whose formatting differs from fmt's
	-w  write the result back to the files (atomically; unchanged files are
	    not touched)
	-d  print a unified diff of the changes

Syntax errors are reported as file.tsk:line:col: message and make fmt
exit 1; such files are left as they are.

Examples:

	tskc fmt -l ./...         # which files need formatting?
	tskc fmt -w .             # format the package in place
	tskc fmt < a.tsk          # format standard input
`,
	run: (*tool).fmt,
}

func (t *tool) fmt(c *command, args []string) int {
	fset := t.flags(c)
	list := fset.Bool("l", false, "")
	write := fset.Bool("w", false, "")
	showDiff := fset.Bool("d", false, "")
	paths, code, ok := t.parseAnywhere(c, fset, args)
	if !ok {
		return code
	}
	if len(paths) == 0 {
		if *write {
			return t.usageError(c, "cannot use -w with standard input")
		}
		src, err := io.ReadAll(t.stdin)
		if err != nil {
			t.errorf("reading standard input: %v", err)
			return exitError
		}
		return t.fmtOne("<standard input>", src, *list, false, *showDiff)
	}
	pkgs, err := build.Expand(paths)
	if err != nil {
		t.errorf("%v", err)
		return exitError
	}
	code = exitOK
	for _, p := range pkgs {
		files := p.Sources
		if p.Only != nil {
			files = p.Only
		}
		for _, file := range files {
			src, err := os.ReadFile(file)
			if err != nil {
				t.errorf("%v", err)
				code = exitError
				continue
			}
			if c := t.fmtOne(file, src, *list, *write, *showDiff); c != exitOK {
				code = c
			}
		}
	}
	return code
}

// fmtOne formats one file's source and does what the flags ask.
func (t *tool) fmtOne(name string, src []byte, list, write, showDiff bool) int {
	out, err := t.format(name, src)
	if err != nil {
		t.printDiagnostics(build.Diagnostics(name, err))
		return exitError
	}
	changed := !bytes.Equal(src, out)
	if list && changed {
		fmt.Fprintln(t.stdout, name)
	}
	if write && changed {
		perm := os.FileMode(0o644)
		if fi, err := os.Stat(name); err == nil {
			perm = fi.Mode().Perm()
		}
		if err := build.WriteFile(name, out, perm); err != nil {
			t.errorf("%v", err)
			return exitError
		}
	}
	if showDiff && changed {
		t.stdout.Write(diff.Unified(name+".orig", name, src, out))
	}
	if !list && !write && !showDiff {
		t.stdout.Write(out)
	}
	return exitOK
}
