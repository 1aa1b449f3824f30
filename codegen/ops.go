package codegen

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"github.com/tskc-lang/tskc/grammar"
)

// suspend adds a suspension point: it records the resume point, starts the
// operation with the expression start returns (true when it completed at
// once), and parks otherwise. A nil start is a yield: the frame returns
// Yielded and the dispatcher does the rest (see tskrt.Yielded). It returns
// the resume point's number.
func (l *lowerer) suspend(at grammar.Pos, what string, uses []*variable, start func() string) int {
	l.nres++
	k := l.nres
	label := l.fresh(fmt.Sprintf("resume%d", k))
	l.resumeInfo[k] = label
	it := &item{susp: k, uses: uses}
	it.code = func(w *fnWriter) {
		w.gen()
		w.printf("%s.PC = %d // resume point %d: %s at %s:%d:%d\n", l.tname, k, k, what, l.f.base, at.Line, at.Column)
		if start == nil {
			for _, v := range it.clears {
				w.printf("%s = %s // dead from here on\n", l.vexpr(v), l.zero(v.typ))
			}
			w.at(at)
			w.printf("return %s.Yielded\n", l.rt)
			return
		}
		w.at(at)
		w.printf("if !%s {\n", start())
		w.gen()
		for _, v := range it.clears {
			w.printf("%s = %s // dead from here on\n", l.vexpr(v), l.zero(v.typ))
		}
		w.printf("return %s.Suspended\n}\n", l.rt)
	}
	l.add(it)
	l.add(&item{label: label, resume: k})
	return k
}

// timeoutExpr renders an operation's timeout.
func (l *lowerer) timeoutExpr(e ast.Expr) string {
	if e == nil {
		return l.rt + ".NoTimeout"
	}
	return l.expr(e)
}

// writeFail writes the statement failing the tasklet with err.
func (l *lowerer) writeFail(w *fnWriter, err string, depth int) {
	for i := 0; i < depth; i++ {
		w.printf("%s.PopDeadline()\n", l.tname)
	}
	if l.hasDefer {
		w.printf("return %s.fail(%s, %s)\n", l.fname, l.tname, err)
	} else {
		w.printf("return %s.Fail(%s)\n", l.tname, err)
	}
}

// failIfErr writes the check that fails the tasklet with the error of the
// operation that just completed.
func (l *lowerer) failIfErr(w *fnWriter, depth int) {
	w.printf("if err := %s.Err(); err != nil {\n", l.tname)
	l.writeFail(w, "err", depth)
	w.printf("}\n")
}

// lhs renders the left-hand side expressions of a result.
func (l *lowerer) lhs(r grammar.Result) []string {
	var out []string
	for _, e := range r.Lhs {
		out = append(out, l.expr(e))
	}
	return out
}

// valueResult writes the assignment of an operation's value and error to
// the statement's left-hand side; commaOK asserts the value's type.
func (l *lowerer) valueResult(w *fnWriter, r grammar.Result, value string, commaOK bool, depth int) {
	lhs := l.lhs(r)
	switch len(lhs) {
	case 0:
		l.failIfErr(w, depth)
	case 1:
		l.failIfErr(w, depth)
		if lhs[0] == "_" {
			return
		}
		if commaOK {
			w.printf("%s, _ = %s\n", lhs[0], value)
		} else {
			w.printf("%s = %s\n", lhs[0], value)
		}
	default:
		if commaOK {
			if lhs[0] != "_" {
				w.printf("%s, _ = %s\n", lhs[0], value)
			}
			w.printf("%s = %s.Err()\n", lhs[1], l.tname)
		} else {
			w.printf("%s, %s = %s, %s.Err()\n", lhs[0], lhs[1], value, l.tname)
		}
	}
}

// errResult writes the handling of an operation that has only an error.
func (l *lowerer) errResult(w *fnWriter, r grammar.Result, depth int) {
	if len(r.Lhs) == 0 {
		l.failIfErr(w, depth)
		return
	}
	w.printf("%s = %s.Err()\n", l.expr(r.Lhs[0]), l.tname)
}

// after adds the code run after a suspension point resumed.
func (l *lowerer) after(r grammar.Result, fn func(w *fnWriter)) {
	defs, uses := l.resultDefs(r)
	l.code(uses, defs, func(w *fnWriter) {
		w.gen()
		if r.Tok == token.DEFINE {
			l.newCells(w, defs...)
		}
		fn(w)
	})
}

// message renders the message of a send or call, or the value of a reply: the argument of
// type any it is passed as. A number of a scalar type that is not a constant is boxed by the
// runtime's Box, which keeps it in a cell of a block allocated ahead, instead of by Go, which
// allocates 8 bytes for each (a constant is boxed statically, a byte without allocating).
func (l *lowerer) message(e ast.Expr) string {
	x := l.expr(e)
	if tv, ok := l.ti.msgs[l.f.keyOf(e.Pos())]; ok && tv.Value == nil && boxable(tv.Type) {
		return fmt.Sprintf("%s.Box(%s, %s)", l.imp.rtName, l.tname, x)
	}
	return x
}

// boxable reports whether tskrt.Box takes values of type t (tskrt.Scalar).
func boxable(t types.Type) bool {
	b, ok := t.Underlying().(*types.Basic)
	if !ok {
		return false
	}
	switch b.Kind() {
	case types.Int, types.Int16, types.Int32, types.Int64, types.Uint, types.Uint16,
		types.Uint32, types.Uint64, types.Uintptr, types.Float32, types.Float64:
		return true
	}
	return false
}

// op lowers a simple suspension point.
func (l *lowerer) op(s grammar.Stmt) {
	t := l.tname
	depth := l.depth
	switch s := s.(type) {
	case *grammar.YieldStmt:
		l.suspend(s.Pos, "yield", nil, nil)
		l.after(s.Result, func(w *fnWriter) { l.errResult(w, s.Result, depth) })
	case *grammar.SleepStmt:
		l.suspend(s.Pos, "sleep", l.refs(s.Duration), func() string {
			return fmt.Sprintf("%s.Sleep(%s)", t, l.expr(s.Duration))
		})
		l.after(s.Result, func(w *fnWriter) { l.errResult(w, s.Result, depth) })
	case *grammar.SendStmt:
		l.suspend(s.Pos, "send", l.refs(s.Target, s.Msg), func() string {
			return fmt.Sprintf("%s.Send(%s, %s)", t, l.expr(s.Target), l.message(s.Msg))
		})
	case *grammar.CallStmt:
		value, commaOK := t+".Value()", false
		if ts := l.ti.stub(l.f, s.Pos, "tskCall"+arity(s.Result)); len(ts) == 2 {
			value, commaOK = fmt.Sprintf("%s.Value().(%s)", t, l.typeString(ts[0])), true
		}
		l.suspend(s.Pos, "call", l.refs(s.Target, s.Msg, s.Timeout), func() string {
			return fmt.Sprintf("%s.Call(%s, %s, %s)", t, l.expr(s.Target), l.message(s.Msg), l.timeoutExpr(s.Timeout))
		})
		l.after(s.Result, func(w *fnWriter) { l.valueResult(w, s.Result, value, commaOK, depth) })
	case *grammar.ReplyStmt:
		rv := l.replyVar(l.bindVar(s.Msg))
		uses := l.refs(s.Value)
		if rv != nil {
			uses = append(uses, rv)
		}
		l.suspend(s.Pos, "reply", uses, func() string {
			return fmt.Sprintf("%s.Reply(%s, %s)", t, l.vexpr(rv), l.message(s.Value))
		})
	case *grammar.ReceiveStmt:
		l.suspend(s.Pos, "receive", l.refs(s.Timeout), func() string {
			return fmt.Sprintf("%s.Receive(nil, %s)", t, l.timeoutExpr(s.Timeout))
		})
		bind := l.resultBind(s.Result)
		l.after(s.Result, func(w *fnWriter) {
			l.valueResult(w, s.Result, t+".Value()", false, depth)
			if bind != nil {
				w.printf("%s = %s.ReplyTo()\n", l.vexpr(bind), t)
			}
		})
	case *grammar.ReceiveBatchStmt:
		l.suspend(s.Pos, "receive batch", l.refs(s.N, s.Timeout), func() string {
			return fmt.Sprintf("%s.ReceiveBatch(%s, %s)", t, l.expr(s.N), l.timeoutExpr(s.Timeout))
		})
		l.after(s.Result, func(w *fnWriter) { l.valueResult(w, s.Result, t+".Value().([]any)", true, depth) })
	case *grammar.ChanSendStmt:
		l.suspend(s.Pos, "channel send", l.refs(s.Chan, s.Value, s.Timeout), func() string {
			return fmt.Sprintf("%s.Send(%s, %s, %s)", l.expr(s.Chan), t, l.expr(s.Value), l.timeoutExpr(s.Timeout))
		})
		l.after(s.Result, func(w *fnWriter) { l.errResult(w, s.Result, depth) })
	case *grammar.ChanRecvStmt:
		var dst *variable
		if ts := l.ti.stub(l.f, s.Pos, "tskChanRecv"+arity(s.Result)); len(ts) == 1 {
			dst = l.scratchVar("recv", ts[0], "channel receive buffer")
		} else {
			l.g.errorf(l.f, s.Pos, "cannot type this channel receive")
			return
		}
		l.suspend(s.Pos, "channel receive", l.refs(s.Chan, s.Timeout), func() string {
			return fmt.Sprintf("%s.Recv(%s, &%s, %s)", l.expr(s.Chan), t, l.vexpr(dst), l.timeoutExpr(s.Timeout))
		})
		defs, uses := l.resultDefs(s.Result)
		l.code(append(uses, dst), append(defs, dst), func(w *fnWriter) {
			w.gen()
			if s.Result.Tok == token.DEFINE {
				l.newCells(w, defs...)
			}
			l.valueResult(w, s.Result, l.vexpr(dst), false, depth)
			w.printf("%s = %s\n", l.vexpr(dst), l.zero(dst.typ))
		})
	case *grammar.JoinStmt:
		var start func() string
		what, value, commaOK := "join", t+".Value()", false
		switch s.Kind {
		case grammar.JoinOne:
			start = func() string {
				return fmt.Sprintf("%s.Join(%s, %s)", t, l.expr(s.X), l.timeoutExpr(s.Timeout))
			}
		case grammar.JoinAll:
			what, value, commaOK = "join all", t+".Value().([]any)", true
			start = func() string {
				return fmt.Sprintf("%s.JoinAll(%s, %s)", t, l.expr(s.X), l.timeoutExpr(s.Timeout))
			}
		case grammar.JoinChildren:
			what, value, commaOK = "join children", t+".Value().([]any)", true
			start = func() string {
				return fmt.Sprintf("%s.JoinAll(%s.Children(), %s)", t, t, l.timeoutExpr(s.Timeout))
			}
		}
		l.suspend(s.Pos, what, l.refs(s.X, s.Timeout), start)
		l.after(s.Result, func(w *fnWriter) { l.valueResult(w, s.Result, value, commaOK, depth) })
	case *grammar.AwaitStmt:
		ts := l.ti.stub(l.f, s.Pos, "tskAwait"+arity(s.Result))
		if len(ts) != 1 {
			l.g.errorf(l.f, s.Pos, "cannot type this await (expected an operation of type tskrt.Op[T])")
			return
		}
		opType := l.opType(ts[0])
		var op *variable
		result := func() string { return fmt.Sprintf("%s.Result(%s)", l.vexpr(op), t) }
		if l.shareOps {
			// One field of type any holds the operation of every await
			// (each lives only across its own suspension point); it is
			// started through a typed local and asserted back for its
			// result.
			op = l.scratchVar("op", types.Universe.Lookup("any").Type(), "the awaited operation (of any await: each lives only across its own suspension point)")
			started := l.synth("op", opType, "the operation being started")
			l.code(l.refs(s.Op), []*variable{started, op}, func(w *fnWriter) {
				w.at(s.Pos)
				w.printf("%s = %s\n", l.vexpr(started), l.expr(s.Op))
				w.printf("%s = %s\n", l.vexpr(op), l.vexpr(started))
			})
			l.suspend(s.Pos, "await", append(l.refs(s.Timeout), started), func() string {
				return fmt.Sprintf("%s.Start(%s, %s)", l.vexpr(started), t, l.timeoutExpr(s.Timeout))
			})
			result = func() string {
				return fmt.Sprintf("%s.(%s).Result(%s)", l.vexpr(op), l.typeString(opType), t)
			}
		} else {
			op = l.scratchVar("op", opType, "the awaited operation")
			l.code(append(l.refs(s.Op), op), []*variable{op}, func(w *fnWriter) {
				w.at(s.Pos)
				w.printf("%s = %s\n", l.vexpr(op), l.expr(s.Op))
			})
			l.suspend(s.Pos, "await", append(l.refs(s.Timeout), op), func() string {
				return fmt.Sprintf("%s.Start(%s, %s)", l.vexpr(op), t, l.timeoutExpr(s.Timeout))
			})
		}
		defs, uses := l.resultDefs(s.Result)
		l.code(append(uses, op), append(defs, op), func(w *fnWriter) {
			w.gen()
			if s.Result.Tok == token.DEFINE {
				l.newCells(w, defs...)
			}
			lhs := l.lhs(s.Result)
			res := result()
			tv, terr := l.fresh("v"), l.fresh("err")
			switch len(lhs) {
			case 0:
				w.printf("if _, %s := %s; %s != nil {\n", terr, res, terr)
				w.printf("%s = nil\n", l.vexpr(op))
				l.writeFail(w, terr, depth)
				w.printf("}\n")
			case 1:
				w.printf("if %s, %s := %s; %s != nil {\n", tv, terr, res, terr)
				w.printf("%s = nil\n", l.vexpr(op))
				l.writeFail(w, terr, depth)
				if lhs[0] != "_" {
					w.printf("} else {\n%s = %s\n}\n", lhs[0], tv)
				} else {
					w.printf("}\n")
				}
			default:
				w.printf("%s, %s = %s\n", lhs[0], lhs[1], res)
			}
			w.printf("%s = nil\n", l.vexpr(op))
		})
	case *grammar.KillStmt:
		l.suspend(s.Pos, "kill", l.refs(s.X), func() string {
			return fmt.Sprintf("%s.KillWait(%s)", t, l.expr(s.X))
		})
		l.code(nil, nil, func(w *fnWriter) { w.gen(); l.failIfErr(w, depth) })
	default:
		panic(fmt.Sprintf("codegen: op %T", s))
	}
}

// opType is the frame field type holding an awaited operation of T.
func (l *lowerer) opType(t types.Type) types.Type {
	if rt := l.ti.imports[runtimePath]; rt != nil {
		if obj, ok := rt.Scope().Lookup("Op").(*types.TypeName); ok {
			if inst, err := types.Instantiate(nil, obj.Type(), []types.Type{t}, false); err == nil {
				return inst
			}
		}
	}
	return types.NewInterfaceType(nil, nil)
}

// runtimeType is a named type of the runtime package.
func (l *lowerer) runtimeType(name string) types.Type {
	if rt := l.ti.imports[runtimePath]; rt != nil {
		if obj, ok := rt.Scope().Lookup(name).(*types.TypeName); ok {
			return obj.Type()
		}
	}
	return types.Typ[types.Invalid]
}

// scratchVar returns a frame field that holds values of typ while the
// tasklet is suspended (a channel receive buffer, an awaited operation).
func (l *lowerer) scratchVar(base string, typ types.Type, what string) *variable {
	k := base + ":" + types.TypeString(typ, nil)
	if v, ok := l.scratch[k]; ok {
		return v
	}
	name := base
	if i := strings.IndexByte(base, '#'); i >= 0 {
		name = base[:i]
	}
	v := l.synth(name, typ, what)
	v.forced = true
	l.scratch[k] = v
	return v
}

// replyVar returns the variable holding the reply handle of the message
// bound to v.
func (l *lowerer) replyVar(v *variable) *variable {
	if v == nil {
		return nil
	}
	if l.replies == nil {
		l.replies = map[*variable]*variable{}
	}
	if r, ok := l.replies[v]; ok {
		return r
	}
	r := l.synth(strings.TrimSuffix(v.name, "_")+"Reply", l.runtimeType("ReplyTo"), "reply handle of "+v.name)
	l.replies[v] = r
	return r
}

// resultBind returns the reply variable of a `m := receive` binding that a
// reply uses.
func (l *lowerer) resultBind(r grammar.Result) *variable {
	if len(r.Lhs) == 0 {
		return nil
	}
	v := l.varOf(r.Lhs[0])
	if v == nil || !l.replied[v] {
		return nil
	}
	return l.replyVar(v)
}

// ---- receive and select ----------------------------------------------------

// matchFunc adds the package-level match function of a receive statement.
func (l *lowerer) matchFunc(s *grammar.ReceiveSwitchStmt) string {
	name := l.g.pkgName_(l, "match"+l.decl.Name.Name)
	var b strings.Builder
	fmt.Fprintf(&b, "// %s picks the case of the receive at %s:%d:%d that m matches, or -1.\n", name, l.f.base, s.Pos.Line, s.Pos.Column)
	fmt.Fprintf(&b, "func %s(m any) int {\n", name)
	idx, def := 0, -1
	var cases []string
	for _, c := range s.Cases {
		switch c.Kind {
		case grammar.ReceiveType:
			cases = append(cases, fmt.Sprintf("case %s:\nreturn %d\n", l.typeExpr(c.Type), idx))
			idx++
		case grammar.ReceiveDefault:
			def = idx
			idx++
		}
	}
	if len(cases) > 0 {
		fmt.Fprintf(&b, "switch m.(type) {\n%s}\n", strings.Join(cases, ""))
	} else {
		b.WriteString("_ = m\n")
	}
	fmt.Fprintf(&b, "return %d\n}\n", def)
	l.mains = append(l.mains, b.String())
	return name
}

// typeExpr renders a type expression written in the .tsk source.
func (l *lowerer) typeExpr(e ast.Expr) string { return l.expr(e) }

func (l *lowerer) receiveSwitch(s *grammar.ReceiveSwitchStmt, label string) {
	t := l.tname
	depth := l.depth
	match := l.matchFunc(s)
	var after *grammar.ReceiveCase
	for _, c := range s.Cases {
		if c.Kind == grammar.ReceiveAfter {
			after = c
		}
	}
	var uses []*variable
	if after != nil {
		uses = l.refs(after.After)
	}
	timeout := func() string {
		if after != nil {
			return l.expr(after.After)
		}
		return l.rt + ".NoTimeout"
	}
	l.suspend(s.Pos, "receive", uses, func() string {
		return fmt.Sprintf("%s.Receive(%s, %s)", t, match, timeout())
	})
	flat := false
	for _, c := range s.Cases {
		if l.anySuspends(c.Body) {
			flat = true
		}
	}
	// Case indexes as the match function returns them.
	index := map[*grammar.ReceiveCase]int{}
	n := 0
	for _, c := range s.Cases {
		if c.Kind != grammar.ReceiveAfter {
			index[c] = n
			n++
		}
	}
	binding := func(w *fnWriter, c *grammar.ReceiveCase, define bool) {
		if c.Bind == nil {
			return
		}
		v := l.bindVar(c.Bind)
		if v == nil {
			return
		}
		op := "="
		if define {
			op = ":="
		}
		if v.used {
			if !define {
				l.newCells(w, v)
			}
			w.printf("%s %s %s.Value().(%s)\n", l.vexpr(v), op, t, l.typeExpr(c.Type))
		}
		if l.replied[v] {
			w.printf("%s %s %s.ReplyTo()\n", l.vexpr(l.replyVar(v)), op, t)
		}
	}
	timeoutCase := func(w *fnWriter) {
		if after != nil {
			w.printf("if %s.DeadlineExpired() || !errors.Is(%s.Err(), %s.ErrTimeout) {\n", t, t, l.rt)
			l.imp.add("errors", "errors")
			l.writeFail(w, t+".Err()", depth)
			w.printf("}\n")
		} else {
			l.writeFail(w, t+".Err()", depth)
		}
	}
	if !flat {
		// Every case body is straight-line code: one structured switch.
		ctx := append([]*target(nil), l.ctx...)
		ctx = append(ctx, &target{label: label, depth: depth})
		it := &item{uses: l.stmtRefsList(s)}
		write := func(w *fnWriter) {
			w.gen()
			w.printf("switch %s.Case() {\n", t)
			for _, c := range s.Cases {
				if c.Kind == grammar.ReceiveAfter {
					continue
				}
				w.printf("case %d:\n", index[c])
				binding(w, c, true)
				l.structuredList(w, c.Body, ctx, depth)
			}
			w.printf("default:\n")
			timeoutCase(w)
			if after != nil {
				l.structuredList(w, after.Body, ctx, depth)
			}
			w.printf("}\n")
		}
		dry := &fnWriter{l: l, dry: true}
		write(dry)
		it.jumps = dry.jumps
		it.code = write
		it.term = true
		for _, c := range s.Cases {
			if !l.terminatesList(c.Body) {
				it.term = false
			}
		}
		l.add(it)
		return
	}
	end := l.newLabel("endreceive")
	labels := map[*grammar.ReceiveCase]string{}
	var defs, jumps []*variable
	_ = jumps
	var targets []string
	for _, c := range s.Cases {
		labels[c] = l.newLabel("case")
		targets = append(targets, labels[c])
		if c.Bind != nil {
			if v := l.bindVar(c.Bind); v != nil {
				if v.used {
					v.flat = true
					l.maybeBox(v)
					defs = append(defs, v)
				}
				if l.replied[v] {
					defs = append(defs, l.replyVar(v))
				}
			}
		}
	}
	l.add(&item{defs: defs, jumps: targets, term: true, code: func(w *fnWriter) {
		w.gen()
		w.printf("switch %s.Case() {\n", t)
		for _, c := range s.Cases {
			if c.Kind == grammar.ReceiveAfter {
				continue
			}
			w.printf("case %d:\n", index[c])
			binding(w, c, false)
			w.printf("goto %s\n", labels[c])
		}
		w.printf("}\n")
		timeoutCase(w)
		if after != nil {
			w.printf("goto %s\n", labels[after])
		}
	}})
	l.ctx = append(l.ctx, &target{label: label, brk: end, flat: true, depth: depth})
	for _, c := range s.Cases {
		l.label(labels[c])
		l.flatList(c.Body)
		l.jump(end)
	}
	l.ctx = l.ctx[:len(l.ctx)-1]
	l.label(end)
}

// stmtRefsList returns the locals a receive or select statement's case
// bodies and heads mention.
func (l *lowerer) stmtRefsList(s grammar.Stmt) []*variable { return l.stmtRefs(s) }

func (l *lowerer) selectStmt(s *grammar.SelectStmt, label string) {
	t := l.tname
	depth := l.depth
	var after, def *grammar.SelectCase
	index := map[*grammar.SelectCase]int{}
	dsts := map[*grammar.SelectCase]*variable{}
	matches := map[*grammar.SelectCase]string{}
	n := 0
	var uses []*variable
	for _, c := range s.Cases {
		switch c.Kind {
		case grammar.SelectAfter:
			after = c
			uses = append(uses, l.refs(c.After)...)
			continue
		case grammar.SelectDefault:
			def = c
			continue
		case grammar.SelectRecv:
			ts := l.ti.stub(l.f, c.Pos, "tskChanRecv"+arity(c.Result))
			if len(ts) != 1 {
				l.g.errorf(l.f, c.Pos, "cannot type this select case")
				return
			}
			dsts[c] = l.scratchVar(fmt.Sprintf("recv#%d", n), ts[0], "select receive buffer")
			uses = append(uses, l.refs(c.Chan)...)
		case grammar.SelectSend:
			uses = append(uses, l.refs(c.Chan, c.Value)...)
		case grammar.SelectReceive:
			name := l.g.pkgName_(l, "match"+l.decl.Name.Name)
			matches[c] = name
			fn := fmt.Sprintf("// %s reports whether m matches the select case at %s:%d:%d.\nfunc %s(m any) bool {\n_, ok := m.(%s)\nreturn ok\n}\n",
				name, l.f.base, c.Pos.Line, c.Pos.Column, name, l.typeExpr(c.Type))
			l.mains = append(l.mains, fn)
		}
		index[c] = n
		n++
	}
	for _, v := range dsts {
		uses = append(uses, v)
	}
	l.suspend(s.Pos, "select", uses, func() string {
		var cs []string
		for _, c := range s.Cases {
			switch c.Kind {
			case grammar.SelectRecv:
				cs = append(cs, fmt.Sprintf("%s.RecvCase(&%s)", l.expr(c.Chan), l.vexpr(dsts[c])))
			case grammar.SelectSend:
				cs = append(cs, fmt.Sprintf("%s.SendCase(%s)", l.expr(c.Chan), l.expr(c.Value)))
			case grammar.SelectReceive:
				cs = append(cs, fmt.Sprintf("%s.ReceiveCase(%s)", l.rt, matches[c]))
			}
		}
		timeout := l.rt + ".NoTimeout"
		if after != nil {
			timeout = l.expr(after.After)
		} else if def != nil {
			timeout = "0"
		}
		return fmt.Sprintf("%s.Select([]%s.SelectCase{%s}, %s)", t, l.rt, strings.Join(cs, ", "), timeout)
	})
	end := l.newLabel("endselect")
	labels := map[*grammar.SelectCase]string{}
	var targets []string
	var defs []*variable
	flat := false
	for _, c := range s.Cases {
		if l.anySuspends(c.Body) {
			flat = true
		}
	}
	for _, c := range s.Cases {
		if flat {
			labels[c] = l.newLabel("case")
			targets = append(targets, labels[c])
		}
		if c.Kind == grammar.SelectRecv || c.Kind == grammar.SelectReceive {
			for _, e := range c.Result.Lhs {
				if v := l.varOf(e); v != nil {
					if flat || c.Result.Tok == token.ASSIGN {
						if c.Result.Tok == token.DEFINE {
							v.flat = true
							l.maybeBox(v)
						}
						defs = append(defs, v)
						if l.replied[v] {
							defs = append(defs, l.replyVar(v))
						}
					}
				}
			}
		}
	}
	for _, v := range dsts {
		defs = append(defs, v)
	}
	head := func(w *fnWriter, c *grammar.SelectCase, define bool) {
		op := "="
		if define && c.Result.Tok == token.DEFINE {
			op = ":="
		}
		if !define && c.Result.Tok == token.DEFINE {
			for _, e := range c.Result.Lhs {
				l.newCells(w, l.varOf(e))
			}
		}
		switch c.Kind {
		case grammar.SelectRecv:
			dst := l.vexpr(dsts[c])
			lhs := l.lhs(c.Result)
			used := func(i int) bool {
				if i >= len(lhs) || lhs[i] == "_" {
					return false
				}
				if v := l.varOf(c.Result.Lhs[i]); v != nil && !v.used && c.Result.Tok == token.DEFINE {
					return false
				}
				return true
			}
			switch {
			case len(lhs) < 2:
				l.failIfErr(w, depth)
				if used(0) {
					w.printf("%s %s %s\n", lhs[0], op, dst)
				}
			case used(0) && used(1):
				w.printf("%s, %s %s %s, %s.Err()\n", lhs[0], lhs[1], op, dst, t)
			case used(0):
				w.printf("%s %s %s\n", lhs[0], op, dst)
			case used(1):
				w.printf("%s %s %s.Err()\n", lhs[1], op, t)
			}
			w.printf("%s = %s\n", dst, l.zero(dsts[c].typ))
		case grammar.SelectSend:
			l.failIfErr(w, depth)
		case grammar.SelectReceive:
			if len(c.Result.Lhs) == 1 {
				v := l.varOf(c.Result.Lhs[0])
				if v == nil || v.used || c.Result.Tok == token.ASSIGN {
					w.printf("%s %s %s.Value().(%s)\n", l.expr(c.Result.Lhs[0]), op, t, l.typeExpr(c.Type))
				}
				if v != nil && l.replied[v] {
					w.printf("%s %s %s.ReplyTo()\n", l.vexpr(l.replyVar(v)), op, t)
				}
			}
		}
	}
	timeoutCase := func(w *fnWriter) {
		if after != nil || def != nil {
			w.printf("if %s.DeadlineExpired() || !errors.Is(%s.Err(), %s.ErrTimeout) {\n", t, t, l.rt)
			l.imp.add("errors", "errors")
			l.writeFail(w, t+".Err()", depth)
			w.printf("}\n")
		} else {
			l.writeFail(w, t+".Err()", depth)
		}
	}
	other := after
	if other == nil {
		other = def
	}
	if !flat {
		ctx := append([]*target(nil), l.ctx...)
		ctx = append(ctx, &target{label: label, depth: depth})
		it := &item{uses: l.stmtRefs(s), defs: defs}
		write := func(w *fnWriter) {
			w.gen()
			w.printf("switch %s.Case() {\n", t)
			for _, c := range s.Cases {
				if c == after || c == def {
					continue
				}
				w.printf("case %d:\n", index[c])
				head(w, c, true)
				l.structuredList(w, c.Body, ctx, depth)
			}
			w.printf("default:\n")
			timeoutCase(w)
			if other != nil {
				l.structuredList(w, other.Body, ctx, depth)
			}
			w.printf("}\n")
		}
		dry := &fnWriter{l: l, dry: true}
		write(dry)
		it.jumps = dry.jumps
		it.code = write
		it.term = true
		for _, c := range s.Cases {
			if !l.terminatesList(c.Body) {
				it.term = false
			}
		}
		l.add(it)
		return
	}
	l.add(&item{defs: defs, jumps: targets, term: true, code: func(w *fnWriter) {
		w.gen()
		w.printf("switch %s.Case() {\n", t)
		for _, c := range s.Cases {
			if c == after || c == def {
				continue
			}
			w.printf("case %d:\n", index[c])
			head(w, c, false)
			w.printf("goto %s\n", labels[c])
		}
		w.printf("}\n")
		timeoutCase(w) // returns unless there is an after or default case
		if other != nil {
			w.printf("goto %s\n", labels[other])
		}
	}})
	l.ctx = append(l.ctx, &target{label: label, brk: end, flat: true, depth: depth})
	for _, c := range s.Cases {
		l.label(labels[c])
		l.flatList(c.Body)
		l.jump(end)
	}
	l.ctx = l.ctx[:len(l.ctx)-1]
	l.label(end)
}

// ---- inline tasklet calls and returns ---------------------------------------

// calleeResults describes the results of a tasklet: the value type (nil
// when none) and whether an error comes last.
func (l *lowerer) calleeResults(tk *taskletInfo) (value types.Type, hasErr bool, n int) {
	obj := l.ti.pkg.Scope().Lookup(bodyPrefix + tk.decl.Name.Name)
	if obj == nil {
		return nil, false, 0
	}
	sig := obj.Type().(*types.Signature)
	res := sig.Results()
	n = res.Len()
	for i := 0; i < res.Len(); i++ {
		t := res.At(i).Type()
		if i == res.Len()-1 && types.Identical(t, types.Universe.Lookup("error").Type()) {
			hasErr = true
			continue
		}
		value = t
	}
	return
}

func (l *lowerer) inlineCallStmt(s *grammar.SimpleStmt) {
	tk, c := l.g.inlineCall(s.S)
	depth := l.depth
	l.suspend(s.Pos, "call of tasklet "+tk.decl.Name.Name, l.refs(c), func() string {
		return fmt.Sprintf("%s.Enter(%s)", l.tname, l.expr(c))
	})
	var r grammar.Result
	if a, ok := s.S.(*ast.AssignStmt); ok {
		r = grammar.Result{Lhs: a.Lhs, Tok: a.Tok}
	}
	value, hasErr, _ := l.calleeResults(tk)
	l.after(r, func(w *fnWriter) {
		lhs := l.lhs(r)
		t := l.tname
		switch {
		case value != nil && hasErr && len(lhs) == 2:
			if lhs[0] != "_" {
				w.printf("%s, _ = %s.Value().(%s)\n", lhs[0], t, l.typeString(value))
			}
			w.printf("%s = %s.Err()\n", lhs[1], t)
		case value == nil && hasErr && len(lhs) == 1:
			w.printf("%s = %s.Err()\n", lhs[0], t)
		default:
			l.failIfErr(w, depth)
			if value != nil && len(lhs) == 1 && lhs[0] != "_" {
				w.printf("%s, _ = %s.Value().(%s)\n", lhs[0], t, l.typeString(value))
			}
		}
	})
}

// returnCall lowers `return F(args)` of a tasklet F.
func (l *lowerer) returnCall(s *grammar.ReturnStmt) {
	tk, c := l.g.taskletCallee(s.Results[0])
	l.suspend(s.Pos, "call of tasklet "+tk.decl.Name.Name, l.refs(c), func() string {
		return fmt.Sprintf("%s.Enter(%s)", l.tname, l.expr(c))
	})
	value, hasErr, _ := l.calleeResults(tk)
	depth := l.depth
	l.add(&item{term: true, code: func(w *fnWriter) {
		w.gen()
		t := l.tname
		var vals []string
		if value != nil {
			w.printf("v, _ := %s.Value().(%s)\n", t, l.typeString(value))
			vals = append(vals, "v")
		}
		if hasErr {
			vals = append(vals, t+".Err()")
		} else {
			l.failIfErr(w, depth)
		}
		l.writeReturnValues(w, vals, depth)
	}})
}

// writeReturn writes a return statement with the given result expressions.
func (l *lowerer) writeReturn(w *fnWriter, results []ast.Expr, at grammar.Pos) {
	l.writeReturnDepth(w, results, l.depth)
}

func (l *lowerer) writeReturnDepth(w *fnWriter, results []ast.Expr, depth int) {
	var vals []string
	for _, e := range results {
		vals = append(vals, l.expr(e))
	}
	if len(results) == 1 && l.nresults > 1 {
		// return g() of a multi-value g
		var tmps []string
		for i := 0; i < l.nresults; i++ {
			tmps = append(tmps, fmt.Sprintf("r%d", i))
		}
		w.printf("{\n%s := %s\n", strings.Join(tmps, ", "), vals[0])
		l.writeReturnValues(w, tmps, depth)
		w.printf("}\n")
		return
	}
	l.writeReturnValues(w, vals, depth)
}

// writeReturnValues writes the return of already rendered values (or of
// the named results when vals is empty).
func (l *lowerer) writeReturnValues(w *fnWriter, vals []string, depth int) {
	for i := 0; i < depth; i++ {
		w.printf("%s.PopDeadline()\n", l.tname)
	}
	t, f := l.tname, l.fname
	if len(l.results) > 0 {
		if len(vals) == len(l.results) {
			// Assign the named results, leaving out x = x.
			var names, vs []string
			for i, v := range l.results {
				if n := l.vexpr(v); n != vals[i] {
					names = append(names, n)
					vs = append(vs, vals[i])
				}
			}
			if len(names) > 0 {
				w.printf("%s = %s\n", strings.Join(names, ", "), strings.Join(vs, ", "))
			}
		} else if len(vals) > 0 {
			var names []string
			for _, v := range l.results {
				names = append(names, l.vexpr(v))
			}
			w.printf("%s = %s\n", strings.Join(names, ", "), strings.Join(vals, ", "))
		}
		w.printf("return %s.ret(%s)\n", f, t)
		return
	}
	switch {
	case len(vals) == 0 && l.nresults > 0:
		// The end of a body with results, which Go's rules make unreachable.
		w.printf("panic(%q)\n", "tskc: unreachable end of tasklet "+l.decl.Name.Name)
	case l.usesRet():
		w.printf("return %s.ret(%s)\n", f, strings.Join(append([]string{t}, vals...), ", "))
	case l.nresults == 0:
		w.printf("return %s.Return(nil)\n", t)
	case l.hasErr:
		w.printf("return %s.Fail(%s)\n", t, vals[0])
	default:
		w.printf("return %s.Return(%s)\n", t, vals[0])
	}
}

// usesRet reports whether returns go through the frame's ret method.
func (l *lowerer) usesRet() bool {
	return len(l.results) > 0 || l.hasDefer || l.nresults == 2
}

// ---- defer -----------------------------------------------------------------

// writeDefer writes a defer statement: the function and arguments are
// evaluated now, the call is pushed on the frame's defer list.
func (l *lowerer) writeDefer(w *fnWriter, s *grammar.DeferStmt) {
	if sd := l.byDefer[s]; sd != nil {
		l.writeStaticDefer(w, sd)
		return
	}
	c := s.Call
	f := l.fname
	if fl, ok := c.Fun.(*ast.FuncLit); ok && len(c.Args) == 0 {
		w.printf("%s.defers = append(%s.defers, %s)\n", f, f, l.expr(fl))
		return
	}
	if dc := l.ti.defers[l.f.keyOf(c.Lparen)]; dc != nil && len(c.Args) == 0 && !dc.fun.IsBuiltin() {
		if sig, ok := dc.fun.Type.Underlying().(*types.Signature); ok && sig.Params().Len() == 0 && sig.Results().Len() == 0 {
			// A func() value (x.M included: the method value binds x now).
			w.printf("%s.defers = append(%s.defers, %s)\n", f, f, l.expr(c.Fun))
			return
		}
	}
	fun := l.expr(c.Fun)
	capture := true
	if id, ok := c.Fun.(*ast.Ident); ok {
		switch obj := l.ti.object(l.f, id.Pos()).(type) {
		case *types.Builtin:
			capture = false
		case *types.Func:
			_ = obj
			capture = false
		}
	}
	if !capture && len(c.Args) == 0 {
		if _, builtin := l.ti.object(l.f, c.Fun.Pos()).(*types.Builtin); !builtin {
			w.printf("%s.defers = append(%s.defers, %s)\n", f, f, fun)
			return
		}
	}
	var names, vals []string
	call := fun
	if capture {
		names = append(names, "fn")
		vals = append(vals, fun)
		call = "fn"
	}
	var args []string
	for i, a := range c.Args {
		n := fmt.Sprintf("a%d", i)
		names = append(names, n)
		vals = append(vals, l.expr(a))
		args = append(args, n)
	}
	ell := ""
	if c.Ellipsis.IsValid() {
		ell = "..."
	}
	w.printf("{\n")
	if len(names) > 0 {
		w.printf("%s := %s\n", strings.Join(names, ", "), strings.Join(vals, ", "))
	}
	w.printf("%s.defers = append(%s.defers, func() { %s(%s%s) })\n}\n", f, f, call, strings.Join(args, ", "), ell)
}
