package codegen

import (
	"fmt"
	"go/ast"
	"go/token"
	"strings"

	"github.com/tskc-lang/tskc/grammar"
)

// The shadow is a straight-line Go rendering of a .tsk file used only for
// type checking. Messages are struct types; each tasklet becomes a
// constructor with the signature the generated code will have plus a body
// function (tskbody_Name) whose suspension points are calls of typed stubs.
// Every piece of Go code copied from the .tsk file is preceded by a
// /*line*/ directive, so every go/types position is the exact .tsk
// position; stub identifiers get positions in a pseudo file (abs+"#stub")
// so they never collide with user identifiers.

// stubSuffix marks the pseudo file of stub identifiers.
const stubSuffix = "#stub"

// glueSuffix marks the pseudo file of the text the shadow adds.
const glueSuffix = "#glue"

// shadowStubs declares the predeclared names of the language and the stubs
// suspension points are typed by. %[1]s is the local name of package time.
const shadowStubs = `
type Tasklet = *tskrt.Tasklet
type Mailbox = *tskrt.Mailbox
type Channel[T any] = *tskrt.Channel[T]
type JoinError = tskrt.JoinError
type TimeoutError = tskrt.TimeoutError
type TaskletExit = tskrt.TaskletExit

var ErrTimeout = tskrt.ErrTimeout
var ErrKilled = tskrt.ErrKilled
var self *tskrt.Tasklet

func tskMakeChannel[T any]() *tskrt.Channel[T] { return nil }
func tskYield() error { return nil }
func tskSleep(d %[1]s.Duration) error { return nil }
func tskSpawn(f tskrt.Frame, o tskrt.Options) *tskrt.Tasklet { return nil }
func tskSpawnAfter(d %[1]s.Duration, f tskrt.Frame, o tskrt.Options) *tskrt.Tasklet { return nil }
func tskSpawnEvery(d %[1]s.Duration, now bool, f tskrt.Frame, o tskrt.Options) *tskrt.Tasklet { return nil }
func tskSpawnRate(n float64, f tskrt.Frame, o tskrt.Options) *tskrt.Tasklet { return nil }
func tskNow() %[1]s.Time { return %[1]s.Time{} }
func tskMessage() any { return nil }
func tskSend(to *tskrt.Tasklet, m any) {}
func tskCallAny1[M any](to *tskrt.Tasklet, m M, d %[1]s.Duration) any { return nil }
func tskCallAny2[M any](to *tskrt.Tasklet, m M, d %[1]s.Duration) (any, error) { return nil, nil }
func tskCall1[R, M any](to *tskrt.Tasklet, m M, d %[1]s.Duration) (r R) { return }
func tskCall2[R, M any](to *tskrt.Tasklet, m M, d %[1]s.Duration) (r R, err error) { return }
func tskReply[M any](m M, v any) {}
func tskReplyT[R, M any](m M, v R) {}
func tskReceive1(d %[1]s.Duration) any { return nil }
func tskReceive2(d %[1]s.Duration) (any, error) { return nil, nil }
func tskReceiveBatch1(n int, d %[1]s.Duration) []any { return nil }
func tskReceiveBatch2(n int, d %[1]s.Duration) ([]any, error) { return nil, nil }
func tskCase[T any]() (v T) { return }
func tskCaseIndex() int { return 0 }
func tskDuration(d %[1]s.Duration) {}
func tskChanSend[T any](ch *tskrt.Channel[T], v T, d %[1]s.Duration) error { return nil }
func tskChanRecv1[T any](ch *tskrt.Channel[T], d %[1]s.Duration) (v T) { return }
func tskChanRecv2[T any](ch *tskrt.Channel[T], d %[1]s.Duration) (v T, err error) { return }
func tskJoin1(t *tskrt.Tasklet, d %[1]s.Duration) any { return nil }
func tskJoin2(t *tskrt.Tasklet, d %[1]s.Duration) (any, error) { return nil, nil }
func tskJoinAll1(ts []*tskrt.Tasklet, d %[1]s.Duration) []any { return nil }
func tskJoinAll2(ts []*tskrt.Tasklet, d %[1]s.Duration) ([]any, error) { return nil, nil }
func tskJoinChildren1(d %[1]s.Duration) []any { return nil }
func tskJoinChildren2(d %[1]s.Duration) ([]any, error) { return nil, nil }
func tskAwait1[T any](op tskrt.Op[T], d %[1]s.Duration) (v T) { return }
func tskAwait2[T any](op tskrt.Op[T], d %[1]s.Duration) (v T, err error) { return }
func tskKill(t *tskrt.Tasklet) {}
func tskQuit(code int) any { return nil }
func tskRange[T any](x T) T { return x }
`

// stubNames maps stub functions to the .tsk construct they stand for, to
// word go/types messages in the user's terms.
var stubNames = map[string]string{
	"tskMakeChannel": "Channel", "tskYield": "yield", "tskSleep": "sleep",
	"tskSpawn": "spawn", "tskSpawnAfter": "spawn after", "tskSpawnEvery": "spawn every",
	"tskSpawnRate": "spawn rate", "tskSend": "send", "tskCallAny1": "call", "tskCallAny2": "call",
	"tskCall1": "call", "tskCall2": "call", "tskReply": "reply", "tskReplyT": "reply",
	"tskReceive1": "receive", "tskReceive2": "receive", "tskReceiveBatch1": "receive batch",
	"tskReceiveBatch2": "receive batch", "tskCase": "receive case", "tskDuration": "after",
	"tskChanSend": "ch <- v", "tskChanRecv1": "<-ch", "tskChanRecv2": "<-ch",
	"tskJoin1": "join", "tskJoin2": "join", "tskJoinAll1": "join all", "tskJoinAll2": "join all",
	"tskJoinChildren1": "join children", "tskJoinChildren2": "join children",
	"tskAwait1": "await", "tskAwait2": "await", "tskKill": "kill", "tskQuit": "quit",
	"tskRange": "range", "tskNow": "spawn rate", "tskMessage": "spawn receiver",
}

// predeclared are the names the language predeclares (LANGUAGE.md).
var predeclared = map[string]bool{
	"Tasklet": true, "Mailbox": true, "Channel": true, "JoinError": true, "TimeoutError": true,
	"TaskletExit": true, "ErrTimeout": true, "ErrKilled": true, "self": true,
}

// bodyPrefix names the shadow function holding a tasklet's body.
const bodyPrefix = "tskbody_"

type shadowWriter struct {
	g        *generator
	f        *srcFile
	b        strings.Builder
	timeName string
	imp      *importSet
	// binds maps the names of receive-case bindings in scope to the
	// message type expression they were bound with.
	binds []map[string]ast.Expr
	// inBody is set while a tasklet body is written: a tasklet call in
	// it (outside func literals) is an inline call, typed by the body
	// function.
	inBody bool
	// keep is the call of the spawn, defer or go statement being written:
	// its tasklet stays the constructor.
	keep *ast.CallExpr
}

// shadow renders the shadow Go file of f. withStubs adds the declarations
// of the predeclared names and stubs (exactly one file of the package has them).
func (g *generator) shadow(f *srcFile, withStubs bool) string {
	w := &shadowWriter{g: g, f: f}
	imp := newImportSet(f)
	w.imp = imp
	w.timeName = imp.timeName(withStubs || f.file.UsesTime)
	w.printf("// Code generated by tskc for type checking only. DO NOT EDIT.\n\n")
	w.printf("%spackage %s\n\n", f.directive(f.file.Package.Pos.Offset), f.file.Package.Name)
	for _, im := range f.file.Imports {
		off := im.Pos.Offset
		w.printf("import %s", f.directive(off))
		if im.Name != nil {
			w.printf("%s ", im.Name.Name)
			if q := strings.IndexByte(string(f.src[off:]), '"'); q >= 0 {
				off += q
			} else if q := strings.IndexByte(string(f.src[off:]), '`'); q >= 0 {
				off += q
			}
			w.printf("%s", f.directive(off))
		}
		w.printf("%q\n", im.Path)
	}
	for _, p := range imp.sortedAdded() {
		w.glue()
		w.printf("import %s %q\n", imp.added[p], p)
	}
	w.glue()
	w.printf("\nvar _ = %s.ABI1\n", imp.rtName)
	if withStubs {
		stubs := fmt.Sprintf(shadowStubs, w.timeName)
		if imp.rtName != "tskrt" {
			stubs = strings.ReplaceAll(stubs, "tskrt.", imp.rtName+".")
		}
		w.glue()
		w.printf("%s", stubs)
	}
	for _, d := range f.file.Decls {
		w.printf("\n")
		switch d := d.(type) {
		case *grammar.GoDecl:
			w.printf("%s%s\n", f.directive(f.offset(d.Decl.Pos())), w.render(d.Decl))
		case *grammar.MessageDecl:
			w.message(d)
		case *grammar.TaskletDecl:
			w.tasklet(d)
		}
	}
	return w.b.String()
}

func (w *shadowWriter) timeFn() string { return w.timeName }

func (w *shadowWriter) printf(format string, args ...any) { fmt.Fprintf(&w.b, format, args...) }

// at writes the directive that positions what follows at p.
func (w *shadowWriter) at(p grammar.Pos) { w.b.WriteString(w.f.directive(p.Offset)) }

// stub writes a call of a stub, positioned in the stub pseudo file at p.
func (w *shadowWriter) stub(p grammar.Pos, name string) {
	fmt.Fprintf(&w.b, "/*line %s%s:%d:%d*/%s", w.f.base, stubSuffix, p.Line, p.Column, name)
}

// glue positions what follows (text the shadow adds) in a pseudo file, so
// that its identifiers never take the position of a .tsk identifier.
func (w *shadowWriter) glue() { fmt.Fprintf(&w.b, "/*line %s%s:1:1*/", w.f.base, glueSuffix) }

// renderType renders a type expression of any .tsk file of the package
// (reply types are declared with their message).
func (w *shadowWriter) renderType(e ast.Expr) string {
	if f := w.g.replyFile[e]; f != nil && f != w.f {
		return f.directive(f.offset(e.Pos())) + f.render(e, nil, w.timeFn, true)
	}
	return w.f.directive(w.f.offset(e.Pos())) + w.render(e)
}

// use writes a use of name positioned in the stub pseudo file, so that an
// unused binding is no error.
func (w *shadowWriter) use(p grammar.Pos, name string) {
	fmt.Fprintf(&w.b, "/*line %s%s:%d:%d*/_ = %s\n", w.f.base, stubSuffix, p.Line, p.Column, name)
}

// render renders a node's source text for the shadow.
func (w *shadowWriter) render(n ast.Node) string {
	return w.f.render(n, w.rewrite, w.timeFn, true)
}

// rewrite renames what the shadow must see differently: calls of tasklets
// in tasklet bodies (inline calls, typed by their body function) and
// Channel[T]().
func (w *shadowWriter) rewrite(n ast.Node, stack []ast.Node) (string, bool) {
	id, ok := n.(*ast.Ident)
	if !ok {
		return "", false
	}
	if id.Name == "Channel" && isChannelMake(id, stack) {
		return "tskMakeChannel", true
	}
	if w.inBody && w.g.tasklets[id.Name] != nil && len(stack) > 0 {
		if c, ok := stack[len(stack)-1].(*ast.CallExpr); ok && c.Fun == id && c != w.keep && !inFuncLit(stack) {
			return bodyPrefix + id.Name, true
		}
	}
	return "", false
}

// inFuncLit reports whether a func literal is among the ancestors.
func inFuncLit(stack []ast.Node) bool {
	for _, n := range stack {
		if _, ok := n.(*ast.FuncLit); ok {
			return true
		}
	}
	return false
}

// isChannelMake reports whether id is the Channel of Channel[T](), given
// its ancestors.
func isChannelMake(id *ast.Ident, stack []ast.Node) bool {
	if len(stack) < 2 {
		return false
	}
	ix, ok := stack[len(stack)-1].(*ast.IndexExpr)
	if !ok || ix.X != id {
		return false
	}
	c, ok := stack[len(stack)-2].(*ast.CallExpr)
	return ok && c.Fun == ix && len(c.Args) == 0
}

// expr writes a positioned Go expression.
func (w *shadowWriter) expr(e ast.Expr) {
	if e == nil {
		return
	}
	w.b.WriteString(w.f.directive(w.f.offset(e.Pos())))
	w.b.WriteString(w.render(e))
}

// args writes a stub's argument list: (e1, e2, ...).
func (w *shadowWriter) args(es ...ast.Expr) {
	w.printf("(")
	for i, e := range es {
		if i > 0 {
			w.printf(", ")
		}
		w.expr(e)
	}
	w.printf(")")
}

// timedArgs writes the argument list of a blocking operation's stub: the
// expressions, then its timeout.
func (w *shadowWriter) timedArgs(timeout ast.Expr, es ...ast.Expr) {
	w.printf("(")
	for _, e := range es {
		w.expr(e)
		w.printf(", ")
	}
	w.timeout(timeout)
	w.printf(")")
}

// timeout writes the duration argument of an operation (0 when absent).
func (w *shadowWriter) timeout(e ast.Expr) {
	if e == nil {
		w.b.WriteString("0")
		return
	}
	w.expr(e)
}

func (w *shadowWriter) message(d *grammar.MessageDecl) {
	f := w.f
	w.printf("%stype %s%s struct%s", f.directive(d.Pos.Offset), f.directive(d.Name.Pos.Offset), d.Name.Name, f.directive(f.offset(d.Fields.Pos())))
	w.printf("%s\n", w.render(d.Fields))
}

// params renders a parameter list, naming unnamed parameters.
func (w *shadowWriter) fieldList(fl *ast.FieldList, parens, mapNames bool) {
	if fl == nil {
		return
	}
	if parens {
		w.printf("(")
	}
	for i, fd := range fl.List {
		if i > 0 {
			w.printf(", ")
		}
		for j, n := range fd.Names {
			if j > 0 {
				w.printf(", ")
			}
			if mapNames {
				w.printf("%s", w.f.directive(w.f.offset(n.Pos())))
			} else {
				w.glue()
			}
			w.printf("%s", n.Name)
		}
		if len(fd.Names) > 0 {
			w.printf(" ")
		}
		w.expr(fd.Type)
	}
	if parens {
		w.printf(")")
	}
}

func (w *shadowWriter) tasklet(d *grammar.TaskletDecl) {
	f := w.f
	rt := w.imp.rtName
	// The constructor, as the generated code declares it.
	w.printf("%sfunc %s%s", f.directive(d.Pos.Offset), f.directive(d.Name.Pos.Offset), d.Name.Name)
	w.fieldList(d.Type.Params, true, false)
	w.glue()
	w.printf(" %s.Frame { return nil }\n\n", rt)
	// The body.
	w.glue()
	w.printf("func %s%s", bodyPrefix, d.Name.Name)
	w.fieldList(d.Type.Params, true, true)
	if d.Type.Results != nil {
		w.printf(" ")
		w.fieldList(d.Type.Results, true, true)
	}
	w.printf(" {\n")
	w.binds = nil
	w.inBody = true
	w.stmts(d.Body.List)
	w.inBody = false
	w.at(d.Body.Rbrace)
	w.printf("}\n")
}

func (w *shadowWriter) stmts(list []grammar.Stmt) {
	for _, s := range list {
		w.stmt(s)
		w.printf("\n")
	}
}

func (w *shadowWriter) block(b *grammar.BlockStmt) {
	w.at(b.Pos)
	w.printf("{\n")
	w.stmts(b.List)
	w.at(b.Rbrace)
	w.printf("}")
}

// result writes `lhs, lhs := ` of a tasklet statement.
func (w *shadowWriter) result(r grammar.Result) {
	if len(r.Lhs) == 0 {
		return
	}
	for i, e := range r.Lhs {
		if i > 0 {
			w.printf(", ")
		}
		w.expr(e)
	}
	w.printf(" %s ", r.Tok)
}

// arity picks the stub variant: 2 when the error is taken.
func arity(r grammar.Result) string {
	if len(r.Lhs) == 2 {
		return "2"
	}
	return "1"
}

// taskletCallee returns the tasklet a call statement calls inline.
func (g *generator) taskletCallee(e ast.Expr) (*taskletInfo, *ast.CallExpr) {
	c, ok := e.(*ast.CallExpr)
	if !ok {
		return nil, nil
	}
	id, ok := c.Fun.(*ast.Ident)
	if !ok {
		return nil, nil
	}
	if t := g.tasklets[id.Name]; t != nil {
		return t, c
	}
	return nil, nil
}

// inlineCall returns the tasklet call of a statement, if it is one of the
// forms `F(args)`, `x := F(args)`, `x, err = F(args)`.
func (g *generator) inlineCall(s ast.Stmt) (*taskletInfo, *ast.CallExpr) {
	switch s := s.(type) {
	case *ast.ExprStmt:
		return g.taskletCallee(s.X)
	case *ast.AssignStmt:
		if len(s.Rhs) == 1 && (s.Tok == token.DEFINE || s.Tok == token.ASSIGN) {
			return g.taskletCallee(s.Rhs[0])
		}
	}
	return nil, nil
}

func (w *shadowWriter) stmt(s grammar.Stmt) {
	f := w.f
	switch s := s.(type) {
	case *grammar.SimpleStmt:
		w.at(s.Pos)
		w.printf("%s", w.render(s.S))
	case *grammar.DeclStmt:
		w.at(s.Pos)
		w.printf("%s", w.render(s.Decl))
	case *grammar.ReturnStmt:
		w.at(s.Pos)
		w.printf("return ")
		for i, e := range s.Results {
			if i > 0 {
				w.printf(", ")
			}
			w.expr(e)
		}
	case *grammar.BranchStmt:
		w.at(s.Pos)
		w.printf("%s", s.Tok)
		if s.Label != nil {
			w.printf(" ")
			w.at(s.Label.Pos)
			w.printf("%s", s.Label.Name)
		}
	case *grammar.DeferStmt:
		w.at(s.Pos)
		w.printf("defer ")
		w.keep = s.Call
		w.expr(s.Call)
		w.keep = nil
	case *grammar.GoStmt:
		w.at(s.Pos)
		w.printf("go ")
		w.keep = s.Call
		w.expr(s.Call)
		w.keep = nil
	case *grammar.BlockStmt:
		w.block(s)
	case *grammar.IfStmt:
		w.at(s.Pos)
		w.printf("if ")
		if s.Init != nil {
			w.stmt(s.Init)
			w.printf("; ")
		}
		w.expr(s.Cond)
		w.printf(" ")
		w.block(s.Then)
		if s.Else != nil {
			w.printf(" else ")
			w.stmt(s.Else)
		}
	case *grammar.ForStmt:
		w.at(s.Pos)
		w.printf("for ")
		if s.Init != nil || s.Post != nil {
			if s.Init != nil {
				w.stmt(s.Init)
			}
			w.printf("; ")
			w.expr(s.Cond)
			w.printf("; ")
			if s.Post != nil {
				w.stmt(s.Post)
			}
		} else if s.Cond != nil {
			w.expr(s.Cond)
		}
		w.printf(" ")
		w.block(s.Body)
	case *grammar.RangeStmt:
		w.at(s.Pos)
		w.printf("for ")
		if s.Key != nil {
			w.expr(s.Key)
			if s.Value != nil {
				w.printf(", ")
				w.expr(s.Value)
			}
			w.printf(" %s ", s.Tok)
		}
		w.printf("range ")
		w.stub(s.Pos, "tskRange")
		w.printf("(")
		w.expr(s.X)
		w.printf(") ")
		w.block(s.Body)
	case *grammar.SwitchStmt:
		w.at(s.Pos)
		w.printf("switch ")
		if s.Init != nil {
			w.stmt(s.Init)
			w.printf("; ")
		}
		w.expr(s.Tag)
		w.printf(" {\n")
		w.clauses(s.Cases)
		w.printf("}")
	case *grammar.TypeSwitchStmt:
		w.at(s.Pos)
		w.printf("switch ")
		if s.Init != nil {
			w.stmt(s.Init)
			w.printf("; ")
		}
		if s.Bind != nil {
			w.at(s.Bind.Pos)
			w.printf("%s := ", s.Bind.Name)
		}
		w.expr(s.X)
		w.printf(".(type) {\n")
		w.clauses(s.Cases)
		w.printf("}")
	case *grammar.LabeledStmt:
		w.at(s.Label.Pos)
		w.printf("%s:\n", s.Label.Name)
		w.stmt(s.Stmt)
	case *grammar.EmptyStmt:
		w.at(s.Pos)
		w.printf(";")
	case *grammar.YieldStmt:
		w.at(s.Pos)
		w.result(s.Result)
		w.stub(s.Pos, "tskYield")
		w.printf("()")
	case *grammar.SleepStmt:
		w.at(s.Pos)
		w.result(s.Result)
		w.stub(s.Pos, "tskSleep")
		w.args(s.Duration)
	case *grammar.SpawnStmt:
		w.spawn(s)
	case *grammar.SendStmt:
		w.at(s.Pos)
		w.stub(s.Pos, "tskSend")
		w.args(s.Target, s.Msg)
	case *grammar.CallStmt:
		w.at(s.Pos)
		w.result(s.Result)
		if r := w.g.replyOfCall(f, s); r != nil {
			w.stub(s.Pos, "tskCall"+arity(s.Result))
			w.printf("[%s]", w.renderType(r))
		} else {
			w.stub(s.Pos, "tskCallAny"+arity(s.Result))
		}
		w.timedArgs(s.Timeout, s.Target, s.Msg)
	case *grammar.ReplyStmt:
		w.at(s.Pos)
		if typ := w.boundType(s.Msg.Name); typ != nil {
			if m := w.g.messageOf(typ); m != nil && m.decl.Reply != nil {
				w.stub(s.Pos, "tskReplyT")
				w.printf("[%s]", w.renderType(m.decl.Reply))
				w.printf("(")
				goto args
			}
		}
		w.stub(s.Pos, "tskReply")
		w.printf("(")
	args:
		w.at(s.Msg.Pos)
		w.printf("%s, ", s.Msg.Name)
		w.expr(s.Value)
		w.printf(")")
	case *grammar.ReceiveStmt:
		w.at(s.Pos)
		w.result(s.Result)
		w.stub(s.Pos, "tskReceive"+arity(s.Result))
		w.timedArgs(s.Timeout)
	case *grammar.ReceiveBatchStmt:
		w.at(s.Pos)
		w.result(s.Result)
		w.stub(s.Pos, "tskReceiveBatch"+arity(s.Result))
		w.timedArgs(s.Timeout, s.N)
	case *grammar.ReceiveSwitchStmt:
		w.at(s.Pos)
		w.printf("switch ")
		w.stub(s.Pos, "tskCaseIndex")
		w.printf("() {\n")
		for i, c := range s.Cases {
			w.at(c.Pos)
			caseLabel(w, i, len(s.Cases))
			scope := map[string]ast.Expr{}
			switch c.Kind {
			case grammar.ReceiveType:
				if c.Bind != nil {
					w.at(c.Bind.Pos)
					w.printf("%s := ", c.Bind.Name)
					w.stub(c.Pos, "tskCase")
					w.printf("[")
					w.expr(c.Type)
					w.printf("]()\n")
					w.use(c.Pos, c.Bind.Name)
					scope[c.Bind.Name] = c.Type
				} else {
					w.printf("_ = ")
					w.stub(c.Pos, "tskCase")
					w.printf("[")
					w.expr(c.Type)
					w.printf("]()\n")
				}
			case grammar.ReceiveAfter:
				w.stub(c.Pos, "tskDuration")
				w.printf("(")
				w.expr(c.After)
				w.printf(")\n")
			}
			w.binds = append(w.binds, scope)
			w.stmts(c.Body)
			w.binds = w.binds[:len(w.binds)-1]
		}
		w.at(s.Rbrace)
		w.printf("}")
	case *grammar.ChanSendStmt:
		w.at(s.Pos)
		w.result(s.Result)
		w.stub(s.Pos, "tskChanSend")
		w.timedArgs(s.Timeout, s.Chan, s.Value)
	case *grammar.ChanRecvStmt:
		w.at(s.Pos)
		w.result(s.Result)
		w.stub(s.Pos, "tskChanRecv"+arity(s.Result))
		w.timedArgs(s.Timeout, s.Chan)
	case *grammar.JoinStmt:
		w.at(s.Pos)
		w.result(s.Result)
		switch s.Kind {
		case grammar.JoinOne:
			w.stub(s.Pos, "tskJoin"+arity(s.Result))
		case grammar.JoinAll:
			w.stub(s.Pos, "tskJoinAll"+arity(s.Result))
		case grammar.JoinChildren:
			w.stub(s.Pos, "tskJoinChildren"+arity(s.Result))
		}
		if s.X != nil {
			w.timedArgs(s.Timeout, s.X)
		} else {
			w.timedArgs(s.Timeout)
		}
	case *grammar.AwaitStmt:
		w.at(s.Pos)
		w.result(s.Result)
		w.stub(s.Pos, "tskAwait"+arity(s.Result))
		w.timedArgs(s.Timeout, s.Op)
	case *grammar.KillStmt:
		w.at(s.Pos)
		w.stub(s.Pos, "tskKill")
		w.args(s.X)
	case *grammar.DeadlineStmt:
		w.at(s.Pos)
		w.stub(s.Pos, "tskDuration")
		w.printf("(")
		w.expr(s.Duration)
		w.printf(")\n")
		w.block(s.Body)
	case *grammar.QuitStmt:
		w.at(s.Pos)
		w.glue()
		w.printf("panic(")
		w.stub(s.Pos, "tskQuit")
		w.printf("(")
		if s.Code != nil {
			w.expr(s.Code)
		} else {
			w.printf("0")
		}
		w.printf("))")
	case *grammar.SelectStmt:
		w.at(s.Pos)
		w.printf("switch ")
		w.stub(s.Pos, "tskCaseIndex")
		w.printf("() {\n")
		for i, c := range s.Cases {
			w.at(c.Pos)
			caseLabel(w, i, len(s.Cases))
			scope := map[string]ast.Expr{}
			switch c.Kind {
			case grammar.SelectRecv:
				w.result(c.Result)
				w.stub(c.Pos, "tskChanRecv"+arity(c.Result))
				w.printf("(")
				w.expr(c.Chan)
				w.printf(", 0)\n")
				for _, l := range c.Result.Lhs {
					if id, ok := l.(*ast.Ident); ok && c.Result.Tok == token.DEFINE && id.Name != "_" {
						w.use(c.Pos, id.Name)
					}
				}
			case grammar.SelectSend:
				w.stub(c.Pos, "tskChanSend")
				w.printf("(")
				w.expr(c.Chan)
				w.printf(", ")
				w.expr(c.Value)
				w.printf(", 0)\n")
			case grammar.SelectReceive:
				w.result(c.Result)
				w.stub(c.Pos, "tskCase")
				w.printf("[")
				w.expr(c.Type)
				w.printf("]()\n")
				if len(c.Result.Lhs) == 1 {
					if id, ok := c.Result.Lhs[0].(*ast.Ident); ok && id.Name != "_" {
						if c.Result.Tok == token.DEFINE {
							w.use(c.Pos, id.Name)
						}
						scope[id.Name] = c.Type
					}
				}
			case grammar.SelectAfter:
				w.stub(c.Pos, "tskDuration")
				w.printf("(")
				w.expr(c.After)
				w.printf(")\n")
			}
			w.binds = append(w.binds, scope)
			w.stmts(c.Body)
			w.binds = w.binds[:len(w.binds)-1]
		}
		w.at(s.Rbrace)
		w.printf("}")
	default:
		panic(fmt.Sprintf("codegen: unknown statement %T", s))
	}
}

// caseLabel writes the label of case i of n of a receive or select; the
// last is default, so that a receive or select whose cases all end in a
// terminating statement is terminating, as Go's select is.
func caseLabel(w *shadowWriter, i, n int) {
	if i == n-1 {
		w.printf("default:\n")
		return
	}
	w.printf("case %d:\n", i)
}

func (w *shadowWriter) clauses(cs []*grammar.CaseClause) {
	for _, c := range cs {
		w.at(c.Pos)
		if c.List == nil {
			w.printf("default:\n")
		} else {
			w.printf("case ")
			for i, e := range c.List {
				if i > 0 {
					w.printf(", ")
				}
				w.expr(e)
			}
			w.printf(":\n")
		}
		w.stmts(c.Body)
	}
}

func (w *shadowWriter) spawn(s *grammar.SpawnStmt) {
	rt := w.imp.rtName
	w.at(s.Pos)
	w.result(s.Result)
	switch s.Kind {
	case grammar.SpawnPlain, grammar.SpawnLoop:
		w.stub(s.Pos, "tskSpawn")
		w.printf("(")
	case grammar.SpawnAfter:
		w.stub(s.Pos, "tskSpawnAfter")
		w.printf("(")
		w.expr(s.Arg)
		w.printf(", ")
	case grammar.SpawnEvery:
		w.stub(s.Pos, "tskSpawnEvery")
		w.printf("(")
		w.expr(s.Arg)
		w.glue()
		w.printf(", %v, ", s.Now)
	case grammar.SpawnRate:
		w.stub(s.Pos, "tskSpawnRate")
		w.glue()
		w.printf("(float64(")
		w.expr(s.Arg)
		w.printf("), ")
	case grammar.SpawnReceiver:
		w.stub(s.Pos, "tskSpawn")
		w.printf("(")
	}
	// The call, with the time or message argument the runtime supplies.
	c := s.Call
	w.keep = c
	defer func() { w.keep = nil }()
	switch s.Kind {
	case grammar.SpawnRate, grammar.SpawnReceiver:
		w.expr(c.Fun)
		w.printf("(")
		if s.Kind == grammar.SpawnRate {
			w.stub(s.Pos, "tskNow")
		} else {
			w.stub(s.Pos, "tskMessage")
		}
		w.printf("()")
		for _, a := range c.Args {
			w.printf(", ")
			w.expr(a)
		}
		if c.Ellipsis.IsValid() {
			w.printf("...")
		}
		w.printf(")")
	default:
		w.expr(c)
	}
	w.glue()
	w.printf(", %s.Options{", rt)
	for _, o := range s.Options {
		w.glue()
		switch o.Key.Name {
		case "name":
			w.printf("Name: ")
		case "daemon":
			w.printf("Daemon: ")
		case "mailbox":
			w.printf("Mailbox: ")
		default:
			continue
		}
		w.expr(o.Value)
		w.printf(", ")
	}
	w.glue()
	w.printf("})")
}

// boundType returns the message type a receive case bound name to, if
// name is such a binding in scope.
func (w *shadowWriter) boundType(name string) ast.Expr {
	for i := len(w.binds) - 1; i >= 0; i-- {
		if t, ok := w.binds[i][name]; ok {
			return t
		}
	}
	return nil
}
