package codegen

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strconv"
	"strings"

	"github.com/tskc-lang/tskc/grammar"
)

// Lowering turns a tasklet body into a flat list of items: straight-line
// code, labels and jumps. Only statements that contain a suspension point
// are flattened; every other statement stays structured Go inside one code
// item. All variables declared at the flat level are hoisted (to the top
// of Resume, or to the frame when liveness says they live across a
// suspension point), so the gotos of the flat level never jump over a
// declaration or into a block, as Go requires.

// variable is a local of a tasklet: a user variable, a parameter, or a
// variable the lowering introduces.
type variable struct {
	name   string
	typ    types.Type
	obj    types.Object // nil for variables the lowering introduces
	decl   grammar.Pos  // where the user declared it
	param  bool         // a parameter or named result: always in the frame
	flat   bool         // declared at the flat level: hoisted
	pinned bool         // captured by a func literal or its address taken
	forced bool         // written by the runtime while suspended: in the frame
	used   bool         // read somewhere (bindings may be unused)
	field  bool         // decided: lives in the frame
	boxed  bool         // a pinned variable redeclared in a loop: the frame holds a pointer to its current cell
	index  int
	what   string // for synthetic variables: what it holds
}

// item is one element of the flat code of a tasklet.
type item struct {
	label  string            // a label item: its name
	resume int               // a label item that is resume point n (n > 0)
	code   func(w *fnWriter) // a code item: writes its Go code
	uses   []*variable
	defs   []*variable
	jumps  []string // labels the code may jump to
	term   bool     // the code never falls through
	susp   int      // a suspension item: the resume point it parks at
	isJump bool     // a bare goto made by lowerer.jump
	// userLabel is the label a structured labelled loop or switch carries
	// inside its code: the item is a jump target.
	userLabel string
	clears    []*variable
}

// target is an enclosing statement that break or continue may leave.
type target struct {
	label     string // user label naming the statement, or ""
	loop      bool
	flat      bool
	brk, cont string // the labels of the flat statement
	depth     int    // deadline depth outside the statement
	// stop is the stop function of a range over a function iterator: a
	// break or continue to an enclosing statement calls it on the way out.
	stop *variable
	// keepDefer: stop stays on the deferred calls (the body defers too).
	keepDefer bool
	// inBody holds the labels declared in the body of a range over a
	// function iterator: a goto to any other label leaves the loop.
	inBody map[string]bool
}

// lowerer lowers one tasklet.
type lowerer struct {
	g       *generator
	f       *srcFile
	decl    *grammar.TaskletDecl
	ti      *typeInfo
	imp     *importSet
	fname   string // receiver name of the frame methods
	tname   string // name of the *tskrt.Tasklet parameter
	rt      string // local name of the runtime package
	frame   string // frame type name
	vars    []*variable
	byObj   map[types.Object]*variable
	renamed map[types.Object]string // local consts and types
	taken   map[string]bool
	items   []*item
	nres    int
	nlabel  int
	susp    map[grammar.Stmt]bool
	ctx     []*target
	depth   int // deadline depth at the statement being lowered
	// results
	results    []*variable // named results
	resultType types.Type  // T of a T or (T, error) tasklet
	hasErr     bool        // the tasklet returns an error (alone or last)
	nresults   int
	hasDefer   bool
	shareOps   bool // awaits of several operation types share one field of type any
	iterStop   bool // a suspending range over a function iterator keeps stop on the deferred calls
	// staticDefers are the defer statements kept in frame fields (see
	// defer.go), in source order; nil when the frame keeps a []func().
	staticDefers []*staticDefer
	byDefer      map[*grammar.DeferStmt]*staticDefer
	armed        string // the field of the armed bits of staticDefers
	scratch      map[string]*variable
	resumeInfo   map[int]string
	mains        []string // package-level helpers (match functions) to emit
	replies      map[*variable]*variable
	replied      map[*variable]bool
	stName       string // the named result of Resume, when the frame has defers
	loops        int    // flat loops around the statement being lowered
	inCell       map[*variable]bool
	usesRecover  bool // a deferred call may recover: the frame takes panics itself
	labels       map[string]bool
	userLabels   map[string]string
	hoist        map[ast.Expr]*hoisted // hoisted expressions: tasklet calls and what Go evaluates before them
	raw          ast.Expr              // the hoisted expression being rendered itself (exprRaw)
}

func (g *generator) newLowerer(f *srcFile, d *grammar.TaskletDecl, imp *importSet, frame string) *lowerer {
	l := &lowerer{
		g: g, f: f, decl: d, ti: g.info, imp: imp, frame: frame,
		byObj:      map[types.Object]*variable{},
		renamed:    map[types.Object]string{},
		taken:      map[string]bool{},
		susp:       map[grammar.Stmt]bool{},
		scratch:    map[string]*variable{},
		resumeInfo: map[int]string{},
		labels:     map[string]bool{},
		userLabels: map[string]string{},
		inCell:     map[*variable]bool{},
		hoist:      map[ast.Expr]*hoisted{},
		rt:         imp.rtName,
	}
	ids := identifiers(f.src[d.Pos.Offset:min(len(f.src), d.Body.Rbrace.Offset+1)])
	l.fname = pick(ids, "f", "fr", "frame")
	l.tname = pick(ids, "t", "tk", "task")
	for _, n := range []string{l.fname, l.tname, "defers", "Resume", "Name", "ret", "fail", "runDefers", "unwind", "Unwind", "recover", "panicking", "panicValue", "deadlineDepth", "Recover"} {
		l.taken[n] = true
	}
	for n := range imp.taken {
		l.taken[n] = true
	}
	return l
}

func pick(ids map[string]bool, names ...string) string {
	for _, n := range names {
		if !ids[n] {
			return n
		}
	}
	for i := 2; ; i++ {
		n := names[0] + strconv.Itoa(i)
		if !ids[n] {
			return n
		}
	}
}

// fresh returns a new name based on base that nothing else uses.
func (l *lowerer) fresh(base string) string {
	name := base
	for i := 1; l.taken[name]; i++ {
		name = base + strconv.Itoa(i)
	}
	l.taken[name] = true
	return name
}

// newLabel returns a fresh label.
func (l *lowerer) newLabel(base string) string {
	l.nlabel++
	name := fmt.Sprintf("%s%d", base, l.nlabel)
	for l.taken[name] {
		l.nlabel++
		name = fmt.Sprintf("%s%d", base, l.nlabel)
	}
	l.taken[name] = true
	return name
}

// ---- variables -------------------------------------------------------------

// declare registers the variables of the tasklet: every object declared in
// its body outside func literals, in declaration order.
func (l *lowerer) declare() {
	ft := l.decl.Type
	for _, fl := range []*ast.FieldList{ft.Params, ft.Results} {
		if fl == nil {
			continue
		}
		for _, fd := range fl.List {
			for _, n := range fd.Names {
				if obj := l.ti.defs[l.f.keyOf(n.Pos())]; obj != nil {
					v := l.addVar(obj, l.posOf(n.Pos()))
					v.param = true
					if fl == ft.Results {
						l.results = append(l.results, v)
					}
				}
			}
		}
	}
	// Names used by anything that is not a local must stay free.
	var locals []ast.Node
	l.inspectBody(func(n ast.Node, inFunc bool) {
		id, ok := n.(*ast.Ident)
		if !ok {
			return
		}
		k := l.f.keyOf(id.Pos())
		if obj := l.ti.defs[k]; obj != nil && !inFunc {
			switch obj.(type) {
			case *types.Var, *types.Const, *types.TypeName:
				if _, isField := obj.(*types.Var); isField && obj.(*types.Var).IsField() {
					return
				}
				locals = append(locals, id)
				return
			case *types.Label:
				return
			}
		}
		if obj := l.ti.uses[k]; obj != nil {
			if l.isLocalObj(obj) {
				return
			}
			l.taken[obj.Name()] = true
		} else if obj := l.ti.defs[k]; obj != nil && inFunc {
			l.taken[obj.Name()] = true
		}
	})
	for _, n := range locals {
		id := n.(*ast.Ident)
		obj := l.ti.defs[l.f.keyOf(id.Pos())]
		if _, ok := l.byObj[obj]; ok {
			continue
		}
		switch obj.(type) {
		case *types.Var:
			l.addVar(obj, l.posOf(id.Pos()))
		default:
			l.renamed[obj] = l.fresh(obj.Name())
		}
	}
	// Receive-case bindings, type switch variables and user labels.
	walkList(l.decl.Body.List, func(s grammar.Stmt) {
		switch s := s.(type) {
		case *grammar.ReceiveSwitchStmt:
			for _, c := range s.Cases {
				if c.Bind != nil {
					if obj := l.ti.defs[l.f.keyAt(c.Bind.Pos)]; obj != nil {
						l.addVar(obj, c.Bind.Pos)
					}
				}
			}
		case *grammar.TypeSwitchStmt:
			for _, c := range s.Cases {
				if obj := l.ti.implicits[l.f.keyAt(c.Pos)]; obj != nil {
					v := l.addVar(obj, s.Bind.Pos)
					_ = v
				}
			}
		case *grammar.LabeledStmt:
			l.userLabels[s.Label.Name] = s.Label.Name
			l.labels[s.Label.Name] = true
		}
	})
	for name := range l.userLabels {
		l.taken[name] = true
	}
	// Which variables are read, captured or have their address taken.
	l.inspectBody(func(n ast.Node, inFunc bool) {
		switch n := n.(type) {
		case *ast.Ident:
			if obj := l.ti.uses[l.f.keyOf(n.Pos())]; obj != nil {
				if v := l.byObj[obj]; v != nil {
					v.used = true
					if inFunc {
						v.pinned = true
					}
				}
			}
		case *ast.UnaryExpr:
			if n.Op == token.AND {
				if v := l.varOf(n.X); v != nil {
					v.pinned = true
				}
			}
		case *ast.SelectorExpr:
			// A method with a pointer receiver called on an addressable
			// variable takes its address.
			if v := l.varOf(n.X); v != nil {
				if sel := l.methodSel(n); sel {
					v.pinned = true
				}
			}
		}
	})
}

// methodSel reports whether sel calls a pointer method on a value variable.
func (l *lowerer) methodSel(sel *ast.SelectorExpr) bool {
	obj := l.ti.uses[l.f.keyOf(sel.Sel.Pos())]
	fn, ok := obj.(*types.Func)
	if !ok {
		return false
	}
	sig, ok := fn.Type().(*types.Signature)
	if !ok || sig.Recv() == nil {
		return false
	}
	_, ptrRecv := sig.Recv().Type().(*types.Pointer)
	v := l.varOf(sel.X)
	if v == nil || v.typ == nil {
		return false
	}
	_, isPtr := v.typ.Underlying().(*types.Pointer)
	return ptrRecv && !isPtr
}

func (l *lowerer) isLocalObj(obj types.Object) bool {
	if _, ok := l.byObj[obj]; ok {
		return true
	}
	if _, ok := l.renamed[obj]; ok {
		return true
	}
	// Declared inside this tasklet (e.g. not registered yet)?
	k := l.ti.declKey(obj)
	if k.file != l.f.abs {
		return false
	}
	return k.line > l.decl.Pos.Line || k.line == l.decl.Pos.Line && k.col >= l.decl.Pos.Column
}

func (l *lowerer) posOf(p token.Pos) grammar.Pos {
	off := l.f.offset(p)
	ln, c := l.f.lineCol(off)
	return grammar.Pos{Filename: l.f.name, Offset: off, Line: ln, Column: c}
}

func (l *lowerer) addVar(obj types.Object, at grammar.Pos) *variable {
	if v, ok := l.byObj[obj]; ok {
		return v
	}
	v := &variable{obj: obj, typ: obj.Type(), decl: at, index: len(l.vars)}
	v.name = l.fresh(obj.Name())
	if obj.Name() == "_" {
		v.name = "_"
	}
	l.vars = append(l.vars, v)
	l.byObj[obj] = v
	return v
}

// synth adds a variable the lowering needs.
func (l *lowerer) synth(base string, typ types.Type, what string) *variable {
	v := &variable{typ: typ, name: l.fresh(base), index: len(l.vars), flat: true, used: true, what: what}
	l.vars = append(l.vars, v)
	return v
}

// varOf returns the variable an expression is, if it is a local's name.
func (l *lowerer) varOf(e ast.Expr) *variable {
	for {
		p, ok := e.(*ast.ParenExpr)
		if !ok {
			break
		}
		e = p.X
	}
	id, ok := e.(*ast.Ident)
	if !ok {
		return nil
	}
	obj := l.ti.object(l.f, id.Pos())
	if obj == nil {
		return nil
	}
	return l.byObj[obj]
}

// inspectBody visits every go/ast node of the tasklet body; inFunc tells
// whether the node is inside a func literal.
func (l *lowerer) inspectBody(fn func(n ast.Node, inFunc bool)) {
	for _, n := range goNodes(l.decl.Body) {
		depth := 0
		var stack []bool
		ast.Inspect(n, func(c ast.Node) bool {
			if c == nil {
				if stack[len(stack)-1] {
					depth--
				}
				stack = stack[:len(stack)-1]
				return false
			}
			_, isFunc := c.(*ast.FuncLit)
			fn(c, depth > 0)
			stack = append(stack, isFunc)
			if isFunc {
				depth++
			}
			return true
		})
	}
}

// goNodes returns the go/ast nodes directly held by the statements of s,
// recursively through tasklet statements.
func goNodes(s grammar.Stmt) []ast.Node {
	var ns []ast.Node
	add := func(xs ...ast.Node) {
		for _, x := range xs {
			if x != nil && !isNilNode(x) {
				ns = append(ns, x)
			}
		}
	}
	addExprs := func(es []ast.Expr) {
		for _, e := range es {
			add(e)
		}
	}
	walkStmt(s, func(s grammar.Stmt) {
		switch s := s.(type) {
		case *grammar.SimpleStmt:
			add(s.S)
		case *grammar.DeclStmt:
			add(s.Decl)
		case *grammar.ReturnStmt:
			addExprs(s.Results)
		case *grammar.DeferStmt:
			add(s.Call)
		case *grammar.GoStmt:
			add(s.Call)
		case *grammar.IfStmt:
			add(s.Cond)
		case *grammar.ForStmt:
			add(s.Cond)
		case *grammar.RangeStmt:
			add(s.Key, s.Value, s.X)
		case *grammar.SwitchStmt:
			add(s.Tag)
			for _, c := range s.Cases {
				addExprs(c.List)
			}
		case *grammar.TypeSwitchStmt:
			add(s.X)
			for _, c := range s.Cases {
				addExprs(c.List)
			}
		case *grammar.YieldStmt:
			addExprs(s.Result.Lhs)
		case *grammar.SleepStmt:
			addExprs(s.Result.Lhs)
			add(s.Duration)
		case *grammar.SpawnStmt:
			addExprs(s.Result.Lhs)
			add(s.Arg, s.Call)
			for _, o := range s.Options {
				add(o.Value)
			}
		case *grammar.SendStmt:
			add(s.Target, s.Msg)
		case *grammar.CallStmt:
			addExprs(s.Result.Lhs)
			add(s.Target, s.Msg, s.Timeout)
		case *grammar.ReplyStmt:
			add(s.Value)
		case *grammar.ReceiveStmt:
			addExprs(s.Result.Lhs)
			add(s.Timeout)
		case *grammar.ReceiveBatchStmt:
			addExprs(s.Result.Lhs)
			add(s.N, s.Timeout)
		case *grammar.ReceiveSwitchStmt:
			for _, c := range s.Cases {
				add(c.Type, c.After)
			}
		case *grammar.ChanSendStmt:
			addExprs(s.Result.Lhs)
			add(s.Chan, s.Value, s.Timeout)
		case *grammar.ChanRecvStmt:
			addExprs(s.Result.Lhs)
			add(s.Chan, s.Timeout)
		case *grammar.JoinStmt:
			addExprs(s.Result.Lhs)
			add(s.X, s.Timeout)
		case *grammar.AwaitStmt:
			addExprs(s.Result.Lhs)
			add(s.Op, s.Timeout)
		case *grammar.KillStmt:
			add(s.X)
		case *grammar.DeadlineStmt:
			add(s.Duration)
		case *grammar.QuitStmt:
			add(s.Code)
		case *grammar.SelectStmt:
			for _, c := range s.Cases {
				addExprs(c.Result.Lhs)
				add(c.Chan, c.Value, c.Type, c.After)
			}
		}
	})
	return ns
}

// isNilNode reports whether x is a typed nil inside a non-nil interface.
func isNilNode(x ast.Node) bool {
	switch x := x.(type) {
	case ast.Expr:
		return x == nil || fmt.Sprint(x) == "<nil>"
	case ast.Stmt:
		return x == nil || fmt.Sprint(x) == "<nil>"
	}
	return false
}

// refs returns the locals nodes mention.
func (l *lowerer) refs(nodes ...ast.Node) []*variable {
	var vs []*variable
	seen := map[*variable]bool{}
	for _, n := range nodes {
		if n == nil || isNilNode(n) {
			continue
		}
		ast.Inspect(n, func(c ast.Node) bool {
			if e, ok := c.(ast.Expr); ok && l.hoist[e] != nil {
				for _, v := range l.hoist[e].vars {
					if !seen[v] {
						seen[v] = true
						vs = append(vs, v)
					}
				}
				return false
			}
			if id, ok := c.(*ast.Ident); ok {
				if obj := l.ti.object(l.f, id.Pos()); obj != nil {
					if v := l.byObj[obj]; v != nil && !seen[v] {
						seen[v] = true
						vs = append(vs, v)
					}
				}
			}
			return true
		})
	}
	return vs
}

// stmtRefs returns the locals a statement mentions anywhere inside.
func (l *lowerer) stmtRefs(s grammar.Stmt) []*variable {
	vs := l.refs(goNodes(s)...)
	seen := map[*variable]bool{}
	for _, v := range vs {
		seen[v] = true
	}
	walkStmt(s, func(s grammar.Stmt) {
		switch s := s.(type) {
		case *grammar.ReplyStmt:
			if v := l.bindVar(s.Msg); v != nil && !seen[v] {
				seen[v] = true
				vs = append(vs, v)
			}
		}
	})
	return vs
}

// bindVar returns the variable a grammar identifier names.
func (l *lowerer) bindVar(id *grammar.Ident) *variable {
	k := l.f.keyAt(id.Pos)
	obj := l.ti.uses[k]
	if obj == nil {
		obj = l.ti.defs[k]
	}
	if obj == nil {
		return nil
	}
	return l.byObj[obj]
}

// ---- suspension ------------------------------------------------------------

// suspends reports whether s contains a suspension point.
func (l *lowerer) suspends(s grammar.Stmt) bool {
	if s == nil {
		return false
	}
	if v, ok := l.susp[s]; ok {
		return v
	}
	r := false
	switch s := s.(type) {
	case *grammar.YieldStmt, *grammar.SleepStmt, *grammar.SendStmt, *grammar.CallStmt,
		*grammar.ReplyStmt, *grammar.ReceiveStmt, *grammar.ReceiveBatchStmt,
		*grammar.ReceiveSwitchStmt, *grammar.ChanSendStmt, *grammar.ChanRecvStmt,
		*grammar.JoinStmt, *grammar.AwaitStmt, *grammar.KillStmt, *grammar.SelectStmt:
		r = true
	case *grammar.SimpleStmt:
		_, c := l.g.inlineCall(s.S)
		r = c != nil
	case *grammar.ReturnStmt:
		if len(s.Results) == 1 {
			_, c := l.g.taskletCallee(s.Results[0])
			r = c != nil
		}
	case *grammar.BlockStmt:
		r = l.anySuspends(s.List)
	case *grammar.IfStmt:
		r = l.suspends(s.Init) || l.suspends(s.Then) || l.suspends(s.Else)
	case *grammar.ForStmt:
		r = l.suspends(s.Init) || l.suspends(s.Post) || l.suspends(s.Body) || l.hasTaskletCall(s.Cond)
	case *grammar.RangeStmt:
		r = l.suspends(s.Body)
	case *grammar.SwitchStmt:
		r = l.suspends(s.Init) || l.caseCalls(s)
		for _, c := range s.Cases {
			r = r || l.anySuspends(c.Body)
		}
	case *grammar.TypeSwitchStmt:
		r = l.suspends(s.Init)
		for _, c := range s.Cases {
			r = r || l.anySuspends(c.Body)
		}
	case *grammar.LabeledStmt:
		r = l.suspends(s.Stmt)
	case *grammar.DeadlineStmt:
		r = l.suspends(s.Body)
	}
	if !r {
		if _, loop := s.(*grammar.ForStmt); !loop {
			r = l.headCalls(s)
		}
	}
	l.susp[s] = r
	return r
}

func (l *lowerer) anySuspends(list []grammar.Stmt) bool {
	for _, s := range list {
		if l.suspends(s) {
			return true
		}
	}
	return false
}

// ---- items -----------------------------------------------------------------

func (l *lowerer) add(it *item) *item {
	l.items = append(l.items, it)
	return it
}

func (l *lowerer) label(name string) { l.add(&item{label: name}) }

func (l *lowerer) jump(to string) {
	l.add(&item{jumps: []string{to}, term: true, isJump: true, code: func(w *fnWriter) { w.gen(); w.printf("goto %s\n", to) }})
}

// code adds a code item.
func (l *lowerer) code(uses, defs []*variable, fn func(w *fnWriter)) *item {
	return l.add(&item{uses: uses, defs: defs, code: fn})
}

// ---- lowering --------------------------------------------------------------

// lower lowers the body.
func (l *lowerer) lower() {
	l.flatList(l.decl.Body.List)
	// Falling off the end returns.
	l.add(&item{term: true, code: func(w *fnWriter) {
		w.at(l.decl.Body.Rbrace)
		l.writeReturn(w, nil, l.decl.Body.Rbrace)
	}})
}

func (l *lowerer) flatList(list []grammar.Stmt) {
	for _, s := range list {
		l.flatStmt(s, "")
	}
}

// flatStmt lowers a statement at the flat level; label is the user label
// naming it.
func (l *lowerer) flatStmt(s grammar.Stmt, label string) {
	if ls, ok := s.(*grammar.LabeledStmt); ok && !l.suspends(s) {
		switch ls.Stmt.(type) {
		case *grammar.ForStmt, *grammar.RangeStmt, *grammar.SwitchStmt, *grammar.TypeSwitchStmt:
			// break and continue may name the label: it stays on the
			// structured statement, and the item is a jump target.
			l.structuredItem(s, label)
			l.items[len(l.items)-1].userLabel = ls.Label.Name
		default:
			l.label(ls.Label.Name)
			l.flatStmt(ls.Stmt, ls.Label.Name)
		}
		return
	}
	if !l.suspends(s) {
		l.structuredItem(s, label)
		return
	}
	switch s := s.(type) {
	case *grammar.BlockStmt:
		l.flatList(s.List)
	case *grammar.LabeledStmt:
		l.label(s.Label.Name)
		l.flatStmt(s.Stmt, s.Label.Name)
	case *grammar.IfStmt:
		l.flatIf(s)
	case *grammar.ForStmt:
		l.flatFor(s, label)
	case *grammar.RangeStmt:
		l.flatRange(s, label)
	case *grammar.SwitchStmt:
		l.flatSwitch(s, label)
	case *grammar.TypeSwitchStmt:
		l.flatTypeSwitch(s, label)
	case *grammar.DeadlineStmt:
		l.hoistHead(s)
		l.code(l.refs(s.Duration), nil, func(w *fnWriter) {
			w.at(s.Pos)
			w.printf("%s.PushDeadline(%s)\n", l.tname, l.expr(s.Duration))
		})
		l.depth++
		l.flatStmt(s.Body, "")
		l.depth--
		l.code(nil, nil, func(w *fnWriter) {
			w.gen()
			w.printf("%s.PopDeadline()\n", l.tname)
		})
	case *grammar.ReceiveSwitchStmt:
		l.hoistHead(s)
		l.receiveSwitch(s, label)
	case *grammar.SelectStmt:
		l.hoistHead(s)
		l.selectStmt(s, label)
	case *grammar.ReturnStmt:
		l.hoistHead(s)
		if len(s.Results) == 1 {
			if c, ok := s.Results[0].(*ast.CallExpr); ok && l.taskletCall(c) != nil {
				l.returnCall(s)
				return
			}
		}
		l.structuredItem(s, label)
	case *grammar.SimpleStmt:
		l.hoistHead(s)
		if _, c := l.g.inlineCall(s.S); c != nil {
			l.inlineCallStmt(s)
			return
		}
		l.structuredItem(s, label)
	default:
		l.hoistHead(s)
		if isOperation(s) {
			l.op(s)
			return
		}
		l.structuredItem(s, label)
	}
}

// isOperation reports whether s is a tasklet statement that may suspend.
func isOperation(s grammar.Stmt) bool {
	switch s.(type) {
	case *grammar.YieldStmt, *grammar.SleepStmt, *grammar.SendStmt, *grammar.CallStmt,
		*grammar.ReplyStmt, *grammar.ReceiveStmt, *grammar.ReceiveBatchStmt,
		*grammar.ChanSendStmt, *grammar.ChanRecvStmt,
		*grammar.JoinStmt, *grammar.AwaitStmt, *grammar.KillStmt:
		return true
	}
	return false
}

// structuredItem adds a statement without suspension points as one code item.
func (l *lowerer) structuredItem(s grammar.Stmt, label string) {
	if _, ok := s.(*grammar.EmptyStmt); ok {
		return
	}
	it := &item{uses: l.stmtRefs(s)}
	// Declarations at the flat level are hoisted.
	for _, v := range l.flatDecls(s) {
		v.flat = true
		l.maybeBox(v)
		it.defs = append(it.defs, v)
	}
	// A plain assignment or declaration reads its right-hand side (and the
	// operands of non-name left-hand sides) and defines the names it
	// assigns; it does not read them.
	if a, ok := flatAssign(s); ok && (a.Tok == token.ASSIGN || a.Tok == token.DEFINE) {
		uses := l.refs(exprNodes(a.Rhs)...)
		for _, e := range a.Lhs {
			if v := l.varOf(e); v != nil {
				if !containsVar(it.defs, v) && !containsVar(uses, v) {
					it.defs = append(it.defs, v)
				}
				continue
			}
			uses = append(uses, l.refs(e)...)
		}
		it.uses = uses
	}
	if d, ok := s.(*grammar.DeclStmt); ok && d.Decl.Tok == token.VAR {
		var uses []*variable
		for _, sp := range d.Decl.Specs {
			vs := sp.(*ast.ValueSpec)
			uses = append(uses, l.refs(exprNodes(vs.Values)...)...)
		}
		it.uses = uses
	}
	ctx := append([]*target(nil), l.ctx...)
	depth := l.depth
	// A dry run finds the labels it jumps to.
	dry := &fnWriter{l: l, dry: true}
	l.structured(dry, s, ctx, depth, true)
	it.jumps = dry.jumps
	it.term = l.terminates(s)
	it.code = func(w *fnWriter) { l.structured(w, s, ctx, depth, true) }
	l.add(it)
}

func containsVar(vs []*variable, v *variable) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}

// flatAssign returns the assignment of a simple statement.
func flatAssign(s grammar.Stmt) (*ast.AssignStmt, bool) {
	ss, ok := s.(*grammar.SimpleStmt)
	if !ok {
		return nil, false
	}
	a, ok := ss.S.(*ast.AssignStmt)
	return a, ok
}

// flatDecls returns the variables a statement at the flat level declares
// in the enclosing scope.
func (l *lowerer) flatDecls(s grammar.Stmt) []*variable {
	var vs []*variable
	switch s := s.(type) {
	case *grammar.SimpleStmt:
		if a, ok := s.S.(*ast.AssignStmt); ok && a.Tok == token.DEFINE {
			for _, e := range a.Lhs {
				if id, ok := e.(*ast.Ident); ok {
					if obj := l.ti.defs[l.f.keyOf(id.Pos())]; obj != nil {
						if v := l.byObj[obj]; v != nil {
							vs = append(vs, v)
						}
					}
				}
			}
		}
	case *grammar.DeclStmt:
		if s.Decl.Tok == token.VAR {
			for _, sp := range s.Decl.Specs {
				for _, id := range sp.(*ast.ValueSpec).Names {
					if obj := l.ti.defs[l.f.keyOf(id.Pos())]; obj != nil {
						if v := l.byObj[obj]; v != nil {
							vs = append(vs, v)
						}
					}
				}
			}
		}
	case *grammar.SpawnStmt:
		if s.Result.Tok == token.DEFINE {
			for _, e := range s.Result.Lhs {
				if v := l.varOf(e); v != nil {
					vs = append(vs, v)
				}
			}
		}
	case *grammar.LabeledStmt:
		return l.flatDecls(s.Stmt)
	}
	return vs
}

// resultDefs marks the variables a tasklet statement's := declares as flat
// and returns the variables its left-hand side assigns.
func (l *lowerer) resultDefs(r grammar.Result) (defs, uses []*variable) {
	for _, e := range r.Lhs {
		if v := l.varOf(e); v != nil {
			if r.Tok == token.DEFINE {
				v.flat = true
				l.maybeBox(v)
			}
			defs = append(defs, v)
			continue
		}
		uses = append(uses, l.refs(e)...)
	}
	return
}

// maybeBox boxes a pinned variable declared inside a flat loop.
func (l *lowerer) maybeBox(v *variable) {
	if v.pinned && l.loops > 0 {
		v.boxed = true
	}
}

func (l *lowerer) flatIf(s *grammar.IfStmt) {
	if s.Init != nil {
		l.flatStmt(s.Init, "")
	}
	l.hoistHead(s)
	elseL, endL := l.newLabel("else"), l.newLabel("endif")
	if s.Else == nil {
		elseL = endL
	}
	l.add(&item{uses: l.refs(s.Cond), jumps: []string{elseL}, code: func(w *fnWriter) {
		w.at(s.Pos)
		w.printf("if %s {\n", l.negate(s.Cond))
		w.gen()
		w.printf("goto %s\n}\n", elseL)
	}})
	l.flatStmt(s.Then, "")
	if s.Else != nil {
		l.jump(endL)
		l.label(elseL)
		l.flatStmt(s.Else, "")
	}
	l.label(endL)
}

func (l *lowerer) flatFor(s *grammar.ForStmt, label string) {
	var loopVars []*variable
	if s.Init != nil {
		l.loops++
		l.flatStmt(s.Init, "")
		l.loops--
		loopVars = l.flatDecls(s.Init)
	}
	top, cont, end := l.newLabel("for"), l.newLabel("continue"), l.newLabel("break")
	l.label(top)
	if l.hasTaskletCall(s.Cond) {
		// The condition's tasklet calls run again on every iteration.
		l.hoistSeq([]ast.Expr{s.Cond})
	}
	if s.Cond != nil {
		l.add(&item{uses: l.refs(s.Cond), jumps: []string{end}, code: func(w *fnWriter) {
			w.at(s.Pos)
			w.printf("if %s {\n", l.negate(s.Cond))
			w.gen()
			w.printf("goto %s\n}\n", end)
		}})
	}
	l.ctx = append(l.ctx, &target{label: label, loop: true, flat: true, brk: end, cont: cont, depth: l.depth})
	l.loops++
	l.flatStmt(s.Body, "")
	l.loops--
	l.ctx = l.ctx[:len(l.ctx)-1]
	l.label(cont)
	for _, v := range loopVars {
		if v.boxed {
			v := v
			l.code([]*variable{v}, nil, func(w *fnWriter) {
				w.gen()
				w.printf("{ // the next iteration's %s starts as a copy\nv := %s\n%s = &v\n}\n", v.obj.Name(), l.vexpr(v), l.cell(v))
			})
		}
	}
	if s.Post != nil {
		l.flatStmt(s.Post, "")
	}
	l.jump(top)
	l.label(end)
}

func (l *lowerer) flatRange(s *grammar.RangeStmt, label string) {
	ts := l.ti.stub(l.f, s.Pos, "tskRange")
	if len(ts) != 1 {
		l.g.errorf(l.f, s.Pos, "cannot lower this range loop (unknown type)")
		return
	}
	xt := ts[0]
	l.hoistHead(s)
	under := xt.Underlying()
	if p, ok := under.(*types.Pointer); ok {
		if a, ok := p.Elem().Underlying().(*types.Array); ok {
			under = a
		}
	}
	l.loops++
	l.resultDefs(grammar.Result{Lhs: nonNil(s.Key, s.Value), Tok: s.Tok})
	l.loops--
	top, cont, end := l.newLabel("range"), l.newLabel("continue"), l.newLabel("break")
	intType := types.Typ[types.Int]
	assign := func(w *fnWriter, e ast.Expr, val string) {
		if e == nil {
			return
		}
		if id, ok := e.(*ast.Ident); ok && id.Name == "_" {
			return
		}
		if s.Tok == token.DEFINE {
			l.newCells(w, l.varOf(e))
		}
		w.printf("%s = %s\n", l.expr(e), val)
	}
	lhsVars := l.refs(nonNilNodes(s.Key, s.Value)...)
	switch u := under.(type) {
	case *types.Basic:
		if u.Info()&types.IsInteger != 0 {
			n := l.synth("n", xt, "range bound")
			i := l.synth("i", xt, "range index")
			l.code(append(l.refs(s.X), n, i), []*variable{n, i}, func(w *fnWriter) {
				w.at(s.Pos)
				w.printf("%s, %s = %s, 0\n", l.vexpr(n), l.vexpr(i), l.expr(s.X))
			})
			l.label(top)
			l.add(&item{uses: []*variable{n, i}, defs: lhsVars, jumps: []string{end}, code: func(w *fnWriter) {
				w.gen()
				w.printf("if !(%s < %s) {\ngoto %s\n}\n", l.vexpr(i), l.vexpr(n), end)
				assign(w, s.Key, l.vexpr(i))
			}})
			l.rangeBody(s, label, top, cont, end, func(w *fnWriter) { w.printf("%s++\n", l.vexpr(i)) }, []*variable{i})
			return
		}
		if u.Info()&types.IsString != 0 {
			x := l.synth("s", xt, "ranged string")
			i := l.synth("i", intType, "range index")
			next := l.synth("next", intType, "next range index")
			utf8 := l.imp.add("unicode/utf8", "utf8")
			l.code(append(l.refs(s.X), x, i, next), []*variable{x, i, next}, func(w *fnWriter) {
				w.at(s.Pos)
				w.printf("%s, %s = %s, 0\n", l.vexpr(x), l.vexpr(next), l.expr(s.X))
			})
			l.label(top)
			l.add(&item{uses: []*variable{x, i, next}, defs: append(lhsVars, i, next), jumps: []string{end}, code: func(w *fnWriter) {
				w.gen()
				w.printf("%s = %s\n", l.vexpr(i), l.vexpr(next))
				w.printf("if !(%s < len(%s)) {\ngoto %s\n}\n", l.vexpr(i), l.vexpr(x), end)
				w.printf("{\nr, size := %s.DecodeRuneInString(%s[%s:])\n", utf8, l.vexpr(x), l.vexpr(i))
				w.printf("%s = %s + size\n", l.vexpr(next), l.vexpr(i))
				assign(w, s.Key, l.vexpr(i))
				if s.Value != nil {
					assign(w, s.Value, "r")
				} else {
					w.printf("_ = r\n")
				}
				w.printf("}\n")
			}})
			l.rangeBody(s, label, top, cont, end, nil, nil)
			return
		}
	case *types.Slice, *types.Array:
		x := l.synth("xs", xt, "ranged slice")
		i := l.synth("i", intType, "range index")
		l.code(append(l.refs(s.X), x, i), []*variable{x, i}, func(w *fnWriter) {
			w.at(s.Pos)
			w.printf("%s, %s = %s, 0\n", l.vexpr(x), l.vexpr(i), l.expr(s.X))
		})
		l.label(top)
		l.add(&item{uses: []*variable{x, i}, defs: lhsVars, jumps: []string{end}, code: func(w *fnWriter) {
			w.gen()
			w.printf("if !(%s < len(%s)) {\ngoto %s\n}\n", l.vexpr(i), l.vexpr(x), end)
			assign(w, s.Key, l.vexpr(i))
			assign(w, s.Value, l.vexpr(x)+"["+l.vexpr(i)+"]")
		}})
		l.rangeBody(s, label, top, cont, end, func(w *fnWriter) { w.printf("%s++\n", l.vexpr(i)) }, []*variable{i})
		return
	case *types.Map:
		m := l.synth("m", xt, "ranged map")
		keys := l.synth("keys", types.NewSlice(u.Key()), "keys of the ranged map")
		i := l.synth("i", intType, "range index")
		l.code(append(l.refs(s.X), m, keys, i), []*variable{m, keys, i}, func(w *fnWriter) {
			w.at(s.Pos)
			w.printf("%s, %s = %s, 0\n", l.vexpr(m), l.vexpr(i), l.expr(s.X))
			w.printf("%s = make(%s, 0, len(%s))\n", l.vexpr(keys), l.typeString(keys.typ), l.vexpr(m))
			w.printf("for k := range %s {\n%s = append(%s, k)\n}\n", l.vexpr(m), l.vexpr(keys), l.vexpr(keys))
		})
		l.label(top)
		l.add(&item{uses: []*variable{m, keys, i}, defs: lhsVars, jumps: []string{end, cont}, code: func(w *fnWriter) {
			w.gen()
			w.printf("if !(%s < len(%s)) {\ngoto %s\n}\n", l.vexpr(i), l.vexpr(keys), end)
			w.printf("if _, ok := %s[%s[%s]]; !ok {\ngoto %s\n}\n", l.vexpr(m), l.vexpr(keys), l.vexpr(i), cont)
			assign(w, s.Key, l.vexpr(keys)+"["+l.vexpr(i)+"]")
			assign(w, s.Value, l.vexpr(m)+"["+l.vexpr(keys)+"["+l.vexpr(i)+"]]")
		}})
		l.rangeBody(s, label, top, cont, end, func(w *fnWriter) { w.printf("%s++\n", l.vexpr(i)) }, []*variable{i})
		return
	}
	if sig, ok := under.(*types.Signature); ok && l.rangeFunc(s, label, xt, sig, top, cont, end, assign) {
		return
	}
	l.g.errorf(l.f, s.Pos, "a range over %s cannot hold a suspension point (range over a slice, array, string, map, integer or function iterator, or collect the values first)", types.TypeString(xt, nil))
}

func nonNil(es ...ast.Expr) []ast.Expr {
	var out []ast.Expr
	for _, e := range es {
		if e != nil {
			out = append(out, e)
		}
	}
	return out
}

func nonNilNodes(es ...ast.Expr) []ast.Node {
	var out []ast.Node
	for _, e := range es {
		if e != nil {
			out = append(out, e)
		}
	}
	return out
}

func (l *lowerer) rangeBody(s *grammar.RangeStmt, label, top, cont, end string, step func(w *fnWriter), stepVars []*variable) {
	l.ctx = append(l.ctx, &target{label: label, loop: true, flat: true, brk: end, cont: cont, depth: l.depth})
	l.loops++
	l.flatStmt(s.Body, "")
	l.loops--
	l.ctx = l.ctx[:len(l.ctx)-1]
	l.label(cont)
	if step != nil {
		l.code(stepVars, nil, func(w *fnWriter) { w.gen(); step(w) })
	}
	l.jump(top)
	l.label(end)
}

func (l *lowerer) flatSwitch(s *grammar.SwitchStmt, label string) {
	if s.Init != nil {
		l.flatStmt(s.Init, "")
	}
	l.hoistHead(s)
	if l.caseCalls(s) {
		l.switchChain(s, label)
		return
	}
	end := l.newLabel("endswitch")
	labels := make([]string, len(s.Cases))
	hasDefault := false
	var uses []*variable
	for i, c := range s.Cases {
		labels[i] = l.newLabel("case")
		if c.List == nil {
			hasDefault = true
		}
		for _, e := range c.List {
			uses = append(uses, l.refs(e)...)
		}
	}
	uses = append(uses, l.refs(s.Tag)...)
	jumps := append([]string(nil), labels...)
	if !hasDefault {
		jumps = append(jumps, end)
	}
	l.add(&item{uses: uses, jumps: jumps, term: true, code: func(w *fnWriter) {
		w.at(s.Pos)
		if s.Tag != nil {
			w.printf("switch %s {\n", l.expr(s.Tag))
		} else {
			w.printf("switch {\n")
		}
		for i, c := range s.Cases {
			if c.List == nil {
				w.printf("default:\n")
			} else {
				var es []string
				for _, e := range c.List {
					es = append(es, l.expr(e))
				}
				w.printf("case %s:\n", strings.Join(es, ", "))
			}
			w.gen()
			w.printf("goto %s\n", labels[i])
		}
		w.printf("}\n")
		if !hasDefault {
			w.printf("goto %s\n", end)
		}
	}})
	l.flatCaseBodies(s, label, labels, end)
}

// flatCaseBodies lowers the clause bodies of a switch whose tests were lowered to jumps:
// clause i starts at labels[i], a fallthrough goes on to the next clause, and the end of a
// clause, or a break out of the switch (named label), goes to end.
func (l *lowerer) flatCaseBodies(s *grammar.SwitchStmt, label string, labels []string, end string) {
	l.ctx = append(l.ctx, &target{label: label, brk: end, flat: true, depth: l.depth})
	for i, c := range s.Cases {
		l.label(labels[i])
		next := end
		if i+1 < len(labels) {
			next = labels[i+1]
		}
		l.caseBody(c.Body, next)
		l.jump(end)
	}
	l.ctx = l.ctx[:len(l.ctx)-1]
	l.label(end)
}

// caseBody lowers a clause body; fallthrough jumps to next.
func (l *lowerer) caseBody(body []grammar.Stmt, next string) {
	for _, st := range body {
		if b, ok := st.(*grammar.BranchStmt); ok && b.Tok == token.FALLTHROUGH {
			l.jump(next)
			continue
		}
		l.flatStmt(st, "")
	}
}

func (l *lowerer) flatTypeSwitch(s *grammar.TypeSwitchStmt, label string) {
	if s.Init != nil {
		l.flatStmt(s.Init, "")
	}
	l.hoistHead(s)
	end := l.newLabel("endswitch")
	labels := make([]string, len(s.Cases))
	bound := make([]*variable, len(s.Cases))
	hasDefault, anyBound := false, false
	var uses, defs []*variable
	for i, c := range s.Cases {
		labels[i] = l.newLabel("case")
		if c.List == nil {
			hasDefault = true
		}
		if obj := l.ti.implicits[l.f.keyAt(c.Pos)]; obj != nil {
			if v := l.byObj[obj]; v != nil && v.used {
				v.flat = true
				l.maybeBox(v)
				bound[i] = v
				anyBound = true
				defs = append(defs, v)
			}
		}
	}
	uses = l.refs(s.X)
	tmp := ""
	if anyBound {
		tmp = l.fresh("x")
	}
	jumps := append([]string(nil), labels...)
	if !hasDefault {
		jumps = append(jumps, end)
	}
	l.add(&item{uses: uses, defs: defs, jumps: jumps, term: true, code: func(w *fnWriter) {
		w.at(s.Pos)
		if tmp != "" {
			w.printf("switch %s := (%s).(type) {\n", tmp, l.expr(s.X))
		} else {
			w.printf("switch (%s).(type) {\n", l.expr(s.X))
		}
		for i, c := range s.Cases {
			if c.List == nil {
				w.printf("default:\n")
			} else {
				var es []string
				for _, e := range c.List {
					es = append(es, l.expr(e))
				}
				w.printf("case %s:\n", strings.Join(es, ", "))
			}
			w.gen()
			if bound[i] != nil {
				l.newCells(w, bound[i])
				w.printf("%s = %s\n", l.vexpr(bound[i]), tmp)
			} else if tmp != "" {
				w.printf("_ = %s\n", tmp)
			}
			w.printf("goto %s\n", labels[i])
		}
		w.printf("}\n")
		if !hasDefault {
			w.printf("goto %s\n", end)
		}
	}})
	l.ctx = append(l.ctx, &target{label: label, brk: end, flat: true, depth: l.depth})
	for i, c := range s.Cases {
		l.label(labels[i])
		l.caseBody(c.Body, end)
		l.jump(end)
	}
	l.ctx = l.ctx[:len(l.ctx)-1]
	l.label(end)
}

func exprNodes(es []ast.Expr) []ast.Node {
	ns := make([]ast.Node, len(es))
	for i, e := range es {
		ns[i] = e
	}
	return ns
}

// negate renders the negation of a condition: !x becomes x and a == b
// becomes a != b (and back), so the generated code has no double negation;
// other comparisons keep !(...) (a < b is not !(a >= b) for NaN).
func (l *lowerer) negate(cond ast.Expr) string {
	switch c := cond.(type) {
	case *ast.ParenExpr:
		return l.negate(c.X)
	case *ast.UnaryExpr:
		if c.Op == token.NOT {
			return l.expr(c.X)
		}
	case *ast.BinaryExpr:
		if c.Op == token.EQL || c.Op == token.NEQ {
			op := "!="
			if c.Op == token.NEQ {
				op = "=="
			}
			return l.expr(c.X) + " " + op + " " + l.expr(c.Y)
		}
	}
	if h := l.hoist[cond]; h != nil && len(h.vars) == 1 {
		return "!" + l.vexpr(h.vars[0])
	}
	return "!(" + l.expr(cond) + ")"
}
