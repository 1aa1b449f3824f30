package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

var versionCmd = &command{
	name:  "version",
	short: "print the tskc and runtime versions",
	usage: "tskc version",
	long: `Version prints the version of tskc and of the runtime its generated code is
built for (generated files name it in their header, and fail to compile
against a runtime of another ABI), then the Go toolchain it was built with.
`,
	run: (*tool).version,
}

func (t *tool) version(c *command, args []string) int {
	fset := t.flags(c)
	if code, ok := t.parse(c, fset, args); !ok {
		return code
	}
	if fset.NArg() > 0 {
		return t.usageError(c, "unexpected arguments: %v", fset.Args())
	}
	module := ""
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		module = " (module " + info.Main.Path + " " + info.Main.Version + ")"
	}
	fmt.Fprintf(t.stdout, "tskc version %s%s %s %s/%s\n", t.runtimeVersion, module, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(t.stdout, "runtime version %s, ABI %d\n", t.runtimeVersion, t.abi)
	return exitOK
}
