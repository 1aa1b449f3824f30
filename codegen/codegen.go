// Package codegen compiles the .tsk files of a Go package into Go source:
// each tasklet becomes a resumable state machine (a frame) driven by the
// runtime in package github.com/tskc-lang/tskc/runtime.
//
// The pipeline is parse (package grammar), type (a shadow Go rendering of
// each file, type-checked with go/packages in place of the generated
// file), lower (a control-flow graph per tasklet split at suspension
// points, with liveness deciding which locals live in the frame) and emit
// (one formatted foo_tsk.go per foo.tsk). docs/internals.md describes the
// design and the generated code.
package codegen

import (
	"fmt"
	"go/ast"
	"go/types"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/tskc-lang/tskc/grammar"
)

// Output is one generated file.
type Output struct {
	Source  string // the .tsk file
	Path    string // the generated foo_tsk.go beside it
	Content []byte // formatted Go source
}

// Config holds the options of Generate.
type Config struct {
	// Overlay adds or replaces file contents when loading the package
	// (tests, editors). Keys are file paths; relative ones are relative to
	// the current directory.
	Overlay map[string][]byte
}

// Generate compiles every .tsk file of the Go package in dir. Bad input
// gives an error of type grammar.ErrorList: every diagnostic, sorted, each
// file.tsk:L:C: message. Nothing is written: the caller writes the outputs.
func Generate(dir string, cfg Config) (outs []Output, err error) {
	defer func() {
		// A bug of the compiler must not crash its caller.
		if r := recover(); r != nil {
			outs, err = nil, fmt.Errorf("codegen: internal error compiling %s (please report it): %v\n%s", dir, r, debug.Stack())
		}
	}()
	return generate(dir, cfg)
}

func generate(dir string, cfg Config) ([]Output, error) {
	g := &generator{dir: dir, cfg: cfg}
	if err := g.parse(); err != nil {
		return nil, err
	}
	if len(g.files) == 0 {
		return nil, nil
	}
	g.collect()
	if len(g.errs) > 0 {
		return nil, g.errorList()
	}
	if err := g.typecheck(); err != nil {
		return nil, err
	}
	g.check()
	if len(g.errs) > 0 {
		return nil, g.errorList()
	}
	var outs []Output
	for _, f := range g.files {
		content, err := g.emitFile(f)
		if err != nil {
			return nil, err
		}
		outs = append(outs, Output{Source: f.name, Path: f.out, Content: content})
	}
	if len(g.errs) > 0 {
		return nil, g.errorList()
	}
	return outs, nil
}

// generator holds the state of one Generate call.
type generator struct {
	dir      string
	cfg      Config
	overlay  map[string][]byte // absolute path -> content
	files    []*srcFile
	pkgName  string
	tasklets map[string]*taskletInfo
	messages map[string]*messageInfo
	errs     grammar.ErrorList
	info     *typeInfo
	// callReply gives calls whose message is not a composite literal the
	// reply type found by a first typing pass.
	callReply  map[posKey]ast.Expr
	hasMain    bool // the package declares func main (in Go)
	pkgTaken   map[string]bool
	replyFile  map[ast.Expr]*srcFile // the file declaring each reply type
	typeErrs   grammar.ErrorList     // errors of the type checker, before check drops some
	suppressed []span
	helperN    int
}

// taskletInfo describes one tasklet declaration.
type taskletInfo struct {
	decl *grammar.TaskletDecl
	file *srcFile
}

// messageInfo describes one message declaration.
type messageInfo struct {
	decl *grammar.MessageDecl
	file *srcFile
}

func (g *generator) errorf(f *srcFile, p grammar.Pos, format string, args ...any) {
	g.errs = append(g.errs, &grammar.Error{Pos: grammar.Pos{Filename: f.name, Offset: p.Offset, Line: p.Line, Column: p.Column}, Msg: fmt.Sprintf(format, args...)})
}

// errorAtNode reports an error at a go/ast node of file f.
func (g *generator) errorAtNode(f *srcFile, n ast.Node, format string, args ...any) {
	off := f.offset(n.Pos())
	l, c := f.lineCol(off)
	g.errorf(f, grammar.Pos{Offset: off, Line: l, Column: c}, format, args...)
}

// errorList returns the diagnostics sorted by file and position, without
// repeats.
func (g *generator) errorList() grammar.ErrorList {
	l := g.errs
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i].Pos, l[j].Pos
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	var out grammar.ErrorList
	for i, e := range l {
		if i > 0 && e.Pos == l[i-1].Pos && e.Msg == l[i-1].Msg {
			continue
		}
		out = append(out, e)
	}
	return out
}

// parse reads and parses every .tsk file of the package.
func (g *generator) parse() error {
	g.overlay = map[string][]byte{}
	for p, content := range g.cfg.Overlay {
		abs, err := filepath.Abs(p)
		if err != nil {
			return err
		}
		g.overlay[abs] = content
	}
	absDir, err := filepath.Abs(g.dir)
	if err != nil {
		return err
	}
	names := map[string]bool{}
	entries, err := os.ReadDir(g.dir)
	if err != nil && len(g.overlay) == 0 {
		return err
	}
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".tsk") {
			names[e.Name()] = true
		}
	}
	for p := range g.overlay {
		if filepath.Dir(p) == absDir && strings.HasSuffix(p, ".tsk") {
			names[filepath.Base(p)] = true
		}
	}
	var sorted []string
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	var errs grammar.ErrorList
	for _, n := range sorted {
		abs := filepath.Join(absDir, n)
		src, ok := g.overlay[abs]
		if !ok {
			src, err = os.ReadFile(abs)
			if err != nil {
				return err
			}
		}
		name := filepath.Join(g.dir, n)
		f, err := grammar.ParseFile(name, src)
		if err != nil {
			if l, ok := err.(grammar.ErrorList); ok {
				errs = append(errs, l...)
				continue
			}
			return err
		}
		g.files = append(g.files, newSrcFile(name, abs, src, f))
	}
	if len(errs) > 0 {
		g.errs = errs
		return g.errorList()
	}
	return nil
}

// collect gathers the tasklets and messages of the package and checks the
// package clauses agree.
func (g *generator) collect() {
	g.tasklets = map[string]*taskletInfo{}
	g.messages = map[string]*messageInfo{}
	for _, f := range g.files {
		if g.pkgName == "" {
			g.pkgName = f.file.Package.Name
		} else if f.file.Package.Name != g.pkgName {
			g.errorf(f, f.file.Package.Pos, "package %s, but %s is package %s (every .tsk file of a directory belongs to one package)", f.file.Package.Name, g.files[0].name, g.pkgName)
		}
		for _, d := range f.file.Decls {
			switch d := d.(type) {
			case *grammar.TaskletDecl:
				if _, ok := g.tasklets[d.Name.Name]; !ok {
					g.tasklets[d.Name.Name] = &taskletInfo{decl: d, file: f}
				}
				if d.Type.TypeParams != nil && len(d.Type.TypeParams.List) > 0 {
					g.errorf(f, d.Name.Pos, "tasklet %s has type parameters (tasklets cannot be generic)", d.Name.Name)
				}
			case *grammar.MessageDecl:
				if _, ok := g.messages[d.Name.Name]; !ok {
					g.messages[d.Name.Name] = &messageInfo{decl: d, file: f}
				}
				if d.Reply != nil {
					if g.replyFile == nil {
						g.replyFile = map[ast.Expr]*srcFile{}
					}
					g.replyFile[d.Reply] = f
				}
			}
		}
	}
}

// messageOf returns the message a type expression names, if it names a
// message declared in the package.
func (g *generator) messageOf(e ast.Expr) *messageInfo {
	if id, ok := e.(*ast.Ident); ok {
		return g.messages[id.Name]
	}
	return nil
}

// replyOfCall returns the reply type of a call's message when it is known
// before typing (a composite literal of a message with a reply type) or
// from the first typing pass.
func (g *generator) replyOfCall(f *srcFile, s *grammar.CallStmt) ast.Expr {
	if r, ok := g.callReply[f.keyAt(s.Pos)]; ok {
		return r
	}
	if cl, ok := s.Msg.(*ast.CompositeLit); ok {
		if m := g.messageOf(cl.Type); m != nil && m.decl.Reply != nil {
			return m.decl.Reply
		}
	}
	return nil
}

// messageOfType returns the message declaration a go/types type is, if any.
func (g *generator) messageOfType(t types.Type) *messageInfo {
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || g.info == nil || n.Obj().Pkg() != g.info.pkg {
		return nil
	}
	m := g.messages[n.Obj().Name()]
	if m == nil || m.file.keyAt(m.decl.Name.Pos) != g.info.declKey(n.Obj()) {
		return nil
	}
	return m
}
