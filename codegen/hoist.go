package codegen

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"github.com/tskc-lang/tskc/grammar"
)

// Tasklet calls inside expressions (fmt.Println(Add(1, 2)), x := F(a) +
// G(b), if Ready(x) {, for Check() {) are lowered by hoisting: before the
// statement, each call runs as a suspension point of its own and leaves its
// result in a temporary, and the statement reads the temporaries. Go's
// order of evaluation is kept: the calls of an expression run left to
// right, so an ordinary call that Go evaluates before a tasklet call (a()
// in a() + F()) is hoisted into a temporary too, just before it; operands
// that are not calls (names, fields, index expressions) are read when the
// statement runs, after the calls, which the Go specification leaves
// open. The right operand of && and || runs only when the left one does
// not decide: a && F() becomes a conditional jump around F's call. A loop
// condition is re-evaluated, calls included, on every iteration.

// hoisted is the temporary (or two, for a (T, error) call spread over
// the arguments of a call) standing for a hoisted expression.
type hoisted struct {
	vars []*variable
}

// taskletCall returns the tasklet c calls inline, if c calls one: a call
// of a tasklet of the package, outside func literals.
func (l *lowerer) taskletCall(c *ast.CallExpr) *taskletInfo {
	tk, _ := l.g.taskletCallee(c)
	if tk == nil {
		return nil
	}
	obj := l.ti.object(l.f, c.Fun.Pos())
	if obj == nil || obj.Parent() != l.ti.pkg.Scope() {
		return nil
	}
	return tk
}

// hasTaskletCall reports whether n holds a tasklet call outside func
// literals that is not hoisted yet.
func (l *lowerer) hasTaskletCall(n ast.Node) bool {
	if n == nil || isNilNode(n) {
		return false
	}
	found := false
	ast.Inspect(n, func(x ast.Node) bool {
		if found {
			return false
		}
		switch x := x.(type) {
		case *ast.FuncLit:
			return false
		case ast.Expr:
			if l.hoist[x] != nil {
				return false
			}
			if c, ok := x.(*ast.CallExpr); ok && l.taskletCall(c) != nil {
				found = true
				return false
			}
		}
		return true
	})
	return found
}

// headExprs returns the expressions a statement evaluates when it starts,
// in Go's order, leaving out the tasklet call of the statement forms
// (x := F(args), F(args), return F(args)): its arguments are listed
// instead. Compound statements list only their own header (if and
// switch conditions, range operand); loop conditions are lowered apart.
func (l *lowerer) headExprs(s grammar.Stmt) []ast.Expr {
	switch s := s.(type) {
	case *grammar.SimpleStmt:
		if _, c := l.g.inlineCall(s.S); c != nil && l.taskletCall(c) != nil {
			var es []ast.Expr
			if a, ok := s.S.(*ast.AssignStmt); ok {
				for _, e := range a.Lhs {
					if _, ok := e.(*ast.Ident); !ok {
						es = append(es, e)
					}
				}
			}
			return append(es, c.Args...)
		}
		switch x := s.S.(type) {
		case *ast.ExprStmt:
			return []ast.Expr{x.X}
		case *ast.AssignStmt:
			var es []ast.Expr
			for _, e := range x.Lhs {
				if _, ok := e.(*ast.Ident); !ok {
					es = append(es, e)
				}
			}
			return append(es, x.Rhs...)
		case *ast.IncDecStmt:
			return []ast.Expr{x.X}
		case *ast.SendStmt:
			return []ast.Expr{x.Chan, x.Value}
		}
	case *grammar.DeclStmt:
		var es []ast.Expr
		for _, sp := range s.Decl.Specs {
			if vs, ok := sp.(*ast.ValueSpec); ok && s.Decl.Tok == token.VAR {
				es = append(es, vs.Values...)
			}
		}
		return es
	case *grammar.ReturnStmt:
		if len(s.Results) == 1 {
			if c, ok := s.Results[0].(*ast.CallExpr); ok && l.taskletCall(c) != nil {
				return c.Args
			}
		}
		return s.Results
	case *grammar.DeferStmt:
		return append([]ast.Expr{s.Call.Fun}, s.Call.Args...)
	case *grammar.IfStmt:
		return []ast.Expr{s.Cond}
	case *grammar.RangeStmt:
		return []ast.Expr{s.X}
	case *grammar.SwitchStmt:
		return nonNil(s.Tag)
	case *grammar.TypeSwitchStmt:
		return []ast.Expr{s.X}
	case *grammar.SleepStmt:
		return []ast.Expr{s.Duration}
	case *grammar.SpawnStmt:
		return append(nonNil(s.Arg), s.Call.Args...)
	case *grammar.SendStmt:
		return []ast.Expr{s.Target, s.Msg}
	case *grammar.CallStmt:
		return nonNil(s.Target, s.Msg, s.Timeout)
	case *grammar.ReplyStmt:
		return []ast.Expr{s.Value}
	case *grammar.ReceiveStmt:
		return nonNil(s.Timeout)
	case *grammar.ReceiveBatchStmt:
		return nonNil(s.N, s.Timeout)
	case *grammar.ReceiveSwitchStmt:
		var es []ast.Expr
		for _, c := range s.Cases {
			es = append(es, nonNil(c.After)...)
		}
		return es
	case *grammar.ChanSendStmt:
		return nonNil(s.Chan, s.Value, s.Timeout)
	case *grammar.ChanRecvStmt:
		return nonNil(s.Chan, s.Timeout)
	case *grammar.JoinStmt:
		return nonNil(s.X, s.Timeout)
	case *grammar.AwaitStmt:
		return nonNil(s.Op, s.Timeout)
	case *grammar.KillStmt:
		return []ast.Expr{s.X}
	case *grammar.DeadlineStmt:
		return []ast.Expr{s.Duration}
	case *grammar.QuitStmt:
		return nonNil(s.Code)
	case *grammar.SelectStmt:
		var es []ast.Expr
		for _, c := range s.Cases {
			es = append(es, nonNil(c.Chan, c.Value, c.After)...)
		}
		return es
	}
	return nil
}

// headCalls reports whether the head expressions of s hold tasklet calls.
func (l *lowerer) headCalls(s grammar.Stmt) bool {
	for _, e := range l.headExprs(s) {
		if l.hasTaskletCall(e) {
			return true
		}
	}
	return false
}

// hoistHead hoists the tasklet calls of the head expressions of s.
func (l *lowerer) hoistHead(s grammar.Stmt) {
	if l.headCalls(s) {
		l.hoistSeq(l.headExprs(s))
	}
}

// hoistSeq hoists the tasklet calls of operands Go evaluates left to
// right, and the ordinary calls of the operands before the last one that
// holds a tasklet call.
func (l *lowerer) hoistSeq(es []ast.Expr) {
	if len(es) == 1 {
		if c := l.spreadCall(es[0]); c != nil {
			// F(G(x)), var a, b = G(x): a (T, error) call that is the
			// whole list passes both results.
			l.hoistSeq(c.Args)
			l.hoistCall(c, true)
			return
		}
	}
	last := -1
	for i, e := range es {
		if l.hasTaskletCall(e) {
			last = i
		}
	}
	for i := 0; i <= last; i++ {
		if l.hasTaskletCall(es[i]) {
			l.hoistIn(es[i])
		} else {
			l.hoistOrdered(es[i])
		}
	}
}

// hoistIn hoists the tasklet calls of e, which holds at least one.
func (l *lowerer) hoistIn(e ast.Expr) {
	switch e := e.(type) {
	case *ast.ParenExpr:
		l.hoistIn(e.X)
	case *ast.CallExpr:
		if l.taskletCall(e) != nil {
			l.hoistSeq(e.Args)
			l.hoistCall(e, false)
			return
		}
		if len(e.Args) == 1 && l.spreadCall(e.Args[0]) != nil {
			// g(F(x)) of a (T, error) tasklet F: both results are g's
			// arguments.
			l.hoistOrdered(e.Fun)
			l.hoistSeq(e.Args)
			return
		}
		l.hoistSeq(append([]ast.Expr{e.Fun}, e.Args...))
	case *ast.BinaryExpr:
		if (e.Op == token.LAND || e.Op == token.LOR) && l.hasTaskletCall(e.Y) {
			l.hoistShortCircuit(e)
			return
		}
		l.hoistSeq([]ast.Expr{e.X, e.Y})
	case *ast.UnaryExpr:
		l.hoistIn(e.X)
	case *ast.StarExpr:
		l.hoistIn(e.X)
	case *ast.SelectorExpr:
		l.hoistIn(e.X)
	case *ast.IndexExpr:
		l.hoistSeq([]ast.Expr{e.X, e.Index})
	case *ast.IndexListExpr:
		l.hoistSeq(append([]ast.Expr{e.X}, e.Indices...))
	case *ast.SliceExpr:
		l.hoistSeq(nonNil(e.X, e.Low, e.High, e.Max))
	case *ast.TypeAssertExpr:
		l.hoistIn(e.X)
	case *ast.CompositeLit:
		l.hoistSeq(e.Elts)
	case *ast.KeyValueExpr:
		l.hoistSeq([]ast.Expr{e.Key, e.Value})
	}
}

// spreadCall returns e when it is a call of a (T, error) tasklet.
func (l *lowerer) spreadCall(e ast.Expr) *ast.CallExpr {
	c, ok := unparen(e).(*ast.CallExpr)
	if !ok || l.hoist[c] != nil {
		return nil
	}
	tk := l.taskletCall(c)
	if tk == nil {
		return nil
	}
	if value, hasErr, _ := l.calleeResults(tk); value != nil && hasErr {
		return c
	}
	return nil
}

func unparen(e ast.Expr) ast.Expr {
	for {
		p, ok := e.(*ast.ParenExpr)
		if !ok {
			return e
		}
		e = p.X
	}
}

// hoistOrdered hoists the calls of e that Go evaluates before a tasklet
// call after e: each outermost call that is not a conversion or constant,
// and each && or || holding a call (as a whole, so its right operand stays
// conditional). e holds no tasklet call.
func (l *lowerer) hoistOrdered(e ast.Expr) {
	if e == nil {
		return
	}
	var found []ast.Expr
	ast.Inspect(e, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.CallExpr:
			et, ok := l.ti.calls[l.f.keyOf(x.Lparen)]
			if !ok || et.conv || et.tv.Value != nil {
				return true
			}
			if _, tuple := et.tv.Type.(*types.Tuple); tuple || et.tv.Type == nil {
				return true
			}
			found = append(found, x)
			return false
		case *ast.BinaryExpr:
			if (x.Op == token.LAND || x.Op == token.LOR) && hasCall(x.Y) {
				found = append(found, x)
				return false
			}
		}
		return true
	})
	for _, x := range found {
		var typ types.Type
		switch x := x.(type) {
		case *ast.CallExpr:
			typ = l.ti.calls[l.f.keyOf(x.Lparen)].tv.Type
		case *ast.BinaryExpr:
			typ = l.binaryType(x)
		}
		v := l.synth("v", types.Default(typ), fmt.Sprintf("value of %s, evaluated before a tasklet call", l.describe(x)))
		v.decl = l.posOf(x.Pos())
		at := v.decl
		l.code(l.refs(x), []*variable{v}, func(w *fnWriter) {
			w.at(at)
			w.printf("%s = %s\n", l.vexpr(v), l.exprRaw(x))
		})
		l.hoist[x] = &hoisted{vars: []*variable{v}}
	}
}

// hasCall reports whether e holds a call outside func literals.
func hasCall(e ast.Expr) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		switch n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.CallExpr:
			found = true
		}
		return !found
	})
	return found
}

// binaryType is the type of a binary expression (bool when unknown).
func (l *lowerer) binaryType(x *ast.BinaryExpr) types.Type {
	if et, ok := l.ti.calls[l.f.keyOf(x.OpPos)]; ok && et.tv.Type != nil {
		return types.Default(et.tv.Type)
	}
	return types.Typ[types.Bool]
}

// describe names an expression in a comment: its source text, shortened.
func (l *lowerer) describe(e ast.Expr) string {
	s := strings.Join(strings.Fields(string(l.f.src[l.f.offset(e.Pos()):l.f.end(e)])), " ")
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	p := l.posOf(e.Pos())
	return fmt.Sprintf("%s (%s:%d:%d)", s, l.f.base, p.Line, p.Column)
}

// hoistCall lowers tasklet call c (its arguments hoisted already) into a
// suspension point whose result goes into temporaries; spread is set when
// a (T, error) call is the whole argument list of a call.
func (l *lowerer) hoistCall(c *ast.CallExpr, spread bool) {
	tk := l.taskletCall(c)
	name := tk.decl.Name.Name
	at := l.posOf(c.Pos())
	depth := l.depth
	l.suspend(at, "call of tasklet "+name, l.refs(exprNodes(c.Args)...), func() string {
		return fmt.Sprintf("%s.Enter(%s)", l.tname, l.callText(c))
	})
	value, hasErr, _ := l.calleeResults(tk)
	what := fmt.Sprintf("result of %s", l.describe(c))
	h := &hoisted{}
	var v, e *variable
	if value != nil {
		v = l.synth("r", value, what)
		v.decl = at
		h.vars = append(h.vars, v)
	}
	if hasErr && (value == nil || spread) {
		e = l.synth("err", types.Universe.Lookup("error").Type(), "error "+what)
		e.decl = at
		h.vars = append(h.vars, e)
	}
	l.code(nil, h.vars, func(w *fnWriter) {
		w.gen()
		t := l.tname
		if e == nil {
			l.failIfErr(w, depth)
		}
		if v != nil {
			w.printf("%s, _ = %s.Value().(%s)\n", l.vexpr(v), t, l.typeString(value))
		}
		if e != nil {
			w.printf("%s = %s.Err()\n", l.vexpr(e), t)
		}
	})
	l.hoist[c] = h
}

// callText renders a tasklet call with its arguments (whose tasklet calls
// are temporaries by now).
func (l *lowerer) callText(c *ast.CallExpr) string {
	var args []string
	for _, a := range c.Args {
		args = append(args, l.expr(a))
	}
	ell := ""
	if c.Ellipsis.IsValid() {
		ell = "..."
	}
	return l.expr(c.Fun) + "(" + strings.Join(args, ", ") + ell + ")"
}

// hoistShortCircuit lowers x && y (or x || y) whose y holds a tasklet
// call: y, calls included, runs only when x does not decide.
func (l *lowerer) hoistShortCircuit(e *ast.BinaryExpr) {
	b := l.synth("cond", l.binaryType(e), "value of "+l.describe(e))
	b.decl = l.posOf(e.Pos())
	if l.hasTaskletCall(e.X) {
		l.hoistIn(e.X)
	}
	skip := l.newLabel("skip")
	at := l.posOf(e.X.Pos())
	l.code(l.refs(e.X), []*variable{b}, func(w *fnWriter) {
		w.at(at)
		w.printf("%s = %s\n", l.vexpr(b), l.expr(e.X))
	})
	l.add(&item{uses: []*variable{b}, jumps: []string{skip}, code: func(w *fnWriter) {
		w.gen()
		if e.Op == token.LAND {
			w.printf("if !%s {\ngoto %s\n}\n", l.vexpr(b), skip)
		} else {
			w.printf("if %s {\ngoto %s\n}\n", l.vexpr(b), skip)
		}
	}})
	l.hoistIn(e.Y)
	aty := l.posOf(e.Y.Pos())
	l.code(l.refs(e.Y), []*variable{b}, func(w *fnWriter) {
		w.at(aty)
		w.printf("%s = %s\n", l.vexpr(b), l.expr(e.Y))
	})
	l.label(skip)
	l.hoist[e] = &hoisted{vars: []*variable{b}}
}

// exprRaw renders e itself, not the temporary it was hoisted into.
func (l *lowerer) exprRaw(e ast.Expr) string {
	l.raw = e
	defer func() { l.raw = nil }()
	return l.expr(e)
}

// hoistedText renders the temporaries standing for a hoisted expression.
func (l *lowerer) hoistedText(h *hoisted) string {
	var names []string
	for _, v := range h.vars {
		names = append(names, l.vexpr(v))
	}
	return strings.Join(names, ", ")
}

// iterYield returns the parameter types of the yield function of a
// function iterator type (func(yield func(K, V) bool)), and whether sig is
// one.
func iterYield(sig *types.Signature) ([]types.Type, bool) {
	if sig.Params().Len() != 1 || sig.Results().Len() != 0 {
		return nil, false
	}
	y, ok := sig.Params().At(0).Type().Underlying().(*types.Signature)
	if !ok || y.Results().Len() != 1 || y.Params().Len() > 2 {
		return nil, false
	}
	if b, ok := y.Results().At(0).Type().Underlying().(*types.Basic); !ok || b.Kind() != types.Bool {
		return nil, false
	}
	var ts []types.Type
	for i := 0; i < y.Params().Len(); i++ {
		ts = append(ts, y.Params().At(i).Type())
	}
	return ts, true
}

// rangeFunc lowers a range over a function iterator whose body suspends:
// iter.Pull (or Pull2) turns the iterator into next and stop functions
// kept in the frame. stop is also pushed on the frame's deferred calls,
// so that a return, a failure, a kill or a panic inside the body stops the
// iterator; leaving the loop normally (its end, break) calls stop at once
// and takes it off again.
func (l *lowerer) rangeFunc(s *grammar.RangeStmt, label string, xt types.Type, sig *types.Signature, top, cont, end string, assign func(w *fnWriter, e ast.Expr, val string)) bool {
	ts, ok := iterYield(sig)
	if !ok {
		return false
	}
	iterPkg := l.imp.add("iter", "iter")
	boolT := types.Typ[types.Bool]
	var res []*types.Var
	for _, t := range ts {
		res = append(res, types.NewParam(token.NoPos, nil, "", t))
	}
	if len(ts) == 0 {
		res = append(res, types.NewParam(token.NoPos, nil, "", types.NewStruct(nil, nil)))
	}
	res = append(res, types.NewParam(token.NoPos, nil, "", boolT))
	nextT := types.NewSignatureType(nil, nil, nil, nil, types.NewTuple(res...), false)
	stopT := types.NewSignatureType(nil, nil, nil, nil, nil, false)
	at := l.posOf(s.X.Pos())
	next := l.synth("next", nextT, fmt.Sprintf("next value of the iterator ranged at %s:%d:%d (iter.Pull)", l.f.base, at.Line, at.Column))
	stop := l.synth("stop", stopT, "stops that iterator")
	l.code(append(l.refs(s.X), next, stop), []*variable{next, stop}, func(w *fnWriter) {
		var seq string
		switch len(ts) {
		case 0:
			seq = fmt.Sprintf("func(seq %s) %s.Seq[struct{}] {\nreturn func(yield func(struct{}) bool) { seq(func() bool { return yield(struct{}{}) }) }\n}(%s)", l.typeString(xt), iterPkg, l.expr(s.X))
		case 1:
			seq = fmt.Sprintf("%s.Seq[%s](%s)", iterPkg, l.typeString(ts[0]), l.expr(s.X))
		case 2:
			seq = fmt.Sprintf("%s.Seq2[%s, %s](%s)", iterPkg, l.typeString(ts[0]), l.typeString(ts[1]), l.expr(s.X))
		}
		pull := "Pull"
		if len(ts) == 2 {
			pull = "Pull2"
		}
		w.at(s.Pos)
		w.printf("%s, %s = %s.%s(%s)\n", l.vexpr(next), l.vexpr(stop), iterPkg, pull, seq)
		w.gen()
		w.printf("%s.defers = append(%s.defers, %s) // a return, failure, kill or panic stops the iterator\n", l.fname, l.fname, l.vexpr(stop))
	})
	l.label(top)
	lhsVars := l.refs(nonNilNodes(s.Key, s.Value)...)
	l.add(&item{uses: []*variable{next}, defs: lhsVars, jumps: []string{end}, code: func(w *fnWriter) {
		w.gen()
		switch len(ts) {
		case 2:
			w.printf("{\nk, v, ok := %s()\n", l.vexpr(next))
		case 1:
			w.printf("{\nk, ok := %s()\n", l.vexpr(next))
		default:
			w.printf("{\n_, ok := %s()\n", l.vexpr(next))
		}
		w.printf("if !ok {\ngoto %s\n}\n", end)
		if len(ts) > 0 {
			if s.Key != nil && !isBlank(s.Key) {
				assign(w, s.Key, "k")
			} else {
				w.printf("_ = k\n")
			}
		}
		if len(ts) > 1 {
			if s.Value != nil && !isBlank(s.Value) {
				assign(w, s.Value, "v")
			} else {
				w.printf("_ = v\n")
			}
		}
		w.printf("}\n")
	}})
	// A defer in the body comes after stop on the list: stop then stays
	// there (calling it again is harmless).
	deferInBody := false
	inBody := map[string]bool{}
	walkStmt(s.Body, func(st grammar.Stmt) {
		switch st := st.(type) {
		case *grammar.DeferStmt:
			deferInBody = true
		case *grammar.LabeledStmt:
			inBody[st.Label.Name] = true
		}
	})
	l.ctx = append(l.ctx, &target{label: label, loop: true, flat: true, brk: end, cont: cont, depth: l.depth, stop: stop, keepDefer: deferInBody, inBody: inBody})
	l.loops++
	l.flatStmt(s.Body, "")
	l.loops--
	l.ctx = l.ctx[:len(l.ctx)-1]
	l.label(cont)
	l.jump(top)
	l.label(end)
	l.code([]*variable{stop}, []*variable{next, stop}, func(w *fnWriter) {
		w.gen()
		l.writeStop(w, stop, deferInBody)
		w.printf("%s = nil\n", l.vexpr(next))
	})
	return true
}

// writeStop writes the call of a function iterator's stop when its loop
// is left, and takes stop off the deferred calls unless keep is set.
func (l *lowerer) writeStop(w *fnWriter, stop *variable, keep bool) {
	w.printf("%s()\n", l.vexpr(stop))
	if !keep {
		w.printf("%s.defers = %s.defers[:len(%s.defers)-1]\n", l.fname, l.fname, l.fname)
	}
	w.printf("%s = nil\n", l.vexpr(stop))
}

func isBlank(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == "_"
}

// caseCalls reports whether a case expression of s holds a tasklet call.
func (l *lowerer) caseCalls(s *grammar.SwitchStmt) bool {
	for _, c := range s.Cases {
		for _, e := range c.List {
			if l.hasTaskletCall(e) {
				return true
			}
		}
	}
	return false
}

// switchChain lowers a switch whose case expressions call tasklets: Go
// evaluates them top to bottom, left to right, only until one matches, so
// each is hoisted and compared in turn (with the tag, kept in a temporary,
// or alone in a switch without tag); default is taken when none matched.
func (l *lowerer) switchChain(s *grammar.SwitchStmt, label string) {
	end := l.newLabel("endswitch")
	labels := make([]string, len(s.Cases))
	def := -1
	for i, c := range s.Cases {
		labels[i] = l.newLabel("case")
		if c.List == nil {
			def = i
		}
	}
	var tag *variable
	if s.Tag != nil {
		typ := l.ti.tags[l.f.keyOf(s.Tag.Pos())]
		if typ == nil {
			l.g.errorAtNode(l.f, s.Tag, "cannot lower this switch (unknown type of its tag)")
			return
		}
		tag = l.synth("tag", types.Default(typ), "value of the switch tag "+l.describe(s.Tag))
		tag.decl = l.posOf(s.Tag.Pos())
		l.code(l.refs(s.Tag), []*variable{tag}, func(w *fnWriter) {
			w.at(s.Pos)
			w.printf("%s = %s\n", l.vexpr(tag), l.expr(s.Tag))
		})
	}
	for i, c := range s.Cases {
		for _, e := range c.List {
			l.hoistSeq([]ast.Expr{e})
			uses := l.refs(e)
			if tag != nil {
				uses = append(uses, tag)
			}
			at, to := l.posOf(e.Pos()), labels[i]
			l.add(&item{uses: uses, jumps: []string{to}, code: func(w *fnWriter) {
				w.at(at)
				if tag != nil {
					w.printf("if %s == %s {\n", l.vexpr(tag), l.expr(e))
				} else {
					w.printf("if %s {\n", l.expr(e))
				}
				w.gen()
				w.printf("goto %s\n}\n", to)
			}})
		}
	}
	if def >= 0 {
		l.jump(labels[def])
	} else {
		l.jump(end)
	}
	l.flatCaseBodies(s, label, labels, end)
}
