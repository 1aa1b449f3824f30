package main

import (
	"fmt"
	"os"
	"runtime/debug"

	"github.com/tskc-lang/tskc"
	"github.com/tskc-lang/tskc/codegen"
	"github.com/tskc-lang/tskc/grammar"
	"github.com/tskc-lang/tskc/internal/build"
	tskrt "github.com/tskc-lang/tskc/runtime"
)

// realDeps wires the commands to the compiler and the runtime.
func realDeps() deps {
	return deps{
		generate:       generate,
		format:         format,
		runtimeVersion: tskrt.Version,
		abi:            tskrt.ABI1,
		module:         tskc.RuntimeModule,
		watchContext:   interruptContext,
		watchInterval:  watchInterval,
	}
}

// generate runs codegen on one package directory.
func generate(dir string, overlay map[string][]byte) (outs []build.Output, err error) {
	defer catch(&err)
	res, err := codegen.Generate(dir, codegen.Config{Overlay: overlay})
	if err != nil {
		return nil, err
	}
	for _, o := range res {
		outs = append(outs, build.Output{Source: o.Source, Path: o.Path, Content: o.Content})
	}
	return outs, nil
}

// format formats one .tsk source.
func format(filename string, src []byte) (out []byte, err error) {
	defer catch(&err)
	return grammar.Format(filename, src)
}

// catch turns a panic in the compiler into an error, so that no Go stack
// trace reaches the user; TSKC_TRACEBACK=1 prints it for a bug report.
func catch(err *error) {
	if r := recover(); r != nil {
		if os.Getenv("TSKC_TRACEBACK") == "1" {
			os.Stderr.Write(debug.Stack())
		}
		*err = fmt.Errorf("internal compiler error: %v (this is a bug in tskc: please report it with the input; TSKC_TRACEBACK=1 shows where it happened)", r)
	}
}
