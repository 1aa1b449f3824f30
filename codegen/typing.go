package codegen

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/tskc-lang/tskc/grammar"
	"golang.org/x/tools/go/packages"
)

// typeInfo is what the type checker found, keyed by .tsk positions.
type typeInfo struct {
	pkg       *types.Package
	fset      *token.FileSet
	defs      map[posKey]types.Object
	uses      map[posKey]types.Object
	stubs     map[stubKey]types.Instance
	implicits map[posKey]types.Object
	// calls holds the types of call expressions (keyed by their left
	// parenthesis) and of binary expressions (keyed by their operator):
	// what the temporaries of hoisted calls are declared with.
	calls map[posKey]exprType
	// tags holds the types of switch tags whose cases call tasklets.
	tags map[posKey]types.Type
	// msgs holds the types of the messages of send and call statements and the values of
	// reply statements (keyed by their start): what decides how they are boxed.
	msgs map[posKey]types.TypeAndValue
	// predeclared maps the shadow's predeclared objects to their names.
	predeclared map[types.Object]string
	// imports maps import paths to the packages the package imports.
	imports map[string]*types.Package
	// defers holds the typing of deferred calls (keyed by their left
	// parenthesis): what a frame keeps of them until they run.
	defers map[posKey]*deferCall
}

// deferCall is the typing of a deferred call.
type deferCall struct {
	fun types.TypeAndValue
	// recv and method are x's type and M of a selector x.M (method nil
	// when M is not a method: a field or a package's function).
	recv   types.Type
	method *types.Func
	args   []types.TypeAndValue
}

// exprType is the type of a call or binary expression.
type exprType struct {
	tv   types.TypeAndValue
	conv bool // a conversion T(x), not a call
}

// stubKey identifies the call of a stub at a .tsk position.
type stubKey struct {
	pos  posKey
	name string
}

// declKey is the .tsk position an object is declared at.
func (ti *typeInfo) declKey(obj types.Object) posKey {
	p := ti.fset.Position(obj.Pos())
	return posKey{p.Filename, p.Line, p.Column}
}

// stub returns the type arguments of the stub call name at p.
func (ti *typeInfo) stub(f *srcFile, p grammar.Pos, name string) []types.Type {
	inst, ok := ti.stubs[stubKey{posKey{f.abs + stubSuffix, p.Line, p.Column}, name}]
	if !ok || inst.TypeArgs == nil {
		return nil
	}
	var ts []types.Type
	for i := 0; i < inst.TypeArgs.Len(); i++ {
		ts = append(ts, inst.TypeArgs.At(i))
	}
	return ts
}

// use returns the object the identifier at p refers to or declares.
func (ti *typeInfo) object(f *srcFile, p token.Pos) types.Object {
	k := f.keyOf(p)
	if o := ti.uses[k]; o != nil {
		return o
	}
	return ti.defs[k]
}

// typecheck loads the package with the shadows in place of the generated
// files and records the type information. A call whose reply type only
// typing reveals is retyped by a second pass.
func (g *generator) typecheck() error {
	for pass := 0; pass < 2; pass++ {
		pkg, err := g.load()
		if err != nil {
			return err
		}
		g.errs, g.typeErrs = nil, nil
		g.recordErrors(pkg)
		g.recordInfo(pkg)
		if pass == 0 && g.findCallReplies() {
			continue
		}
		break
	}
	return nil
}

func (g *generator) load() (*packages.Package, error) {
	overlay := map[string][]byte{}
	for p, c := range g.overlay {
		overlay[p] = c
	}
	for i, f := range g.files {
		abs, err := filepath.Abs(f.out)
		if err != nil {
			return nil, err
		}
		overlay[abs] = []byte(g.shadow(f, i == 0))
	}
	// The package itself is listed without export data (go list would
	// compile the shadow), its imports are loaded from export data, and
	// the package is type-checked here.
	cfg := &packages.Config{
		Mode:    packages.NeedName | packages.NeedFiles | packages.NeedImports | packages.NeedModule,
		Dir:     g.dir,
		Overlay: overlay,
	}
	pkgs, err := packages.Load(cfg, ".")
	if err != nil {
		return nil, fmt.Errorf("codegen: cannot load the Go package in %s: %v", g.dir, strings.TrimSpace(strings.ReplaceAll(err.Error(), "\n", " ")))
	}
	if len(pkgs) != 1 {
		return nil, grammar.ErrorList{{Pos: grammar.Pos{Filename: g.dir}, Msg: "no single Go package here"}}
	}
	pkg := pkgs[0]

	pkg.Fset = token.NewFileSet()
	var paths []string
	for p := range pkg.Imports {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	deps := map[string]*packages.Package{}
	if len(paths) > 0 {
		dcfg := &packages.Config{
			Mode: packages.NeedName | packages.NeedTypes | packages.NeedImports,
			Dir:  g.dir,
			Fset: pkg.Fset,
		}
		ds, err := packages.Load(dcfg, paths...)
		if err != nil {
			return nil, fmt.Errorf("codegen: cannot load the imports of the Go package in %s: %v", g.dir, strings.TrimSpace(strings.ReplaceAll(err.Error(), "\n", " ")))
		}
		for _, d := range ds {
			deps[d.PkgPath] = d
			if d.PkgPath == runtimePath && d.Types == nil || d.PkgPath == runtimePath && len(d.Errors) > 0 {
				return nil, fmt.Errorf("codegen: the tasklet runtime %s cannot be imported from %s (its module must require github.com/tskc-lang/tskc): %v", runtimePath, g.dir, d.Errors)
			}
			pkg.Errors = append(pkg.Errors, d.Errors...)
		}
	}
	for p, ip := range pkg.Imports {
		if d := deps[ip.PkgPath]; d != nil {
			pkg.Imports[p] = d
		}
	}
	var files []*ast.File
	for _, name := range pkg.GoFiles {
		src, ok := overlay[name]
		if !ok {
			src, err = os.ReadFile(name)
			if err != nil {
				return nil, err
			}
		}
		f, err := parser.ParseFile(pkg.Fset, name, src, parser.AllErrors|parser.SkipObjectResolution)
		if err != nil {
			if l, ok := err.(scanner.ErrorList); ok {
				for _, e := range l {
					pkg.Errors = append(pkg.Errors, packages.Error{Pos: e.Pos.String(), Msg: e.Msg, Kind: packages.ParseError})
				}
			}
		}
		if f != nil {
			files = append(files, f)
		}
	}
	pkg.Syntax = files
	pkg.TypesInfo = &types.Info{
		Types:     map[ast.Expr]types.TypeAndValue{},
		Defs:      map[*ast.Ident]types.Object{},
		Uses:      map[*ast.Ident]types.Object{},
		Implicits: map[ast.Node]types.Object{},
		Instances: map[*ast.Ident]types.Instance{},
	}
	conf := &types.Config{
		Importer: importerFunc(func(path string) (*types.Package, error) {
			if ip := pkg.Imports[path]; ip != nil && ip.Types != nil {
				return ip.Types, nil
			}
			if path == "unsafe" {
				return types.Unsafe, nil
			}
			return nil, fmt.Errorf("could not import %s", path)
		}),
		Error: func(err error) {
			if te, ok := err.(types.Error); ok {
				pkg.TypeErrors = append(pkg.TypeErrors, te)
			}
		},
	}
	if pkg.Module != nil && pkg.Module.GoVersion != "" {
		conf.GoVersion = "go" + pkg.Module.GoVersion
	}
	pkg.Types, _ = conf.Check(pkg.PkgPath, pkg.Fset, files, pkg.TypesInfo)
	return pkg, nil
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }

// recordErrors turns the loader's errors into diagnostics at .tsk
// positions, worded in the language's terms.
func (g *generator) recordErrors(pkg *packages.Package) {
	// The errors of imported packages come twice: positioned (go/types
	// on the dependency) and as the go command's compiler output ("# path"
	// and then "file:line:col: message" lines). The positioned ones are
	// reported; of the compiler output, only lines that say more.
	// (A repeat is known by its line, column and message: with an
	// overlay, the compiler names a temporary copy of the file.)
	type at struct {
		line, col int
		msg       string
	}
	seen := map[at]bool{}
	for _, e := range pkg.Errors {
		if e.Kind == packages.TypeError && e.Pos != "" {
			g.addLoadError(e.Pos, e.Msg)
			if e := g.typeErrs[len(g.typeErrs)-1]; e.Pos.Line > 0 {
				seen[at{e.Pos.Line, e.Pos.Column, e.Msg}] = true
			}
		}
	}
	for _, e := range pkg.Errors {
		if e.Kind == packages.TypeError && e.Pos != "" {
			continue
		}
		if strings.HasPrefix(e.Msg, "# ") {
			for _, ln := range strings.Split(e.Msg, "\n")[1:] {
				i := strings.Index(ln, ": ")
				if i <= 0 {
					continue
				}
				pos := ln[:i]
				if !filepath.IsAbs(pos) {
					pos = filepath.Join(g.dir, pos)
				}
				n := len(g.typeErrs)
				g.addLoadError(pos, ln[i+2:])
				if e := g.typeErrs[n]; seen[at{e.Pos.Line, e.Pos.Column, e.Msg}] {
					g.typeErrs = g.typeErrs[:n] // a repeat
				}
			}
			continue
		}
		g.addLoadError(e.Pos, e.Msg)
	}
	for _, e := range pkg.TypeErrors {
		if strings.HasPrefix(e.Msg, "\t") {
			continue // "other declaration of": the first error says it
		}
		p := e.Fset.Position(e.Pos)
		if strings.Contains(e.Msg, bodyPrefix) {
			if strings.HasSuffix(p.Filename, glueSuffix) {
				continue // repeats of errors of the tasklet's declaration
			}
			// An inline tasklet call, typed by the body function.
			e.Msg = strings.ReplaceAll(e.Msg, bodyPrefix, "")
		}
		g.addError(p.Filename, p.Line, p.Column, e.Msg)
	}
}

func (g *generator) addLoadError(pos, msg string) {
	file, line, col := pos, 0, 0
	if i := strings.LastIndexByte(file, ':'); i >= 0 {
		if n, err := strconv.Atoi(file[i+1:]); err == nil {
			file, col = file[:i], n
			if j := strings.LastIndexByte(file, ':'); j >= 0 {
				if n, err := strconv.Atoi(file[j+1:]); err == nil {
					file, line = file[:j], n
				}
			} else {
				line, col = col, 0
			}
		}
	}
	g.addError(file, line, col, msg)
}

// addError records a diagnostic at a (possibly shadow) position.
func (g *generator) addError(file string, line, col int, msg string) {
	file = strings.TrimSuffix(strings.TrimSuffix(file, stubSuffix), glueSuffix)
	name := file
	for _, f := range g.files {
		if f.abs == file {
			name = f.name
		}
	}
	if name == file && filepath.IsAbs(file) {
		// A .go file of the package: name it as the .tsk files are named.
		if abs, err := filepath.Abs(g.dir); err == nil {
			if rel, err := filepath.Rel(abs, file); err == nil && !strings.HasPrefix(rel, "..") {
				name = filepath.Join(g.dir, rel)
			}
		}
		// A file of another package below the current directory: relative
		// to it, as the go command names files.
		if wd, err := os.Getwd(); name == file && err == nil {
			if rel, err := filepath.Rel(wd, file); err == nil && !strings.HasPrefix(rel, "..") {
				name = rel
			}
		}
	}
	g.typeErrs = append(g.typeErrs, &grammar.Error{Pos: grammar.Pos{Filename: name, Line: line, Column: col}, Msg: userTerms(msg)})
}

// userTerms rewrites the names of shadow stubs in a go/types message.
func userTerms(msg string) string {
	if i := strings.Index(msg, " in argument to tskReplyT["); i >= 0 {
		msg = msg[:i] + " in reply (the message's reply type)"
	}
	for _, r := range stubCalls {
		msg = r.re.ReplaceAllString(msg, r.repl)
	}
	for _, stub := range stubsByLength {
		if strings.Contains(msg, stub) {
			msg = strings.ReplaceAll(msg, stub, stubNames[stub])
		}
	}
	msg = strings.ReplaceAll(msg, `"github.com/tskc-lang/tskc/runtime".`, "tskrt.")
	msg = strings.NewReplacer("*runtime.Channel[", "Channel[", "*runtime.Tasklet", "Tasklet",
		"*runtime.Mailbox", "Mailbox", "runtime.Op[", "tskrt.Op[").Replace(msg)
	msg = strings.ReplaceAll(msg, "*github.com/tskc-lang/tskc/runtime.Channel", "Channel")
	msg = strings.ReplaceAll(msg, "github.com/tskc-lang/tskc/runtime.", "tskrt.")
	return msg
}

// recordInfo indexes the type information of the shadow files by .tsk
// position.
func (g *generator) recordInfo(pkg *packages.Package) {
	ti := &typeInfo{
		pkg:         pkg.Types,
		fset:        pkg.Fset,
		defs:        map[posKey]types.Object{},
		uses:        map[posKey]types.Object{},
		stubs:       map[stubKey]types.Instance{},
		implicits:   map[posKey]types.Object{},
		calls:       map[posKey]exprType{},
		tags:        map[posKey]types.Type{},
		msgs:        map[posKey]types.TypeAndValue{},
		predeclared: map[types.Object]string{},
		imports:     map[string]*types.Package{},
		defers:      map[posKey]*deferCall{},
	}
	g.info = ti
	for p, ip := range pkg.Imports {
		if ip.Types != nil {
			ti.imports[p] = ip.Types
		}
	}
	info := pkg.TypesInfo
	if info == nil || pkg.Types == nil {
		return
	}
	key := func(p token.Pos) posKey {
		q := pkg.Fset.Position(p)
		return posKey{q.Filename, q.Line, q.Column}
	}
	for id, obj := range info.Defs {
		if obj != nil {
			ti.defs[key(id.Pos())] = obj
		}
	}
	for id, obj := range info.Uses {
		k := key(id.Pos())
		if strings.HasSuffix(k.file, stubSuffix) {
			ti.stubs[stubKey{k, id.Name}] = info.Instances[id]
			continue
		}
		ti.uses[k] = obj
	}
	deferred := map[posKey]bool{}
	for _, f := range g.files {
		walkStmts(f, func(st grammar.Stmt) {
			if d, ok := st.(*grammar.DeferStmt); ok {
				deferred[f.keyOf(d.Call.Lparen)] = true
			}
		})
	}
	for e, tv := range info.Types {
		switch e := e.(type) {
		case *ast.CallExpr:
			k := key(e.Lparen)
			ti.calls[k] = exprType{tv, info.Types[e.Fun].IsType()}
			if deferred[k] {
				dc := &deferCall{fun: info.Types[e.Fun]}
				if sel, ok := ast.Unparen(e.Fun).(*ast.SelectorExpr); ok {
					if m, ok := info.Uses[sel.Sel].(*types.Func); ok && m.Type().(*types.Signature).Recv() != nil {
						dc.recv, dc.method = info.Types[sel.X].Type, m
					}
				}
				for _, a := range e.Args {
					dc.args = append(dc.args, info.Types[a])
				}
				ti.defers[k] = dc
			}
		case *ast.BinaryExpr:
			ti.calls[key(e.OpPos)] = exprType{tv: tv}
		}
	}
	// The tags of switches whose cases call tasklets: their values are
	// kept in temporaries of the tag's type.
	tags := map[posKey]posKey{}
	for _, f := range g.files {
		walkStmts(f, func(st grammar.Stmt) {
			if sw, ok := st.(*grammar.SwitchStmt); ok && sw.Tag != nil && g.caseCallsTasklet(sw) {
				tags[f.keyOf(sw.Tag.Pos())] = f.key(f.end(sw.Tag))
			}
		})
	}
	if len(tags) > 0 {
		for e, tv := range info.Types {
			if end, ok := tags[key(e.Pos())]; ok && key(e.End()) == end {
				ti.tags[key(e.Pos())] = tv.Type
			}
		}
	}
	// The messages and reply values (start: end).
	msgs := map[posKey]posKey{}
	for _, f := range g.files {
		walkStmts(f, func(st grammar.Stmt) {
			var e ast.Expr
			switch st := st.(type) {
			case *grammar.SendStmt:
				e = st.Msg
			case *grammar.CallStmt:
				e = st.Msg
			case *grammar.ReplyStmt:
				e = st.Value
			}
			if e != nil {
				msgs[f.keyOf(e.Pos())] = f.key(f.end(e))
			}
		})
	}
	for e, tv := range info.Types {
		if end, ok := msgs[key(e.Pos())]; ok && key(e.End()) == end {
			ti.msgs[key(e.Pos())] = tv
		}
	}
	for n, obj := range info.Implicits {
		if cc, ok := n.(*ast.CaseClause); ok {
			ti.implicits[key(cc.Pos())] = obj
		}
	}
	scope := pkg.Types.Scope()
	for name := range predeclared {
		if obj := scope.Lookup(name); obj != nil {
			if p := pkg.Fset.Position(obj.Pos()); strings.HasSuffix(p.Filename, glueSuffix) {
				ti.predeclared[obj] = name
			}
		}
	}
	// Plain .go files cannot use the names only .tsk files have.
	for id, obj := range info.Uses {
		name, ok := ti.predeclared[obj]
		if !ok {
			continue
		}
		if p := pkg.Fset.Position(id.Pos()); strings.HasSuffix(p.Filename, ".go") && !strings.HasSuffix(p.Filename, "_tsk.go") {
			goName := predeclaredGo(name, "tskrt", nil, nil)
			if name == "Channel" {
				goName += "[T]"
			}
			g.addError(p.Filename, p.Line, p.Column, fmt.Sprintf("%s is a name of .tsk files; in Go write %s (tskrt is github.com/tskc-lang/tskc/runtime)", name, goName))
		}
	}
	if obj, ok := scope.Lookup("main").(*types.Func); ok && obj != nil {
		g.hasMain = true
	}
}

// findCallReplies finds calls typed `any` by the first pass whose message
// turned out to be a message with a reply type; it reports whether a
// second pass is needed.
func (g *generator) findCallReplies() bool {
	found := false
	for _, f := range g.files {
		walkStmts(f, func(s grammar.Stmt) {
			c, ok := s.(*grammar.CallStmt)
			if !ok || g.replyOfCall(f, c) != nil {
				return
			}
			ts := g.info.stub(f, c.Pos, "tskCallAny"+arity(c.Result))
			if len(ts) != 1 {
				return
			}
			if m := g.messageOfType(ts[0]); m != nil && m.decl.Reply != nil {
				if g.callReply == nil {
					g.callReply = map[posKey]ast.Expr{}
				}
				g.callReply[f.keyAt(c.Pos)] = m.decl.Reply
				found = true
			}
		})
	}
	return found
}

// caseCallsTasklet reports whether a case expression of s calls a tasklet
// of the package (by name, outside func literals).
func (g *generator) caseCallsTasklet(s *grammar.SwitchStmt) bool {
	found := false
	for _, c := range s.Cases {
		for _, e := range c.List {
			ast.Inspect(e, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.FuncLit:
					return false
				case *ast.CallExpr:
					if tk, _ := g.taskletCallee(n); tk != nil {
						found = true
					}
				}
				return !found
			})
		}
	}
	return found
}

// walkStmts calls fn for every statement of every tasklet body of f, outer
// statements first.
func walkStmts(f *srcFile, fn func(grammar.Stmt)) {
	for _, d := range f.file.Decls {
		if t, ok := d.(*grammar.TaskletDecl); ok {
			walkList(t.Body.List, fn)
		}
	}
}

func walkList(list []grammar.Stmt, fn func(grammar.Stmt)) {
	for _, s := range list {
		walkStmt(s, fn)
	}
}

func walkStmt(s grammar.Stmt, fn func(grammar.Stmt)) {
	if s == nil {
		return
	}
	fn(s)
	switch s := s.(type) {
	case *grammar.BlockStmt:
		walkList(s.List, fn)
	case *grammar.IfStmt:
		walkStmt(s.Init, fn)
		walkStmt(s.Then, fn)
		walkStmt(s.Else, fn)
	case *grammar.ForStmt:
		walkStmt(s.Init, fn)
		walkStmt(s.Post, fn)
		walkStmt(s.Body, fn)
	case *grammar.RangeStmt:
		walkStmt(s.Body, fn)
	case *grammar.SwitchStmt:
		walkStmt(s.Init, fn)
		for _, c := range s.Cases {
			walkList(c.Body, fn)
		}
	case *grammar.TypeSwitchStmt:
		walkStmt(s.Init, fn)
		for _, c := range s.Cases {
			walkList(c.Body, fn)
		}
	case *grammar.LabeledStmt:
		walkStmt(s.Stmt, fn)
	case *grammar.ReceiveSwitchStmt:
		for _, c := range s.Cases {
			walkList(c.Body, fn)
		}
	case *grammar.SelectStmt:
		for _, c := range s.Cases {
			walkList(c.Body, fn)
		}
	case *grammar.DeadlineStmt:
		walkStmt(s.Body, fn)
	}
}

// stubsByLength lists the stub names longest first, so that no name is
// replaced inside a longer one.
var stubsByLength = func() []string {
	var l []string
	for s := range stubNames {
		l = append(l, s)
	}
	sort.Slice(l, func(i, j int) bool {
		if len(l[i]) != len(l[j]) {
			return len(l[i]) > len(l[j])
		}
		return l[i] < l[j]
	})
	return l
}()

// stubCalls rewrite stub calls that go/types quotes into the statement
// the user wrote.
var stubCalls = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`tskCall(?:Any)?[12](?:\[[^\]]*\])?\((.+?), (.+), [^,()]+\)`), "call $1, $2"},
	{regexp.MustCompile(`tskChanRecv[12](?:\[[^\]]*\])?\((.+?), [^,()]+\)`), "<-$1"},
	{regexp.MustCompile(`tskAwait[12](?:\[[^\]]*\])?\((.+), [^,()]+\)`), "await $1"},
	{regexp.MustCompile(`tskJoin[12]\((.+?), [^,()]+\)`), "join $1"},
	{regexp.MustCompile(`tskReceive[12]\([^()]*\)`), "receive"},
}
