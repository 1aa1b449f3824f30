package codegen

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"github.com/tskc-lang/tskc/grammar"
)

// The semantic checks of the language that Go's type checker does not make
// on the shadow. Each reports file.tsk:L:C: message, and may hide the
// go/types errors the same mistake caused inside the statement (they name
// the shadow's stubs, not the user's code).

// span is a byte range of a .tsk file whose go/types errors a check replaces.
type span struct {
	f          *srcFile
	start, end int
}

// check runs the semantic checks and drops the errors they replace.
func (g *generator) check() {
	if g.info == nil {
		return
	}
	for _, f := range g.files {
		for _, d := range f.file.Decls {
			switch d := d.(type) {
			case *grammar.TaskletDecl:
				c := &checker{g: g, f: f, decl: d, bound: map[types.Object]bool{}}
				c.run()
			case *grammar.GoDecl:
				g.checkSelf(f, d.Decl)
			}
		}
	}
	g.dropSuppressed()
}

type checker struct {
	g     *generator
	f     *srcFile
	decl  *grammar.TaskletDecl
	bound map[types.Object]bool // messages bound by receive cases
}

// suppress hides the go/types errors inside the node's span.
func (c *checker) suppress(start, end int) {
	c.g.suppressed = append(c.g.suppressed, span{c.f, start, end})
}

func (c *checker) suppressStmt(s grammar.Stmt, n ast.Node) {
	end := s.Position().Offset + 1
	if n != nil {
		end = c.f.end(n)
	}
	c.suppress(s.Position().Offset, end)
}

func (c *checker) errorf(p grammar.Pos, format string, args ...any) {
	c.g.errorf(c.f, p, format, args...)
}

func (c *checker) errorAt(n ast.Node, format string, args ...any) {
	c.g.errorAtNode(c.f, n, format, args...)
}

func (c *checker) run() {
	// Collect the names receive cases bind.
	walkList(c.decl.Body.List, func(s grammar.Stmt) {
		switch s := s.(type) {
		case *grammar.ReceiveSwitchStmt:
			for _, rc := range s.Cases {
				if rc.Bind != nil {
					if obj := c.g.info.defs[c.f.keyAt(rc.Bind.Pos)]; obj != nil {
						c.bound[obj] = true
					}
				}
			}
		case *grammar.SelectStmt:
			for _, sc := range s.Cases {
				if sc.Kind == grammar.SelectReceive && len(sc.Result.Lhs) == 1 {
					if obj := c.g.info.object(c.f, sc.Result.Lhs[0].Pos()); obj != nil {
						c.bound[obj] = true
					}
				}
			}
		case *grammar.ReceiveStmt:
			if len(s.Result.Lhs) > 0 {
				if obj := c.g.info.object(c.f, s.Result.Lhs[0].Pos()); obj != nil {
					c.bound[obj] = true
				}
			}
		}
	})
	c.list(c.decl.Body.List)
	walkList(c.decl.Body.List, c.stmt)
	for _, n := range goNodes(c.decl.Body) {
		c.expr(n)
	}
}

// list checks a statement list: nothing may follow quit.
func (c *checker) list(list []grammar.Stmt) {
	for i, s := range list {
		if _, ok := s.(*grammar.QuitStmt); ok && i+1 < len(list) {
			next := list[i+1]
			if _, ok := next.(*grammar.LabeledStmt); !ok {
				c.errorf(next.Position(), "unreachable code: quit before it ends the program")
			}
		}
	}
}

// chanType returns the type of a channel operand when it is a name, a
// field or an element of one; nil when it cannot tell.
func (c *checker) chanType(e ast.Expr) types.Type {
	switch e := e.(type) {
	case *ast.ParenExpr:
		return c.chanType(e.X)
	case *ast.Ident:
		if obj := c.g.info.object(c.f, e.Pos()); obj != nil {
			if _, ok := obj.(*types.Var); ok {
				return obj.Type()
			}
		}
	case *ast.SelectorExpr:
		if obj := c.g.info.object(c.f, e.Sel.Pos()); obj != nil {
			if _, ok := obj.(*types.Var); ok {
				return obj.Type()
			}
		}
	case *ast.IndexExpr:
		if t := c.chanType(e.X); t != nil {
			switch u := t.Underlying().(type) {
			case *types.Slice:
				return u.Elem()
			case *types.Array:
				return u.Elem()
			case *types.Map:
				return u.Elem()
			}
		}
	}
	return nil
}

func isGoChan(t types.Type) bool {
	if t == nil {
		return false
	}
	_, ok := t.Underlying().(*types.Chan)
	return ok
}

const useChannel = "a Go channel operation would block the whole dispatcher (use a tasklet channel: ch := Channel[T]())"

func (c *checker) stmt(s grammar.Stmt) {
	switch s := s.(type) {
	case *grammar.BlockStmt:
		c.list(s.List)
	case *grammar.ReceiveSwitchStmt:
		for _, rc := range s.Cases {
			c.list(rc.Body)
		}
		c.receiveCases(s)
		c.caseLimit(s.Pos, "receive", len(s.Cases))
	case *grammar.SelectStmt:
		c.caseLimit(s.Pos, "select", len(s.Cases))
		for _, sc := range s.Cases {
			c.list(sc.Body)
			if (sc.Kind == grammar.SelectRecv || sc.Kind == grammar.SelectSend) && isGoChan(c.chanType(sc.Chan)) {
				c.errorAt(sc.Chan, "select on Go channel %s: %s", c.text(sc.Chan), useChannel)
				c.suppress(sc.Pos.Offset, c.f.end(sc.Chan))
			}
		}
		c.selectCases(s)
	case *grammar.SwitchStmt:
		for _, cc := range s.Cases {
			c.list(cc.Body)
		}
	case *grammar.TypeSwitchStmt:
		for _, cc := range s.Cases {
			c.list(cc.Body)
		}
	case *grammar.ChanSendStmt:
		if isGoChan(c.chanType(s.Chan)) {
			c.errorf(s.Pos, "send on Go channel %s in a tasklet: %s", c.text(s.Chan), useChannel)
			c.suppressStmt(s, s.Value)
		}
	case *grammar.ChanRecvStmt:
		if isGoChan(c.chanType(s.Chan)) {
			c.errorf(s.Pos, "receive from Go channel %s in a tasklet: %s", c.text(s.Chan), useChannel)
			c.suppressStmt(s, s.Chan)
		}
	case *grammar.RangeStmt:
		if ts := c.g.info.stub(c.f, s.Pos, "tskRange"); len(ts) == 1 && isGoChan(ts[0]) {
			c.errorf(s.Pos, "range over Go channel %s in a tasklet: %s", c.text(s.X), useChannel)
		}
	case *grammar.GoStmt:
		c.errorf(s.Pos, "go statement in a tasklet: a goroutine escapes the dispatcher (use spawn to start a tasklet)")
	case *grammar.ReplyStmt:
		k := c.f.keyAt(s.Msg.Pos)
		o := c.g.info.uses[k]
		if o == nil {
			return // undefined: go/types said so
		}
		if !c.bound[o] {
			c.errorf(s.Msg.Pos, "reply %s: %s is not a message bound by a receive case (reply answers the message of case %s := Type:)", s.Msg.Name, s.Msg.Name, s.Msg.Name)
			c.suppressStmt(s, s.Value)
		}
	case *grammar.SpawnStmt:
		c.spawn(s)
	case *grammar.DeferStmt:
		if tk, _ := c.g.taskletCallee(s.Call); tk != nil && c.isTaskletRef(s.Call.Fun) {
			c.errorf(s.Pos, "defer of tasklet %s: a deferred call is a plain Go call (call the tasklet as a statement, or spawn it)", tk.decl.Name.Name)
		}
	}
}

// caseLimit reports a receive or select with more cases than the runtime's Case register
// numbers (tskrt.MaxCases).
func (c *checker) caseLimit(p grammar.Pos, what string, n int) {
	if n > maxCases {
		c.errorf(p, "too many cases in %s: %d (at most %d)", what, n, maxCases)
	}
}

func (c *checker) text(e ast.Expr) string {
	return strings.TrimSpace(string(c.f.src[c.f.offset(e.Pos()):c.f.end(e)]))
}

// isTaskletRef reports whether e names a tasklet of the package.
func (c *checker) isTaskletRef(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	if !ok {
		return false
	}
	tk := c.g.tasklets[id.Name]
	if tk == nil {
		return false
	}
	obj := c.g.info.object(c.f, id.Pos())
	return obj != nil && obj.Parent() == c.g.info.pkg.Scope()
}

func (c *checker) spawn(s *grammar.SpawnStmt) {
	fun := s.Call.Fun
	if c.isTaskletRef(fun) {
		return
	}
	var obj types.Object
	switch fn := fun.(type) {
	case *ast.Ident:
		obj = c.g.info.object(c.f, fn.Pos())
	case *ast.SelectorExpr:
		obj = c.g.info.object(c.f, fn.Sel.Pos())
	}
	if obj == nil {
		return // undefined: go/types said so
	}
	if sig, ok := obj.Type().(*types.Signature); ok && sig.Results().Len() == 1 {
		if n, ok := types.Unalias(sig.Results().At(0).Type()).(*types.Named); ok && n.Obj().Name() == "Frame" && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == runtimePath {
			return // a tasklet of another package, or a frame constructor
		}
	}
	c.errorAt(fun, "spawn of %s: %s is not a tasklet (spawn starts a tasklet: spawn Worker(args))", c.text(fun), c.text(fun))
	c.suppress(c.f.offset(s.Call.Pos()), c.f.end(s.Call))
}

// caseType is the type a receive case matches.
func (c *checker) caseType(p grammar.Pos) types.Type {
	if ts := c.g.info.stub(c.f, p, "tskCase"); len(ts) == 1 {
		return ts[0]
	}
	return nil
}

// matchable checks that each case of a selective receive can match: no
// case repeats an earlier one or is covered by an earlier interface case.
func (c *checker) matchable(cases []grammar.Pos, exprs []ast.Expr, what string) {
	var seen []types.Type
	var seenAt []ast.Expr
	for i, p := range cases {
		t := c.caseType(p)
		if t == nil {
			continue
		}
		for j, u := range seen {
			if types.Identical(t, u) {
				c.errorAt(exprs[i], "duplicate case %s in %s: the case at line %d takes every %s", c.text(exprs[i]), what, c.f.file.FileSet.Position(seenAt[j].Pos()).Line, c.text(exprs[i]))
				break
			}
			if iface, ok := u.Underlying().(*types.Interface); ok && types.Implements(t, iface) {
				c.errorAt(exprs[i], "case %s can never match in %s: the earlier case %s (line %d) takes every message that is a %s", c.text(exprs[i]), what, c.text(seenAt[j]), c.f.file.FileSet.Position(seenAt[j].Pos()).Line, c.text(exprs[i]))
				break
			}
		}
		seen = append(seen, t)
		seenAt = append(seenAt, exprs[i])
	}
}

func (c *checker) receiveCases(s *grammar.ReceiveSwitchStmt) {
	var ps []grammar.Pos
	var es []ast.Expr
	for _, rc := range s.Cases {
		if rc.Kind == grammar.ReceiveType {
			ps = append(ps, rc.Pos)
			es = append(es, rc.Type)
		}
	}
	c.matchable(ps, es, "receive")
}

func (c *checker) selectCases(s *grammar.SelectStmt) {
	var ps []grammar.Pos
	var es []ast.Expr
	for _, sc := range s.Cases {
		if sc.Kind == grammar.SelectReceive {
			ps = append(ps, sc.Pos)
			es = append(es, sc.Type)
		}
	}
	c.matchable(ps, es, "select")
}

// expr checks Go expressions of the body, outside func literals.
func (c *checker) expr(n ast.Node) {
	ast.Inspect(n, func(x ast.Node) bool {
		switch x := x.(type) {
		case *ast.FuncLit:
			return false
		case *ast.UnaryExpr:
			if x.Op == token.ARROW {
				c.errorAt(x, "channel receive inside an expression: a Go channel receive would block the whole dispatcher (receive from a tasklet channel, ch := Channel[T](), in a statement of its own: v := <-ch)")
				c.suppress(c.f.offset(x.Pos()), c.f.end(x))
				return false
			}
		}
		return true
	})
}

// checkSelf reports self outside tasklets.
func (g *generator) checkSelf(f *srcFile, d ast.Decl) {
	ast.Inspect(d, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && id.Name == "self" {
			if name, ok := g.info.predeclared[g.info.object(f, id.Pos())]; ok && name == "self" {
				g.errorAtNode(f, id, "self outside a tasklet (self is the running tasklet; pass it as a Tasklet parameter)")
			}
		}
		return true
	})
}

// dropSuppressed adds the go/types errors to the diagnostics, except those
// that fall in a span a check reported better.
func (g *generator) dropSuppressed() {
	var out grammar.ErrorList
	for _, e := range g.typeErrs {
		drop := false
		for _, s := range g.suppressed {
			if e.Pos.Filename != s.f.name || e.Pos.Line == 0 {
				continue
			}
			if e.Pos.Line-1 >= len(s.f.lines) {
				continue
			}
			off := s.f.lines[e.Pos.Line-1] + e.Pos.Column - 1
			if off >= s.start && off < s.end {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, e)
		}
	}
	g.errs = append(g.errs, out...)
	g.typeErrs = nil
}

var _ = fmt.Sprint
