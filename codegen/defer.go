package codegen

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"github.com/tskc-lang/tskc/grammar"
)

// Deferred calls. When every defer statement of a tasklet runs at most once
// per activation of its frame (none inside a loop, no goto in the body, no
// suspending range over a function iterator, whose stop joins the deferred
// calls), the frame keeps each deferred call in fields of its own: the
// function value or the method's receiver and the arguments, evaluated at
// the defer statement as Go does, plus one bit per statement saying it ran
// (armed the call). runDefers calls the armed ones, last statement first.
// Such a statement can only run in source order, so that is the order they
// were armed in, and a defer costs no allocation (a func literal that
// captures variables still makes its closure). Otherwise the frame keeps a
// []func() and each defer appends a closure.

// staticDefer is a defer statement kept in frame fields.
type staticDefer struct {
	bit  int
	stmt *grammar.DeferStmt
	// fn is the field holding the function value (kind deferFunc) or the
	// receiver (deferMethod); "" when the call names its function
	// (deferNamed, deferBuiltin).
	fn     string
	fnType types.Type
	kind   deferKind
	method string // deferMethod: the method's name
	deref  bool   // deferMethod: the receiver is *x (a value method called through a pointer)
	args   []deferArg
	call   string // the call runDefers makes, set when the statement is written
}

type deferKind int

const (
	deferFunc    deferKind = iota // a function value kept in fn
	deferMethod                   // a method called on the receiver kept in fn
	deferNamed                    // a declared function, named again at the call
	deferBuiltin                  // a builtin, named again at the call
)

// deferArg is an argument of a static deferred call.
type deferArg struct {
	field string // the field holding it; "" for a constant written at the call
	typ   types.Type
}

// planDefers decides whether the tasklet's defer statements are kept in
// frame fields and names those fields.
func (l *lowerer) planDefers() {
	if !l.hasDefer || l.iterStop {
		return
	}
	var list []*grammar.DeferStmt
	inLoop := map[*grammar.DeferStmt]bool{}
	static := true
	markLoop := func(s grammar.Stmt) {
		if d, ok := s.(*grammar.DeferStmt); ok {
			inLoop[d] = true
		}
	}
	walkList(l.decl.Body.List, func(s grammar.Stmt) {
		switch s := s.(type) {
		case *grammar.ForStmt:
			walkStmt(s.Body, markLoop)
		case *grammar.RangeStmt:
			walkStmt(s.Body, markLoop)
		case *grammar.BranchStmt:
			if s.Tok == token.GOTO {
				static = false // a backward goto could run a defer twice
			}
		case *grammar.DeferStmt:
			list = append(list, s)
		}
	})
	if !static || len(list) == 0 || len(list) > 64 {
		return
	}
	var plan []*staticDefer
	for i, s := range list {
		if inLoop[s] {
			return
		}
		sd := l.planDefer(s)
		if sd == nil {
			return
		}
		sd.bit = i
		plan = append(plan, sd)
	}
	l.staticDefers = plan
	l.byDefer = map[*grammar.DeferStmt]*staticDefer{}
	for _, sd := range plan {
		l.byDefer[sd.stmt] = sd
	}
	l.armed = l.fresh("deferred")
	for _, sd := range plan {
		base := fmt.Sprintf("defer%d", sd.bit)
		if sd.fn != "" {
			sd.fn = l.fresh(base + sd.fn)
		}
		for i := range sd.args {
			if sd.args[i].field != "" {
				sd.args[i].field = l.fresh(fmt.Sprintf("%sArg%d", base, i))
			}
		}
	}
}

// planDefer returns how the frame keeps the call of s, or nil when it
// cannot be kept in fields.
func (l *lowerer) planDefer(s *grammar.DeferStmt) *staticDefer {
	c := s.Call
	dc := l.ti.defers[l.f.keyOf(c.Lparen)]
	if dc == nil || dc.fun.Type == nil {
		return nil
	}
	sd := &staticDefer{stmt: s}
	fun := ast.Unparen(c.Fun)
	var sig *types.Signature
	switch {
	case dc.fun.IsBuiltin():
		id, ok := fun.(*ast.Ident)
		if !ok || c.Ellipsis.IsValid() {
			return nil
		}
		switch id.Name {
		case "close", "delete", "print", "println", "panic", "copy", "clear":
		default:
			return nil // recover, for one, must not be kept
		}
		sd.kind = deferBuiltin
	case dc.method != nil && dc.recv != nil:
		recv, m := dc.recv, dc.method
		sig, _ = dc.fun.Type.Underlying().(*types.Signature)
		msig, _ := m.Type().(*types.Signature)
		if msig == nil || msig.Recv() == nil {
			return nil
		}
		_, ptrMethod := types.Unalias(msig.Recv().Type()).(*types.Pointer)
		ptr, ptrRecv := types.Unalias(recv).(*types.Pointer)
		switch {
		case types.IsInterface(recv) || !declaredOn(m, recv):
			// An interface's or a promoted method: keep the method value.
			if l.planFuncValue(sd, dc) == nil {
				return nil
			}
		case ptrMethod && !ptrRecv:
			// x.M takes &x: keep the method value, as Go binds it.
			if l.planFuncValue(sd, dc) == nil {
				return nil
			}
		case !ptrMethod && ptrRecv:
			sd.kind, sd.fn, sd.method = deferMethod, "Recv", m.Name()
			sd.fnType, sd.deref = ptr.Elem(), true
		default:
			sd.kind, sd.fn, sd.method = deferMethod, "Recv", m.Name()
			sd.fnType = recv
		}
	case l.namedFunc(fun):
		sd.kind = deferNamed
		sig, _ = dc.fun.Type.Underlying().(*types.Signature)
	default:
		if l.planFuncValue(sd, dc) == nil {
			return nil
		}
		sig, _ = dc.fun.Type.Underlying().(*types.Signature)
	}
	if sd.kind != deferBuiltin && sig == nil {
		return nil
	}
	if sd.fnType != nil && (localType(sd.fnType, l.ti.pkg) != "" || !l.spellable(sd.fnType)) {
		return nil
	}
	if len(dc.args) != len(c.Args) {
		return nil
	}
	for i, a := range c.Args {
		tv := dc.args[i]
		if tv.Type == nil {
			return nil
		}
		if _, tuple := tv.Type.(*types.Tuple); tuple {
			return nil // f(g()) with several results
		}
		arg := deferArg{field: "arg"}
		if tv.IsNil() || (tv.Value != nil && l.simpleConst(a)) {
			arg.field = "" // constant: written at the call
			sd.args = append(sd.args, arg)
			continue
		}
		if sd.kind == deferBuiltin {
			arg.typ = types.Default(tv.Type)
			if b, ok := arg.typ.(*types.Basic); ok && b.Info()&types.IsUntyped != 0 {
				return nil
			}
		} else {
			n := sig.Params().Len()
			switch {
			case sig.Variadic() && i >= n-1 && !c.Ellipsis.IsValid():
				sl, ok := sig.Params().At(n - 1).Type().Underlying().(*types.Slice)
				if !ok {
					return nil
				}
				arg.typ = sl.Elem()
			case i < n:
				arg.typ = sig.Params().At(i).Type()
			default:
				return nil
			}
		}
		if types.IsInterface(arg.typ) && !types.IsInterface(tv.Type) && !tv.IsNil() {
			// Keep the value itself: converting a copy of it when the call
			// runs gives the same interface value, and boxes nothing unless
			// the call runs.
			if own := types.Default(tv.Type); l.spellable(own) && localType(own, l.ti.pkg) == "" {
				arg.typ = own
			}
		}
		if localType(arg.typ, l.ti.pkg) != "" || !l.spellable(arg.typ) {
			return nil
		}
		sd.args = append(sd.args, arg)
	}
	return sd
}

// declaredOn reports whether m is declared on recv's type itself (T or *T),
// not promoted from an embedded field.
func declaredOn(m *types.Func, recv types.Type) bool {
	sig, _ := m.Type().(*types.Signature)
	if sig == nil || sig.Recv() == nil {
		return false
	}
	base := func(t types.Type) *types.Named {
		t = types.Unalias(t)
		if p, ok := t.(*types.Pointer); ok {
			t = types.Unalias(p.Elem())
		}
		n, _ := t.(*types.Named)
		if n != nil {
			n = n.Origin()
		}
		return n
	}
	a, b := base(sig.Recv().Type()), base(recv)
	return a != nil && a == b
}

// spellable reports whether the generated file can name t: it mentions no
// unexported type or member of another package.
func (l *lowerer) spellable(t types.Type) bool {
	seen := map[types.Type]bool{}
	var ok func(t types.Type) bool
	visible := func(obj types.Object) bool {
		return obj.Pkg() == nil || obj.Pkg() == l.ti.pkg || obj.Exported()
	}
	ok = func(t types.Type) bool {
		if seen[t] {
			return true
		}
		seen[t] = true
		switch t := t.(type) {
		case *types.Basic, *types.TypeParam:
			return true
		case *types.Alias:
			return visible(t.Obj()) && ok(types.Unalias(t))
		case *types.Named:
			if !visible(t.Obj()) {
				return false
			}
			for i := 0; i < t.TypeArgs().Len(); i++ {
				if !ok(t.TypeArgs().At(i)) {
					return false
				}
			}
			return true
		case *types.Pointer:
			return ok(t.Elem())
		case *types.Slice:
			return ok(t.Elem())
		case *types.Array:
			return ok(t.Elem())
		case *types.Chan:
			return ok(t.Elem())
		case *types.Map:
			return ok(t.Key()) && ok(t.Elem())
		case *types.Signature:
			return ok(t.Params()) && ok(t.Results())
		case *types.Tuple:
			for i := 0; i < t.Len(); i++ {
				if !ok(t.At(i).Type()) {
					return false
				}
			}
			return true
		case *types.Struct:
			for i := 0; i < t.NumFields(); i++ {
				if !visible(t.Field(i)) || !ok(t.Field(i).Type()) {
					return false
				}
			}
			return true
		case *types.Interface:
			for i := 0; i < t.NumExplicitMethods(); i++ {
				if !visible(t.ExplicitMethod(i)) || !ok(t.ExplicitMethod(i).Type()) {
					return false
				}
			}
			for i := 0; i < t.NumEmbeddeds(); i++ {
				if !ok(t.EmbeddedType(i)) {
					return false
				}
			}
			return true
		}
		return false
	}
	return ok(t)
}

// planFuncValue keeps the evaluated function value of the call in a field.
func (l *lowerer) planFuncValue(sd *staticDefer, dc *deferCall) *staticDefer {
	if _, ok := dc.fun.Type.Underlying().(*types.Signature); !ok {
		return nil
	}
	sd.kind, sd.fn, sd.fnType = deferFunc, "Func", dc.fun.Type
	return sd
}

// namedFunc reports whether e names a declared (non-method) function:
// naming it again when the deferred call runs gives the same function.
func (l *lowerer) namedFunc(e ast.Expr) bool {
	var id *ast.Ident
	switch e := e.(type) {
	case *ast.Ident:
		id = e
	case *ast.SelectorExpr:
		x, ok := e.X.(*ast.Ident)
		if !ok {
			return false
		}
		if _, ok := l.ti.object(l.f, x.Pos()).(*types.PkgName); !ok {
			return false
		}
		id = e.Sel
	default:
		return false
	}
	fn, ok := l.ti.object(l.f, id.Pos()).(*types.Func)
	if !ok {
		return false
	}
	sig, _ := fn.Type().(*types.Signature)
	return sig != nil && sig.Recv() == nil && sig.TypeParams() == nil
}

// simpleConst reports whether e is a constant that reads the same written
// anywhere in the frame's methods: a literal or the name of a constant.
func (l *lowerer) simpleConst(e ast.Expr) bool {
	switch e := ast.Unparen(e).(type) {
	case *ast.BasicLit:
		return true
	case *ast.Ident:
		switch l.ti.object(l.f, e.Pos()).(type) {
		case *types.Const, *types.Nil:
			return true
		}
	case *ast.UnaryExpr:
		return (e.Op == token.SUB || e.Op == token.ADD) && l.simpleConst(e.X)
	}
	return false
}

// writeStaticDefer writes a defer statement kept in frame fields: the
// function value or receiver and the arguments are evaluated now, and the
// call is armed.
func (l *lowerer) writeStaticDefer(w *fnWriter, sd *staticDefer) {
	c := sd.stmt.Call
	f := l.fname
	var lhs, rhs, args []string
	switch sd.kind {
	case deferFunc:
		lhs, rhs = append(lhs, f+"."+sd.fn), append(rhs, l.expr(c.Fun))
	case deferMethod:
		x := l.expr(ast.Unparen(c.Fun).(*ast.SelectorExpr).X)
		if sd.deref {
			x = "*" + x
		}
		lhs, rhs = append(lhs, f+"."+sd.fn), append(rhs, x)
	}
	for i, a := range sd.args {
		if a.field == "" {
			args = append(args, l.expr(c.Args[i]))
			continue
		}
		lhs, rhs = append(lhs, f+"."+a.field), append(rhs, l.expr(c.Args[i]))
		args = append(args, f+"."+a.field)
	}
	var fun string
	switch sd.kind {
	case deferFunc:
		fun = f + "." + sd.fn
	case deferMethod:
		fun = f + "." + sd.fn + "." + sd.method
	default:
		fun = l.expr(c.Fun)
	}
	ell := ""
	if c.Ellipsis.IsValid() {
		ell = "..."
	}
	sd.call = fmt.Sprintf("%s(%s%s)", fun, strings.Join(args, ", "), ell)
	if len(lhs) > 0 {
		w.printf("%s = %s\n", strings.Join(lhs, ", "), strings.Join(rhs, ", "))
	}
	w.printf("%s.%s |= %s // armed: runDefers calls %s\n", f, l.armed, bitMask(sd.bit), sd.call)
}

// bitMask spells the mask of bit k.
func bitMask(k int) string {
	if k == 0 {
		return "1"
	}
	return fmt.Sprintf("1 << %d", k)
}

// armType is the type of the field holding n armed bits.
func armType(n int) string {
	switch {
	case n <= 8:
		return "uint8"
	case n <= 16:
		return "uint16"
	case n <= 32:
		return "uint32"
	}
	return "uint64"
}

// writeStaticDeferFields writes the frame fields of the static defers.
func (l *lowerer) writeStaticDeferFields(b *bytes.Buffer) {
	for _, sd := range l.staticDefers {
		at := fmt.Sprintf("%s:%d:%d", l.f.base, sd.stmt.Pos.Line, sd.stmt.Pos.Column)
		switch sd.kind {
		case deferFunc:
			fmt.Fprintf(b, "%s %s // the deferred function, %s\n", sd.fn, l.typeString(sd.fnType), at)
		case deferMethod:
			fmt.Fprintf(b, "%s %s // the receiver of the deferred %s, %s\n", sd.fn, l.typeString(sd.fnType), sd.method, at)
		}
		for i, a := range sd.args {
			if a.field != "" {
				fmt.Fprintf(b, "%s %s // argument %d of the deferred call, %s\n", a.field, l.typeString(a.typ), i+1, at)
			}
		}
	}
}

// writeStaticRunDefers writes runDefers for static defers: the armed calls,
// last first, each disarmed before it runs.
func (l *lowerer) writeStaticRunDefers(b *bytes.Buffer) {
	f := l.fname
	fmt.Fprintf(b, "// runDefers runs the armed deferred calls, last first.\nfunc (%s *%s) runDefers() {\n", f, l.frame)
	for i := len(l.staticDefers) - 1; i >= 0; i-- {
		sd := l.staticDefers[i]
		if sd.call == "" {
			continue // the statement was never written: it cannot be armed
		}
		m := bitMask(sd.bit)
		test := m
		if sd.bit > 0 {
			test = "(" + m + ")"
		}
		fmt.Fprintf(b, "if %s.%s&%s != 0 {\n%s.%s &^= %s\n%s\n}\n", f, l.armed, test, f, l.armed, m, sd.call)
	}
	fmt.Fprintf(b, "}\n\n")
}
