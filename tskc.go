// Package tskc carries the source of the tskc runtime inside the tskc
// command, so that "tskc run file.tsk" can build a program outside any Go
// module against exactly the runtime its code was generated for.
//
// Programs do not import this package; generated code imports
// github.com/tskc-lang/tskc/runtime. The compiler lives in the grammar and
// codegen packages and the command in cmd/tskc.
package tskc

import "embed"

// RuntimeModule holds this module's go.mod and go.sum and the runtime
// package tree: enough to build the runtime as module
// github.com/tskc-lang/tskc in a temporary directory. Test files and
// testdata are embedded too; tskc leaves them out when it writes the tree.
//
//go:embed go.mod go.sum runtime
var RuntimeModule embed.FS
