// Command tskc compiles .tsk files — Go with tasklets — into Go source, and
// builds, runs, checks and formats tasklet programs.
//
// Usage:
//
//	tskc <command> [arguments]
//
// The commands are build, check, run, fmt and version; "tskc help
// <command>" describes each. See docs/cli.md for the full reference.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/tskc-lang/tskc/internal/build"
)

// Exit codes.
const (
	exitOK    = 0 // success
	exitError = 1 // errors in the input (or files out of date, for build --check)
	exitUsage = 2 // bad command line
)

func main() {
	os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// deps are the parts of the compiler the commands drive; wire.go fills in
// the real ones.
type deps struct {
	generate       build.Generator
	format         func(filename string, src []byte) ([]byte, error)
	runtimeVersion string // the tool and runtime version (runtime.Version)
	abi            int    // the runtime ABI generated code is built for
	module         fs.FS  // the runtime's module sources, for tskc run outside a module

	// watchContext returns the context that ends tskc build --watch, and watchInterval is
	// how often it polls the files.
	watchContext  func() (context.Context, context.CancelFunc)
	watchInterval time.Duration
}

// tool is one invocation of tskc.
type tool struct {
	deps
	stdin          io.Reader
	stdout, stderr io.Writer
}

// command is one verb of the command line.
type command struct {
	name  string
	short string // one line for the command list
	usage string // the usage line(s)
	long  string // the explanation and examples shown by --help
	run   func(t *tool, c *command, args []string) int
}

var commands []*command

func init() {
	commands = []*command{buildCmd, checkCmd, runCmd, fmtCmd, versionCmd}
}

const mainUsage = `tskc compiles .tsk files (Go with tasklets) into Go, and builds, runs,
checks and formats tasklet programs.

Usage:

	tskc <command> [arguments]

Commands:

%s
Run "tskc help <command>" or "tskc <command> --help" for more about a command.
Exit codes: 0 success, 1 errors in the input, 2 bad usage.
`

// Main runs tskc with args (without the program name) and returns the exit
// code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	t := &tool{deps: realDeps(), stdin: stdin, stdout: stdout, stderr: stderr}
	return t.main(args)
}

func (t *tool) main(args []string) int {
	if len(args) == 0 {
		t.printMainUsage(t.stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) == 0 {
			t.printMainUsage(t.stdout)
			return exitOK
		}
		if c := lookup(rest[0]); c != nil {
			c.printHelp(t.stdout)
			return exitOK
		}
		fmt.Fprintf(t.stderr, "tskc help %s: unknown command\nRun 'tskc help' for usage.\n", rest[0])
		return exitUsage
	case "-version", "--version":
		name = "version"
	}
	c := lookup(name)
	if c == nil {
		fmt.Fprintf(t.stderr, "tskc %s: unknown command\nRun 'tskc help' for usage.\n", name)
		return exitUsage
	}
	return c.run(t, c, rest)
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

func (t *tool) printMainUsage(w io.Writer) {
	var sb strings.Builder
	for _, c := range commands {
		fmt.Fprintf(&sb, "\t%-8s %s\n", c.name, c.short)
	}
	fmt.Fprintf(w, mainUsage, sb.String())
}

func (c *command) printHelp(w io.Writer) {
	fmt.Fprintf(w, "Usage:\n\n%s\n%s", indent(c.usage), c.long)
}

func indent(s string) string {
	var sb strings.Builder
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		sb.WriteString("\t" + line + "\n")
	}
	return sb.String()
}

// flags returns a flag set for c whose errors and help go where tskc's
// conventions want them: --help to stdout (exit 0), mistakes to stderr
// with the usage line (exit 2).
func (t *tool) flags(c *command) *flag.FlagSet {
	fset := flag.NewFlagSet("tskc "+c.name, flag.ContinueOnError)
	fset.SetOutput(io.Discard)
	return fset
}

// parse parses args with fset, flags before the first argument only (for
// run, whose later arguments belong to the program). It returns the exit
// code to end with and false when the command must not go on.
func (t *tool) parse(c *command, fset *flag.FlagSet, args []string) (int, bool) {
	return t.parseResult(c, fset.Parse(args))
}

// parseAnywhere is parse for commands whose arguments are paths: flags may
// also follow them ("tskc build ./... --check"); after "--" everything is a
// path. The paths are in positional.
func (t *tool) parseAnywhere(c *command, fset *flag.FlagSet, args []string) (positional []string, code int, ok bool) {
	for {
		if code, ok := t.parseResult(c, fset.Parse(args)); !ok {
			return nil, code, false
		}
		rest := fset.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), exitOK, true
		}
		if len(rest) == 0 {
			return positional, exitOK, true
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

func (t *tool) parseResult(c *command, err error) (int, bool) {
	if err == nil {
		return exitOK, true
	}
	if errors.Is(err, flag.ErrHelp) {
		c.printHelp(t.stdout)
		return exitOK, false
	}
	return t.usageError(c, "%v", err), false
}

// usageError reports a mistake on the command line and returns exitUsage.
func (t *tool) usageError(c *command, format string, args ...any) int {
	fmt.Fprintf(t.stderr, "tskc %s: %s\nUsage:\n\n%s\nRun 'tskc help %s' for details.\n",
		c.name, fmt.Sprintf(format, args...), indent(c.usage), c.name)
	return exitUsage
}

// errorf reports an error that is not tied to a position in a .tsk file.
func (t *tool) errorf(format string, args ...any) {
	fmt.Fprintf(t.stderr, "tskc: "+format+"\n", args...)
}
