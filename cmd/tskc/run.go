package main

import (
	"errors"

	"github.com/tskc-lang/tskc/internal/runner"
)

var runCmd = &command{
	name:  "run",
	short: "build and run a tasklet program",
	usage: "tskc run <dir | file.tsk> [arguments...]",
	long: `Run compiles and builds the program in a directory or a single .tsk file,
then runs it with the arguments that follow. The program's standard input,
output and error are the terminal's, SIGINT and SIGTERM sent to tskc are
passed on to it, and tskc exits with the program's exit code (1 and the
errors when it does not compile).

A directory inside a Go module is built as a package of that module (it
must be package main): the generated files are handed to the go command
through an overlay, so run writes nothing in the source tree. A single .tsk
file, or a directory outside any module, is built alone in a temporary
module that holds the runtime this tskc was built with, so it needs only the
standard library and the tskc runtime.

The go command must be on the PATH; its build cache makes repeated runs fast.

Examples:

	tskc run hello.tsk
	tskc run ./examples/pingpong
	tskc run ./cmd/server -port 8080
`,
	run: (*tool).run,
}

func (t *tool) run(c *command, args []string) int {
	fset := t.flags(c)
	if code, ok := t.parse(c, fset, args); !ok {
		return code
	}
	if fset.NArg() == 0 {
		return t.usageError(c, "missing the program: a directory or a .tsk file")
	}
	code, err := runner.Run(fset.Arg(0), fset.Args()[1:], runner.Config{
		Generate: t.generate,
		Module:   t.module,
		Stdin:    t.stdin,
		Stdout:   t.stdout,
		Stderr:   t.stderr,
	})
	var rerr *runner.Error
	switch {
	case errors.As(err, &rerr):
		t.printDiagnostics(rerr.Diagnostics)
		return exitError
	case err != nil:
		t.errorf("%v", err)
		return exitError
	}
	return code
}
