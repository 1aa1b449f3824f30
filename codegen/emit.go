package codegen

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/token"
	"go/types"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/tskc-lang/tskc/grammar"
	rtpkg "github.com/tskc-lang/tskc/runtime"
)

// genMarker is the placeholder of a //line directive back to the
// generated file; fixLines puts the real line in once the file is formatted.
const genMarker = "//line tskc:generated:1"

// fnWriter accumulates the Go code of a function body.
type fnWriter struct {
	l      *lowerer
	b      strings.Builder
	dry    bool     // only collect jumps
	jumps  []string // labels jumped to (dry runs)
	mapped bool     // the last //line directive points into the .tsk file
}

func (w *fnWriter) printf(format string, args ...any) {
	if w.dry {
		return
	}
	fmt.Fprintf(&w.b, format, args...)
}

// at maps the next line to a .tsk position.
func (w *fnWriter) at(p grammar.Pos) {
	if w.dry || !p.IsValid() {
		return
	}
	w.newline()
	fmt.Fprintf(&w.b, "//line %s:%d:%d\n", w.l.f.base, p.Line, p.Column)
	w.mapped = true
}

// newline ends the current line unless it is empty: a //line directive
// must start a line.
func (w *fnWriter) newline() {
	if s := w.b.String(); len(s) > 0 && s[len(s)-1] != '\n' {
		w.b.WriteString("\n")
	}
}

// gen maps the next line back to the generated file.
func (w *fnWriter) gen() {
	if w.dry || !w.mapped {
		return
	}
	w.newline()
	w.b.WriteString(genMarker + "\n")
	w.mapped = false
}

// jump writes a goto to a label of the flat code.
func (w *fnWriter) jump(label string) {
	w.jumps = append(w.jumps, label)
	w.printf("goto %s\n", label)
}

// ---- expressions -----------------------------------------------------------

// expr renders a Go expression of the tasklet in generated code.
func (l *lowerer) expr(e ast.Node) string {
	if e == nil || isNilNode(e) {
		return ""
	}
	return l.f.render(e, l.rewrite, l.timeName, false)
}

func (l *lowerer) timeName() string { return l.imp.timeName(true) }

// rewrite renders locals as frame fields or their hoisted names and the
// predeclared names as the runtime's.
func (l *lowerer) rewrite(n ast.Node, stack []ast.Node) (string, bool) {
	if e, ok := n.(ast.Expr); ok && e != l.raw {
		if h := l.hoist[e]; h != nil {
			return l.hoistedText(h), true
		}
	}
	if fl, ok := n.(*ast.FuncLit); ok {
		if len(l.inCell) == 0 {
			return l.closure(fl)
		}
		return "", false
	}
	if c, ok := n.(*ast.CallExpr); ok && l.hasDefer && l.isRecover(c) {
		return l.fname + ".recover()", true
	}
	id, ok := n.(*ast.Ident)
	if !ok {
		return "", false
	}
	if id.Name == "Channel" && isChannelMake(id, stack) {
		return l.rt + ".NewChannel", true
	}
	obj := l.ti.object(l.f, id.Pos())
	if obj == nil {
		return "", false
	}
	if name, ok := l.ti.predeclared[obj]; ok {
		if name == "self" {
			return l.tname, true
		}
		return predeclaredGo(name, l.rt, stack, id), true
	}
	if v := l.byObj[obj]; v != nil {
		return l.vexpr(v), true
	}
	if name, ok := l.renamed[obj]; ok {
		return name, true
	}
	return "", false
}

// predeclaredGo is the Go spelling of a predeclared name.
func predeclaredGo(name, rt string, stack []ast.Node, id *ast.Ident) string {
	switch name {
	case "Tasklet", "Mailbox", "Channel":
		s := "*" + rt + "." + name
		if len(stack) > 0 {
			if c, ok := stack[len(stack)-1].(*ast.CallExpr); ok && c.Fun == id {
				return "(" + s + ")"
			}
		}
		return s
	}
	return rt + "." + name
}

// vexpr renders a variable.
func (l *lowerer) vexpr(v *variable) string {
	if v == nil {
		return "_"
	}
	if v.boxed {
		if l.inCell[v] {
			return "(*" + v.name + ")"
		}
		return "(*" + l.fname + "." + v.name + ")"
	}
	if v.field {
		return l.fname + "." + v.name
	}
	return v.name
}

// cell renders the pointer to a boxed variable's current cell.
func (l *lowerer) cell(v *variable) string { return l.fname + "." + v.name }

// newCells writes the allocation of fresh cells for the boxed variables a
// declaration (re)declares: each execution makes new variables, as in Go.
func (l *lowerer) newCells(w *fnWriter, vs ...*variable) {
	for _, v := range vs {
		if v != nil && v.boxed {
			w.printf("%s = new(%s)\n", l.cell(v), l.typeString(v.typ))
		}
	}
}

// closure renders a func literal that captures boxed variables: the cells
// are bound when the literal is evaluated, so each closure keeps the
// variables of its own iteration.
func (l *lowerer) closure(fl *ast.FuncLit) (string, bool) {
	var boxed []*variable
	seen := map[*variable]bool{}
	ast.Inspect(fl.Body, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			if obj := l.ti.object(l.f, id.Pos()); obj != nil {
				if v := l.byObj[obj]; v != nil && v.boxed && !seen[v] && !l.inCell[v] {
					seen[v] = true
					boxed = append(boxed, v)
				}
			}
		}
		return true
	})
	if len(boxed) == 0 {
		return "", false
	}
	var params, args []string
	for _, v := range boxed {
		params = append(params, v.name+" *"+l.typeString(v.typ))
		args = append(args, l.cell(v))
		l.inCell[v] = true
	}
	inner := l.expr(fl)
	for _, v := range boxed {
		delete(l.inCell, v)
	}
	return fmt.Sprintf("func(%s) %s {\nreturn %s\n}(%s)", strings.Join(params, ", "), l.expr(fl.Type), inner, strings.Join(args, ", ")), true
}

// typeString spells a type in the generated file.
func (l *lowerer) typeString(t types.Type) string {
	return l.g.typeString(t, l.imp)
}

func (g *generator) typeString(t types.Type, imp *importSet) string {
	var b strings.Builder
	g.writeType(&b, t, imp)
	return b.String()
}

func (g *generator) qualify(p *types.Package, imp *importSet) string {
	if p == nil || p == g.info.pkg {
		return ""
	}
	return imp.add(p.Path(), p.Name()) + "."
}

func (g *generator) writeType(b *strings.Builder, t types.Type, imp *importSet) {
	switch t := t.(type) {
	case *types.Alias:
		if _, ok := g.info.predeclared[t.Obj()]; ok {
			g.writeType(b, types.Unalias(t), imp)
			return
		}
		b.WriteString(g.qualify(t.Obj().Pkg(), imp) + t.Obj().Name())
		g.writeTypeArgs(b, t.TypeArgs(), imp)
	case *types.Named:
		b.WriteString(g.qualify(t.Obj().Pkg(), imp) + t.Obj().Name())
		g.writeTypeArgs(b, t.TypeArgs(), imp)
	case *types.Basic:
		switch t.Kind() {
		case types.UntypedBool:
			b.WriteString("bool")
		case types.UntypedInt:
			b.WriteString("int")
		case types.UntypedRune:
			b.WriteString("rune")
		case types.UntypedFloat:
			b.WriteString("float64")
		case types.UntypedComplex:
			b.WriteString("complex128")
		case types.UntypedString:
			b.WriteString("string")
		case types.UnsafePointer:
			b.WriteString(imp.add("unsafe", "unsafe") + ".Pointer")
		default:
			b.WriteString(t.Name())
		}
	case *types.Pointer:
		b.WriteString("*")
		g.writeType(b, t.Elem(), imp)
	case *types.Slice:
		b.WriteString("[]")
		g.writeType(b, t.Elem(), imp)
	case *types.Array:
		fmt.Fprintf(b, "[%d]", t.Len())
		g.writeType(b, t.Elem(), imp)
	case *types.Map:
		b.WriteString("map[")
		g.writeType(b, t.Key(), imp)
		b.WriteString("]")
		g.writeType(b, t.Elem(), imp)
	case *types.Chan:
		switch t.Dir() {
		case types.SendRecv:
			b.WriteString("chan ")
		case types.SendOnly:
			b.WriteString("chan<- ")
		case types.RecvOnly:
			b.WriteString("<-chan ")
		}
		g.writeType(b, t.Elem(), imp)
	case *types.Signature:
		b.WriteString("func")
		g.writeSig(b, t, imp)
	case *types.Struct:
		b.WriteString("struct{")
		for i := 0; i < t.NumFields(); i++ {
			if i > 0 {
				b.WriteString("; ")
			}
			fd := t.Field(i)
			if !fd.Embedded() {
				b.WriteString(fd.Name() + " ")
			}
			g.writeType(b, fd.Type(), imp)
			if tag := t.Tag(i); tag != "" {
				b.WriteString(" " + strconv.Quote(tag))
			}
		}
		b.WriteString("}")
	case *types.Interface:
		if t.NumMethods() == 0 && t.NumEmbeddeds() == 0 {
			b.WriteString("any")
			return
		}
		b.WriteString("interface{")
		first := true
		for i := 0; i < t.NumEmbeddeds(); i++ {
			if !first {
				b.WriteString("; ")
			}
			first = false
			g.writeType(b, t.EmbeddedType(i), imp)
		}
		for i := 0; i < t.NumExplicitMethods(); i++ {
			if !first {
				b.WriteString("; ")
			}
			first = false
			m := t.ExplicitMethod(i)
			b.WriteString(m.Name())
			g.writeSig(b, m.Type().(*types.Signature), imp)
		}
		b.WriteString("}")
	case *types.Union:
		for i := 0; i < t.Len(); i++ {
			if i > 0 {
				b.WriteString(" | ")
			}
			if t.Term(i).Tilde() {
				b.WriteString("~")
			}
			g.writeType(b, t.Term(i).Type(), imp)
		}
	case *types.TypeParam:
		b.WriteString(t.Obj().Name())
	default:
		b.WriteString(types.TypeString(t, func(p *types.Package) string {
			return strings.TrimSuffix(g.qualify(p, imp), ".")
		}))
	}
}

func (g *generator) writeTypeArgs(b *strings.Builder, l *types.TypeList, imp *importSet) {
	if l == nil || l.Len() == 0 {
		return
	}
	b.WriteString("[")
	for i := 0; i < l.Len(); i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		g.writeType(b, l.At(i), imp)
	}
	b.WriteString("]")
}

func (g *generator) writeSig(b *strings.Builder, s *types.Signature, imp *importSet) {
	b.WriteString("(")
	for i := 0; i < s.Params().Len(); i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		t := s.Params().At(i).Type()
		if s.Variadic() && i == s.Params().Len()-1 {
			b.WriteString("...")
			t = t.(*types.Slice).Elem()
		}
		g.writeType(b, t, imp)
	}
	b.WriteString(")")
	switch s.Results().Len() {
	case 0:
	case 1:
		b.WriteString(" ")
		g.writeType(b, s.Results().At(0).Type(), imp)
	default:
		b.WriteString(" (")
		for i := 0; i < s.Results().Len(); i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			g.writeType(b, s.Results().At(i).Type(), imp)
		}
		b.WriteString(")")
	}
}

// zero is the zero value of t.
func (l *lowerer) zero(t types.Type) string {
	switch u := t.Underlying().(type) {
	case *types.Basic:
		switch {
		case u.Info()&types.IsBoolean != 0:
			return "false"
		case u.Info()&types.IsString != 0:
			return `""`
		case u.Info()&types.IsNumeric != 0:
			return "0"
		}
		return "nil"
	case *types.Struct, *types.Array:
		return l.typeString(t) + "{}"
	case *types.TypeParam:
		return "*new(" + l.typeString(t) + ")"
	}
	return "nil"
}

// hasPointers reports whether values of t hold pointers the GC follows.
func hasPointers(t types.Type) bool {
	switch u := t.Underlying().(type) {
	case *types.Basic:
		return u.Info()&types.IsString != 0 || u.Kind() == types.UnsafePointer
	case *types.Struct:
		for i := 0; i < u.NumFields(); i++ {
			if hasPointers(u.Field(i).Type()) {
				return true
			}
		}
		return false
	case *types.Array:
		return u.Len() > 0 && hasPointers(u.Elem())
	}
	return true
}

// ---- structured statements -------------------------------------------------

// structuredList writes statements nested in a structured statement.
func (l *lowerer) structuredList(w *fnWriter, list []grammar.Stmt, ctx []*target, depth int) {
	for _, s := range list {
		l.structured(w, s, ctx, depth, false)
	}
}

// simpleText renders a simple statement; flat turns := into = (the
// variables are hoisted).
func (l *lowerer) simpleText(s grammar.Stmt, flat bool) string {
	ss, ok := s.(*grammar.SimpleStmt)
	if !ok {
		return ""
	}
	if a, ok := ss.S.(*ast.AssignStmt); ok && a.Tok == token.DEFINE && flat {
		var cells strings.Builder
		for _, e := range a.Lhs {
			if v := l.varOf(e); v != nil && v.boxed && l.ti.defs[l.f.keyOf(e.Pos())] != nil {
				fmt.Fprintf(&cells, "%s = new(%s)\n", l.cell(v), l.typeString(v.typ))
			}
		}
		var lhs, rhs []string
		for _, e := range a.Lhs {
			lhs = append(lhs, l.expr(e))
		}
		for _, e := range a.Rhs {
			rhs = append(rhs, l.expr(e))
		}
		return cells.String() + strings.Join(lhs, ", ") + " = " + strings.Join(rhs, ", ")
	}
	return l.expr(ss.S)
}

// structured writes a statement without suspension points as Go code;
// flat says it sits at the flat level (its declarations are hoisted).
func (l *lowerer) structured(w *fnWriter, s grammar.Stmt, ctx []*target, depth int, flat bool) {
	switch s := s.(type) {
	case *grammar.SimpleStmt:
		w.at(s.Pos)
		w.printf("%s\n", l.simpleText(s, flat))
	case *grammar.DeclStmt:
		w.at(s.Pos)
		if flat && s.Decl.Tok == token.VAR {
			for _, sp := range s.Decl.Specs {
				vs := sp.(*ast.ValueSpec)
				var names []string
				for _, n := range vs.Names {
					names = append(names, l.expr(n))
					if v := l.varOf(n); v != nil {
						l.newCells(w, v)
					}
				}
				if len(vs.Values) > 0 {
					var vals []string
					for _, e := range vs.Values {
						vals = append(vals, l.expr(e))
					}
					w.printf("%s = %s\n", strings.Join(names, ", "), strings.Join(vals, ", "))
					continue
				}
				for _, n := range vs.Names {
					if n.Name == "_" {
						continue
					}
					if obj := l.ti.defs[l.f.keyOf(n.Pos())]; obj != nil {
						w.printf("%s = %s\n", l.expr(n), l.zero(obj.Type()))
					}
				}
			}
			return
		}
		w.printf("%s\n", l.expr(s.Decl))
	case *grammar.ReturnStmt:
		w.at(s.Pos)
		l.writeReturnDepth(w, s.Results, depth)
	case *grammar.BranchStmt:
		w.at(s.Pos)
		l.branch(w, s, ctx, depth)
	case *grammar.DeferStmt:
		w.at(s.Pos)
		l.writeDefer(w, s)
	case *grammar.GoStmt:
		w.at(s.Pos)
		w.printf("go %s\n", l.expr(s.Call))
	case *grammar.BlockStmt:
		w.printf("{\n")
		l.structuredList(w, s.List, ctx, depth)
		w.printf("}\n")
	case *grammar.IfStmt:
		l.structuredIf(w, s, ctx, depth)
		w.printf("\n")
	case *grammar.ForStmt:
		w.at(s.Pos)
		w.printf("for ")
		if s.Init != nil || s.Post != nil {
			w.printf("%s; %s; %s", l.simpleText(s.Init, false), l.expr(s.Cond), l.simpleText(s.Post, false))
		} else if s.Cond != nil {
			w.printf("%s", l.expr(s.Cond))
		}
		w.printf(" {\n")
		l.structuredList(w, s.Body.List, append(ctx, &target{label: labelOf(ctx, s), loop: true, depth: depth}), depth)
		w.printf("}\n")
	case *grammar.RangeStmt:
		w.at(s.Pos)
		w.printf("for ")
		if s.Key != nil {
			w.printf("%s", l.expr(s.Key))
			if s.Value != nil {
				w.printf(", %s", l.expr(s.Value))
			}
			w.printf(" %s ", s.Tok)
		}
		w.printf("range %s {\n", l.expr(s.X))
		l.structuredList(w, s.Body.List, append(ctx, &target{label: labelOf(ctx, s), loop: true, depth: depth}), depth)
		w.printf("}\n")
	case *grammar.SwitchStmt:
		w.at(s.Pos)
		w.printf("switch ")
		if s.Init != nil {
			w.printf("%s; ", l.simpleText(s.Init, false))
		}
		w.printf("%s {\n", l.expr(s.Tag))
		l.structuredClauses(w, s.Cases, append(ctx, &target{label: labelOf(ctx, s), depth: depth}), depth)
		w.printf("}\n")
	case *grammar.TypeSwitchStmt:
		w.at(s.Pos)
		w.printf("switch ")
		if s.Init != nil {
			w.printf("%s; ", l.simpleText(s.Init, false))
		}
		if s.Bind != nil {
			// Each clause has its own implicit variable; one Go binding
			// serves them all, so they must share its name.
			var vars []*variable
			inFrame := false
			for _, c := range s.Cases {
				if obj := l.ti.implicits[l.f.keyAt(c.Pos)]; obj != nil {
					if v := l.byObj[obj]; v != nil {
						vars = append(vars, v)
						inFrame = inFrame || v.field
					}
				}
			}
			name := s.Bind.Name
			if len(vars) > 0 {
				name = vars[0].name
			}
			if !inFrame {
				for _, v := range vars {
					v.name = name
				}
			}
			w.printf("%s := ", name)
		}
		w.printf("(%s).(type) {\n", l.expr(s.X))
		l.structuredClauses(w, s.Cases, append(ctx, &target{label: labelOf(ctx, s), depth: depth}), depth)
		w.printf("}\n")
	case *grammar.LabeledStmt:
		w.printf("%s:\n", s.Label.Name)
		l.structured(w, s.Stmt, append(ctx, &target{label: "#" + s.Label.Name}), depth, flat)
	case *grammar.EmptyStmt:
	case *grammar.SpawnStmt:
		w.at(s.Pos)
		l.writeSpawn(w, s, flat)
	case *grammar.QuitStmt:
		w.at(s.Pos)
		code := "0"
		if s.Code != nil {
			code = l.expr(s.Code)
		}
		w.printf("return %s.Quit(%s)\n", l.tname, code)
	case *grammar.DeadlineStmt:
		// No blocking operation inside: the deadline bounds nothing.
		w.at(s.Pos)
		w.printf("_ = %s\n", l.expr(s.Duration))
		w.printf("{\n")
		l.structuredList(w, s.Body.List, ctx, depth)
		w.printf("}\n")
	default:
		panic(fmt.Sprintf("codegen: %T cannot be structured", s))
	}
}

// labelOf returns the user label of statement s when the last context
// entry is the label marker a LabeledStmt pushed.
func labelOf(ctx []*target, s grammar.Stmt) string {
	if len(ctx) > 0 && strings.HasPrefix(ctx[len(ctx)-1].label, "#") {
		return ctx[len(ctx)-1].label[1:]
	}
	return ""
}

func (l *lowerer) structuredIf(w *fnWriter, s *grammar.IfStmt, ctx []*target, depth int) {
	w.at(s.Pos)
	w.printf("if ")
	if s.Init != nil {
		w.printf("%s; ", l.simpleText(s.Init, false))
	}
	w.printf("%s {\n", l.expr(s.Cond))
	l.structuredList(w, s.Then.List, ctx, depth)
	w.printf("}")
	switch e := s.Else.(type) {
	case *grammar.IfStmt:
		w.printf(" else ")
		l.structuredIf(w, e, ctx, depth)
	case *grammar.BlockStmt:
		w.printf(" else {\n")
		l.structuredList(w, e.List, ctx, depth)
		w.printf("}")
	}
}

func (l *lowerer) structuredClauses(w *fnWriter, cs []*grammar.CaseClause, ctx []*target, depth int) {
	for _, c := range cs {
		if c.List == nil {
			w.printf("default:\n")
		} else {
			var es []string
			for _, e := range c.List {
				es = append(es, l.expr(e))
			}
			w.printf("case %s:\n", strings.Join(es, ", "))
		}
		l.structuredList(w, c.Body, ctx, depth)
	}
}

// branch writes break, continue, goto or fallthrough.
func (l *lowerer) branch(w *fnWriter, s *grammar.BranchStmt, ctx []*target, depth int) {
	var tg *target
	switch s.Tok {
	case token.GOTO:
		// A goto out of ranges over function iterators stops them.
		for i := len(ctx) - 1; i >= 0; i-- {
			if c := ctx[i]; c.stop != nil && !c.inBody[s.Label.Name] {
				l.writeStop(w, c.stop, c.keepDefer)
			}
		}
		w.jump(s.Label.Name)
		return
	case token.FALLTHROUGH:
		w.printf("fallthrough\n")
		return
	}
	for i := len(ctx) - 1; i >= 0; i-- {
		c := ctx[i]
		if strings.HasPrefix(c.label, "#") {
			continue
		}
		if s.Label != nil {
			if c.label == s.Label.Name {
				tg = c
				break
			}
			continue
		}
		if s.Tok == token.CONTINUE && !c.loop {
			continue
		}
		tg = c
		break
	}
	if tg == nil || !tg.flat {
		if s.Label != nil {
			w.printf("%s %s\n", s.Tok, s.Label.Name)
		} else {
			w.printf("%s\n", s.Tok)
		}
		return
	}
	for i := tg.depth; i < depth; i++ {
		w.printf("%s.PopDeadline()\n", l.tname)
	}
	// Leaving ranges over function iterators stops them, innermost first.
	for i := len(ctx) - 1; i >= 0 && ctx[i] != tg; i-- {
		if ctx[i].stop != nil {
			l.writeStop(w, ctx[i].stop, ctx[i].keepDefer)
		}
	}
	if s.Tok == token.BREAK {
		w.jump(tg.brk)
	} else {
		w.jump(tg.cont)
	}
}

// writeSpawn writes a spawn statement.
func (l *lowerer) writeSpawn(w *fnWriter, s *grammar.SpawnStmt, flat bool) {
	t, rt := l.tname, l.rt
	lhs := ""
	if len(s.Result.Lhs) == 1 {
		tok := s.Result.Tok.String()
		if flat {
			tok = "="
			if s.Result.Tok == token.DEFINE {
				l.newCells(w, l.varOf(s.Result.Lhs[0]))
			}
		}
		lhs = l.expr(s.Result.Lhs[0]) + " " + tok + " "
	}
	var opts []string
	for _, o := range s.Options {
		switch o.Key.Name {
		case "name":
			opts = append(opts, "Name: "+l.expr(o.Value))
		case "daemon":
			opts = append(opts, "Daemon: "+l.expr(o.Value))
		case "mailbox":
			opts = append(opts, "Mailbox: "+l.expr(o.Value))
		}
	}
	options := rt + ".Options{" + strings.Join(opts, ", ") + "}"
	if s.Kind == grammar.SpawnPlain {
		w.printf("%s%s.Spawn(%s, %s)\n", lhs, t, l.expr(s.Call), options)
		return
	}
	// The arguments are evaluated now; each run makes a fresh frame.
	c := s.Call
	var sig *types.Signature
	var funObj types.Object
	switch fn := c.Fun.(type) {
	case *ast.Ident:
		funObj = l.ti.object(l.f, fn.Pos())
	case *ast.SelectorExpr:
		funObj = l.ti.object(l.f, fn.Sel.Pos())
	}
	if funObj != nil {
		sig, _ = funObj.Type().(*types.Signature)
	}
	supplied := 0
	param := ""
	switch s.Kind {
	case grammar.SpawnRate:
		supplied, param = 1, "now "+l.imp.timeName(true)+".Time"
	case grammar.SpawnReceiver:
		supplied, param = 1, "msg any"
	}
	var names, types_, vals []string
	for i, a := range c.Args {
		names = append(names, fmt.Sprintf("a%d", i))
		vals = append(vals, l.expr(a))
		pt := "any"
		if sig != nil && i+supplied < sig.Params().Len() {
			p := sig.Params().At(i + supplied).Type()
			if sig.Variadic() && i+supplied == sig.Params().Len()-1 && !c.Ellipsis.IsValid() {
				p = p.(*types.Slice).Elem()
			}
			pt = l.typeString(p)
		}
		types_ = append(types_, pt)
	}
	var callArgs []string
	switch s.Kind {
	case grammar.SpawnRate:
		callArgs = append(callArgs, "now")
	case grammar.SpawnReceiver:
		callArgs = append(callArgs, "msg")
	}
	callArgs = append(callArgs, names...)
	ell := ""
	if c.Ellipsis.IsValid() {
		ell = "..."
	}
	fun := l.expr(c.Fun)
	mkType := "func(" + strings.TrimPrefix(strings.TrimSuffix(strings.SplitN(param+" ", " ", 2)[1], " "), " ") + ") " + rt + ".Frame"
	mk := fmt.Sprintf("func(%s) %s.Frame { return %s(%s%s) }", param, rt, fun, strings.Join(callArgs, ", "), ell)
	if len(names) > 0 {
		var ps []string
		for i := range names {
			ps = append(ps, names[i]+" "+types_[i])
		}
		mk = fmt.Sprintf("func(%s) %s {\nreturn %s\n}(%s)", strings.Join(ps, ", "), mkType, mk, strings.Join(vals, ", "))
	}
	switch s.Kind {
	case grammar.SpawnAfter:
		w.printf("%s%s.SpawnAfter(%s, %s, %s)\n", lhs, t, l.expr(s.Arg), mk, options)
	case grammar.SpawnLoop:
		w.printf("%s%s.SpawnLoop(%s, %s)\n", lhs, t, mk, options)
	case grammar.SpawnEvery:
		w.printf("%s%s.SpawnEvery(%s, %v, %s, %s)\n", lhs, t, l.expr(s.Arg), s.Now, mk, options)
	case grammar.SpawnRate:
		w.printf("%s%s.SpawnRate(float64(%s), %s, %s)\n", lhs, t, l.expr(s.Arg), mk, options)
	case grammar.SpawnReceiver:
		w.printf("%s%s.SpawnReceiver(%s, %s)\n", lhs, t, mk, options)
	}
}

// terminates reports whether a statement never completes normally (Go's
// terminating statements, conservatively).
func (l *lowerer) terminates(s grammar.Stmt) bool {
	switch s := s.(type) {
	case *grammar.ReturnStmt, *grammar.QuitStmt:
		return true
	case *grammar.BranchStmt:
		return s.Tok != token.FALLTHROUGH
	case *grammar.SimpleStmt:
		if es, ok := s.S.(*ast.ExprStmt); ok {
			if c, ok := es.X.(*ast.CallExpr); ok {
				if id, ok := c.Fun.(*ast.Ident); ok && id.Name == "panic" {
					_, builtin := l.ti.object(l.f, id.Pos()).(*types.Builtin)
					return builtin
				}
			}
		}
	case *grammar.BlockStmt:
		return len(s.List) > 0 && l.terminates(s.List[len(s.List)-1])
	case *grammar.IfStmt:
		return s.Else != nil && l.terminates(s.Then) && l.terminates(s.Else)
	case *grammar.LabeledStmt:
		return l.terminates(s.Stmt)
	case *grammar.ForStmt:
		return s.Cond == nil && !hasBreak(s.Body.List)
	}
	return false
}

// terminatesList reports whether a statement list ends in a terminating
// statement (and has no break that could leave it).
func (l *lowerer) terminatesList(list []grammar.Stmt) bool {
	return len(list) > 0 && l.terminates(list[len(list)-1]) && !hasBreak(list)
}

// hasBreak reports whether a break (or labelled branch) occurs anywhere in list.
func hasBreak(list []grammar.Stmt) bool {
	found := false
	walkList(list, func(s grammar.Stmt) {
		if b, ok := s.(*grammar.BranchStmt); ok && (b.Tok == token.BREAK || b.Label != nil) {
			found = true
		}
		switch s.(type) {
		case *grammar.ReceiveSwitchStmt, *grammar.SelectStmt:
			found = true // conservative
		}
	})
	return found
}

// ---- clean-up and liveness -------------------------------------------------

// cleanup removes jumps to the next label, code that cannot be reached and
// labels nothing jumps to.
func (l *lowerer) cleanup() {
	for changed := true; changed; {
		changed = false
		refs := map[string]bool{}
		for _, it := range l.items {
			for _, j := range it.jumps {
				refs[j] = true
			}
		}
		var out []*item
		dead := false
		for i, it := range l.items {
			isLabel := it.code == nil && it.label != ""
			if isLabel {
				if it.resume == 0 && !refs[it.label] {
					changed = true
					continue
				}
				dead = false
				out = append(out, it)
				continue
			}
			if it.userLabel != "" && refs[it.userLabel] {
				dead = false
			}
			if dead {
				changed = true
				continue
			}
			if it.isJump {
				// goto to a label that follows directly
				j := i + 1
				for j < len(l.items) && l.items[j].code == nil && l.items[j].label != "" && l.items[j].label != it.jumps[0] {
					j++
				}
				if j < len(l.items) && l.items[j].code == nil && l.items[j].label == it.jumps[0] {
					changed = true
					continue
				}
			}
			out = append(out, it)
			if it.term {
				dead = true
			}
		}
		l.items = out
	}
}

type bitset []uint64

func newBitset(n int) bitset       { return make(bitset, (n+63)/64) }
func (b bitset) set(i int)         { b[i/64] |= 1 << (i % 64) }
func (b bitset) has(i int) bool    { return b[i/64]&(1<<(i%64)) != 0 }
func (b bitset) copyFrom(c bitset) { copy(b, c) }
func (b bitset) equal(c bitset) bool {
	for i := range b {
		if b[i] != c[i] {
			return false
		}
	}
	return true
}

// tracked reports whether liveness tracks v (locals of the flat level).
func tracked(v *variable) bool { return v.flat || v.param }

// liveness decides which variables live in the frame and which dead
// pointer fields each suspension point clears.
func (l *lowerer) liveness() {
	n := len(l.items)
	nv := len(l.vars)
	labelIdx := map[string]int{}
	for i, it := range l.items {
		if it.code == nil && it.label != "" {
			labelIdx[it.label] = i
		}
		if it.userLabel != "" {
			labelIdx[it.userLabel] = i
		}
	}
	succ := make([][]int, n)
	for i, it := range l.items {
		if !it.term && i+1 < n {
			succ[i] = append(succ[i], i+1)
		}
		for _, j := range it.jumps {
			if k, ok := labelIdx[j]; ok {
				succ[i] = append(succ[i], k)
			}
		}
	}
	use := make([]bitset, n)
	def := make([]bitset, n)
	for i, it := range l.items {
		use[i], def[i] = newBitset(nv), newBitset(nv)
		for _, v := range it.uses {
			if tracked(v) {
				use[i].set(v.index)
			}
		}
		for _, v := range it.defs {
			if tracked(v) && !use[i].has(v.index) {
				def[i].set(v.index)
			}
		}
	}
	in := make([]bitset, n)
	out := make([]bitset, n)
	for i := range in {
		in[i], out[i] = newBitset(nv), newBitset(nv)
	}
	tmp := newBitset(nv)
	for changed := true; changed; {
		changed = false
		for i := n - 1; i >= 0; i-- {
			for k := range out[i] {
				out[i][k] = 0
			}
			for _, s := range succ[i] {
				for k := range out[i] {
					out[i][k] |= in[s][k]
				}
			}
			for k := range tmp {
				tmp[k] = use[i][k] | out[i][k]&^def[i][k]
			}
			if !tmp.equal(in[i]) {
				in[i].copyFrom(tmp)
				changed = true
			}
		}
	}
	across := map[int]bitset{}
	for i, it := range l.items {
		if it.resume > 0 {
			across[it.resume] = in[i]
			for _, v := range l.vars {
				if in[i].has(v.index) {
					v.field = true
				}
			}
		}
	}
	for _, v := range l.vars {
		if v.param && v.name != "_" || v.forced || v.flat && v.pinned && l.nres > 0 {
			v.field = true
		}
	}
	// Forward: which pointer fields may hold a value at each point.
	if l.nres == 0 {
		return
	}
	maybe := make([]bitset, n)
	for i := range maybe {
		maybe[i] = newBitset(nv)
	}
	entry := newBitset(nv)
	for _, v := range l.vars {
		if v.param && v.field {
			entry.set(v.index)
		}
	}
	cand := newBitset(nv)
	for _, v := range l.vars {
		if v.field && !v.pinned && !v.forced && hasPointers(v.typ) && len(l.results) == 0 || v.field && !v.pinned && !v.forced && hasPointers(v.typ) && !containsVar(l.results, v) {
			cand.set(v.index)
		}
	}
	pred := make([][]int, n)
	for i := range succ {
		for _, s := range succ[i] {
			pred[s] = append(pred[s], i)
		}
	}
	outF := make([]bitset, n)
	for i := range outF {
		outF[i] = newBitset(nv)
	}
	for changed := true; changed; {
		changed = false
		for i, it := range l.items {
			cur := newBitset(nv)
			if i == 0 {
				cur.copyFrom(entry)
			}
			for _, p := range pred[i] {
				for k := range cur {
					cur[k] |= outF[p][k]
				}
			}
			maybe[i] = cur
			o := newBitset(nv)
			for k := range o {
				o[k] = cur[k] | use[i][k] | def[i][k]
			}
			if it.susp > 0 {
				live := across[it.susp]
				for k := range o {
					o[k] &^= cand[k] &^ live[k]
				}
			}
			if !o.equal(outF[i]) {
				outF[i] = o
				changed = true
			}
		}
	}
	for i, it := range l.items {
		if it.susp == 0 {
			continue
		}
		live := across[it.susp]
		it.clears = nil
		for _, v := range l.vars {
			k := v.index
			if cand.has(k) && !live.has(k) && (maybe[i].has(k) || use[i].has(k) || def[i].has(k)) {
				it.clears = append(it.clears, v)
			}
		}
	}
}

// ---- frames ----------------------------------------------------------------

// emitTasklet writes the constructor, frame type and methods of a tasklet.
// maxResumePoints is the most resume points a tasklet may have: the largest
// value of the runtime's resume point register (Tasklet.PC).
const maxResumePoints = 1<<16 - 1

// maxCases is the most cases a receive or select may have: their indexes are
// 0..tskrt.MaxCases (the runtime's Case register).
const maxCases = rtpkg.MaxCases + 1

func (g *generator) emitTasklet(b *bytes.Buffer, f *srcFile, d *grammar.TaskletDecl, imp *importSet) {
	frame := g.uniqueName(lowerFirst(d.Name.Name) + "Frame")
	l := g.newLowerer(f, d, imp, frame)
	l.declare()
	l.prepare()
	if l.hasDefer {
		l.stName = l.fresh("st")
	}
	l.lower()
	if l.nres > maxResumePoints {
		// The resume point is the tasklet's uint16 PC register.
		g.errorf(f, d.Name.Pos, "too many suspension points in tasklet %s: %d (at most %d; move some of its work into tasklets it calls)", d.Name.Name, l.nres, maxResumePoints)
		return
	}
	l.cleanup()
	l.liveness()
	rt := l.rt

	// The body first: it may add imports and helpers.
	w := &fnWriter{l: l}
	for _, v := range l.vars {
		if (v.field || v.flat) && v.obj != nil {
			if name := localType(v.typ, g.info.pkg); name != "" {
				g.errorf(f, v.decl, "%s has type %s, declared inside tasklet %s, which suspends: the state machine keeps its variables outside the body (declare %s at package level)", v.obj.Name(), name, d.Name.Name, name)
			}
		} else if v.obj == nil && v.decl.IsValid() {
			if name := localType(v.typ, g.info.pkg); name != "" {
				g.errorf(f, v.decl, "this value has type %s, declared inside tasklet %s, and must be kept across a tasklet call: the state machine keeps it outside the body (declare %s at package level)", name, d.Name.Name, name)
			}
		}
	}
	var hoisted []*variable
	for _, v := range l.vars {
		if v.flat && !v.field && v.name != "_" && (v.used || v.obj == nil) {
			hoisted = append(hoisted, v)
		}
	}
	if len(hoisted) > 0 {
		w.printf("var (\n")
		for _, v := range hoisted {
			w.printf("%s %s\n", v.name, l.typeString(v.typ))
		}
		w.printf(")\n")
	}
	if l.hasDefer {
		if l.usesRecover {
			w.printf("%s = ^%s.Status(0) // every return sets it; a panic leaves it\ndefer %s.unwind(%s, &%s)\n", l.stName, rt, l.fname, l.tname, l.stName)
		} else {
			w.printf("%s = ^%s.Status(0) // every return sets it; a panic leaves it\ndefer %s.unwind(&%s)\n", l.stName, rt, l.fname, l.stName)
		}
	}
	if l.nres > 0 {
		w.printf("switch %s.PC {\n", l.tname)
		for k := 1; k <= l.nres; k++ {
			w.printf("case %d:\ngoto %s\n", k, l.resumeInfo[k])
		}
		w.printf("}\n")
	}
	if l.usesRecover && l.hasDefer {
		w.printf("%s.deadlineDepth = %s.DeadlineDepth() // a recovered panic drops the deadlines pushed since\n", l.fname, l.tname)
	}
	for _, it := range l.items {
		if it.code == nil {
			w.gen()
			w.printf("%s:\n", it.label)
			continue
		}
		it.code(w)
	}
	body := w.b.String()

	// Constructor.
	pos := fmt.Sprintf("%s:%d:%d", f.base, d.Pos.Line, d.Pos.Column)
	var params, inits []string
	for i, fd := range d.Type.Params.List {
		typ := l.expr(fd.Type)
		if len(fd.Names) == 0 {
			params = append(params, fmt.Sprintf("p%d %s", i, typ))
			continue
		}
		var names []string
		for _, n := range fd.Names {
			names = append(names, n.Name)
			if obj := l.ti.defs[f.keyOf(n.Pos())]; obj != nil && n.Name != "_" {
				if v := l.byObj[obj]; v != nil {
					inits = append(inits, v.name+": "+n.Name)
				}
			}
		}
		params = append(params, strings.Join(names, ", ")+" "+typ)
	}
	for _, c := range d.Doc {
		fmt.Fprintf(b, "%s\n", c.Text)
	}
	if len(d.Doc) == 0 {
		fmt.Fprintf(b, "// %s returns a new frame of tasklet %s (%s).\n", d.Name.Name, d.Name.Name, pos)
	}
	fmt.Fprintf(b, "func %s(%s) %s.Frame {\nreturn &%s{%s}\n}\n\n", d.Name.Name, strings.Join(params, ", "), rt, frame, strings.Join(inits, ", "))

	// Frame type.
	fmt.Fprintf(b, "// %s is the state of tasklet %s between resumes.\ntype %s struct {\n", frame, d.Name.Name, frame)
	// The small fields first, so that they share a word.
	if l.staticDefers != nil {
		fmt.Fprintf(b, "%s %s // bit k: the call of defer statement k is armed\n", l.armed, armType(len(l.staticDefers)))
	}
	if l.hasDefer && l.usesRecover {
		fmt.Fprintf(b, "panicking bool // a panic unwinds the frame and no deferred call recovered it yet\n")
	}
	for _, v := range l.vars {
		if !v.field {
			continue
		}
		what := v.what
		if v.obj != nil {
			kind := "local"
			if v.param {
				kind = "parameter"
			}
			what = fmt.Sprintf("%s %s, %s:%d:%d", kind, v.obj.Name(), f.base, v.decl.Line, v.decl.Column)
		}
		typ := l.typeString(v.typ)
		if v.boxed {
			typ = "*" + typ
			what += " (a fresh variable each iteration)"
		}
		fmt.Fprintf(b, "%s %s // %s\n", v.name, typ, what)
	}
	if l.staticDefers != nil {
		l.writeStaticDeferFields(b)
	} else if l.hasDefer {
		fmt.Fprintf(b, "defers []func() // deferred calls, run on return, failure and kill\n")
	}
	if l.hasDefer && l.usesRecover {
		fmt.Fprintf(b, "panicValue any // the value of that panic\ndeadlineDepth int // the deadlines in force when the tasklet started\n")
	}
	fmt.Fprintf(b, "}\n\n")
	fmt.Fprintf(b, "// Name returns the declared name of the tasklet.\nfunc (*%s) Name() string { return %q }\n\n", frame, d.Name.Name)
	result := rt + ".Status"
	if l.hasDefer {
		result = "(" + l.stName + " " + result + ")"
	}
	fmt.Fprintf(b, "// Resume runs tasklet %s until it suspends or ends.\nfunc (%s *%s) Resume(%s *%s.Tasklet) %s {\n%s}\n\n", d.Name.Name, l.fname, frame, l.tname, rt, result, body)
	l.writeHelpers(b)
	for _, m := range l.mains {
		fmt.Fprintf(b, "%s\n", m)
	}
}

// prepare computes what the lowering needs to know before it starts.
func (l *lowerer) prepare() {
	res := l.decl.Type.Results
	if res != nil {
		for _, fd := range res.List {
			n := len(fd.Names)
			if n == 0 {
				n = 1
			}
			l.nresults += n
		}
	}
	if l.nresults > 0 {
		if obj := l.ti.pkg.Scope().Lookup(bodyPrefix + l.decl.Name.Name); obj != nil {
			sig := obj.Type().(*types.Signature)
			rs := sig.Results()
			for i := 0; i < rs.Len(); i++ {
				t := rs.At(i).Type()
				if i == rs.Len()-1 && types.Identical(t, types.Universe.Lookup("error").Type()) {
					l.hasErr = true
				} else {
					l.resultType = t
				}
			}
		}
	}
	l.inspectBody(func(n ast.Node, _ bool) {
		if c, ok := n.(*ast.CallExpr); ok && l.isRecover(c) {
			l.usesRecover = true
		}
	})
	l.replied = map[*variable]bool{}
	opTypes := map[string]bool{}
	walkList(l.decl.Body.List, func(s grammar.Stmt) {
		switch s := s.(type) {
		case *grammar.AwaitStmt:
			if ts := l.ti.stub(l.f, s.Pos, "tskAwait"+arity(s.Result)); len(ts) == 1 {
				opTypes[types.TypeString(ts[0], nil)] = true
			}
		case *grammar.DeferStmt:
			l.hasDefer = true
		case *grammar.ReplyStmt:
			if v := l.bindVar(s.Msg); v != nil {
				l.replied[v] = true
			}
		case *grammar.RangeStmt:
			// A suspending range over a function iterator keeps the
			// iterator's stop among the deferred calls.
			if ts := l.ti.stub(l.f, s.Pos, "tskRange"); len(ts) == 1 && l.suspends(s) {
				if _, ok := ts[0].Underlying().(*types.Signature); ok {
					l.hasDefer, l.iterStop = true, true
				}
			}
		}
	})
	// Each awaited operation lives only across its own suspension point:
	// operations of several types share one field (16 bytes each saved).
	l.shareOps = len(opTypes) > 1
	l.planDefers()
}

// writeHelpers writes the ret, fail and runDefers methods a frame uses.
func (l *lowerer) writeHelpers(b *bytes.Buffer) {
	f, t, rt, frame := l.fname, l.tname, l.rt, l.frame
	sig := fmt.Sprintf("%s *%s.Tasklet", t, rt)
	if l.usesRet() {
		var value, errv string
		if len(l.results) > 0 {
			for _, v := range l.results {
				if l.hasErr && v == l.results[len(l.results)-1] {
					errv = l.vexpr(v)
				} else {
					value = l.vexpr(v)
				}
			}
		} else {
			if l.resultType != nil {
				sig += ", v " + l.typeString(l.resultType)
				value = "v"
			}
			if l.hasErr {
				sig += ", err error"
				errv = "err"
			}
		}
		if value == "" {
			value = "nil"
		}
		fmt.Fprintf(b, "// ret ends the tasklet with its results.\nfunc (%s *%s) ret(%s) %s.Status {\n", f, frame, sig, rt)
		if l.hasDefer {
			fmt.Fprintf(b, "%s.runDefers()\n", f)
		}
		if errv != "" {
			fmt.Fprintf(b, "if %s != nil {\nreturn %s.Fail(%s)\n}\n", errv, t, errv)
		}
		fmt.Fprintf(b, "return %s.Return(%s)\n}\n\n", t, value)
	}
	if l.hasDefer {
		fmt.Fprintf(b, "// fail ends the tasklet with err after running its deferred calls.\nfunc (%s *%s) fail(%s *%s.Tasklet, err error) %s.Status {\n%s.runDefers()\nreturn %s.Fail(err)\n}\n\n", f, frame, t, rt, rt, f, t)
		fmt.Fprintf(b, "// Unwind runs the deferred calls when a panic in a tasklet this one called\n// ends the tasklet (tskrt.Unwinder).\nfunc (%s *%s) Unwind(*%s.Tasklet) {\n%s.runDefers()\n}\n\n", f, frame, rt, f)
		if l.usesRecover {
			var after string
			switch {
			case len(l.results) > 0:
				after = fmt.Sprintf("%s.ret(%s)", f, t)
			case l.resultType != nil:
				after = fmt.Sprintf("%s.Return(%s)", t, l.zero(l.resultType))
			default:
				after = t + ".Return(nil)"
			}
			fmt.Fprintf(b, `// unwind runs the deferred calls when Resume panics. The panic is taken
// here so that a deferred call can stop it with recover (%[1]s.recover); if
// none does, it goes on (the stack still shows where it started).
func (%[1]s *%[2]s) unwind(%[3]s *%[4]s.Tasklet, st *%[4]s.Status) {
	if *st != ^%[4]s.Status(0) {
		return
	}
	%[1]s.panicValue, %[1]s.panicking = recover(), true
	%[1]s.runDefers()
	if %[1]s.panicking {
		panic(%[1]s.panicValue)
	}
	%[1]s.panicValue = nil
	%[3]s.DropDeadlines(%[1]s.deadlineDepth)
	*st = %[5]s // recovered: the tasklet returns
}

// Recover runs the deferred calls for a panic raised in a tasklet this one
// called; when one of them recovers it, the tasklet returns (tskrt.Recoverer).
func (%[1]s *%[2]s) Recover(%[3]s *%[4]s.Tasklet, r any) bool {
	%[1]s.panicValue, %[1]s.panicking = r, true
	%[1]s.runDefers()
	%[1]s.panicValue = nil
	if %[1]s.panicking {
		%[1]s.panicking = false
		return false
	}
	%[3]s.DropDeadlines(%[1]s.deadlineDepth)
	%[5]s
	return true
}

// recover is the builtin recover of the tasklet's deferred calls.
func (%[1]s *%[2]s) recover() any {
	if !%[1]s.panicking {
		return nil
	}
	%[1]s.panicking = false
	return %[1]s.panicValue
}

`, f, frame, t, rt, after)
		} else {
			fmt.Fprintf(b, "// unwind runs the deferred calls when Resume panics.\nfunc (%s *%s) unwind(st *%s.Status) {\nif *st == ^%s.Status(0) {\n%s.runDefers()\n}\n}\n\n", f, frame, rt, rt, f)
		}
		if l.staticDefers != nil {
			l.writeStaticRunDefers(b)
			return
		}
		fmt.Fprintf(b, "// runDefers runs the deferred calls, last first.\nfunc (%s *%s) runDefers() {\nfor len(%s.defers) > 0 {\nd := %s.defers[len(%s.defers)-1]\n%s.defers = %s.defers[:len(%s.defers)-1]\nd()\n}\n}\n\n", f, frame, f, f, f, f, f, f)
	}
}

func lowerFirst(s string) string {
	for i, r := range s {
		return string(unicode.ToLower(r)) + s[i+len(string(r)):]
	}
	return s
}

// uniqueName returns a package-level name based on base that nothing in
// the package uses.
func (g *generator) uniqueName(base string) string {
	if g.pkgTaken == nil {
		g.pkgTaken = map[string]bool{}
		for _, name := range g.info.pkg.Scope().Names() {
			g.pkgTaken[name] = true
		}
		for _, f := range g.files {
			for id := range identifiers(f.src) {
				g.pkgTaken[id] = true
			}
		}
	}
	name := base
	for i := 2; g.pkgTaken[name]; i++ {
		name = base + strconv.Itoa(i)
	}
	g.pkgTaken[name] = true
	return name
}

// pkgName_ returns a fresh package-level name for a helper of l's tasklet.
func (g *generator) pkgName_(l *lowerer, base string) string {
	g.helperN++
	return g.uniqueName(fmt.Sprintf("%s%d", base, g.helperN))
}

// ---- files -----------------------------------------------------------------

// emitFile generates the Go file of one .tsk file.
func (g *generator) emitFile(f *srcFile) ([]byte, error) {
	imp := newImportSet(f)
	var body bytes.Buffer
	rw := g.fileRewriter(f, imp)
	timeFn := func() string { return imp.timeName(true) }
	for _, d := range f.file.Decls {
		switch d := d.(type) {
		case *grammar.GoDecl:
			for _, c := range d.Doc {
				fmt.Fprintf(&body, "%s\n", c.Text)
			}
			fmt.Fprintf(&body, "\n//line %s:%d:%d\n%s\n%s\n\n", f.base, d.Pos.Line, d.Pos.Column, f.render(d.Decl, rw, timeFn, false), genMarker)
		case *grammar.MessageDecl:
			for _, c := range d.Doc {
				fmt.Fprintf(&body, "%s\n", c.Text)
			}
			if len(d.Doc) == 0 {
				fmt.Fprintf(&body, "// %s is a message (%s:%d:%d).\n", d.Name.Name, f.base, d.Pos.Line, d.Pos.Column)
			}
			fmt.Fprintf(&body, "type %s struct%s\n\n", d.Name.Name, f.render(d.Fields, rw, timeFn, false))
			if d.Reply != nil {
				reply := f.render(d.Reply, rw, timeFn, false)
				fmt.Fprintf(&body, "// A call with a %s is answered with a %s.\nvar _ func() %s\n\n", d.Name.Name, reply, reply)
			}
		case *grammar.TaskletDecl:
			g.emitTasklet(&body, f, d, imp)
		}
	}
	if g.pkgName == "main" && !g.hasMain {
		if tk := g.tasklets["Main"]; tk != nil && tk.file == f && len(tk.decl.Type.Params.List) == 0 {
			os := imp.add("os", "os")
			fmt.Fprintf(&body, "func main() {\n%s.Exit(%s.Dispatch(Main()))\n}\n", os, imp.rtName)
		}
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by tskc. DO NOT EDIT.\n// source: %s\n// tskc version %s\n\npackage %s\n\n", f.base, rtpkg.Version, f.file.Package.Name)
	b.WriteString("import (\n")
	for _, im := range f.file.Imports {
		if im.Name != nil {
			fmt.Fprintf(&b, "%s %q\n", im.Name.Name, im.Path)
		} else {
			fmt.Fprintf(&b, "%q\n", im.Path)
		}
	}
	for _, p := range imp.sortedAdded() {
		name := imp.added[p]
		if name == guessName(p) && p != runtimePath {
			fmt.Fprintf(&b, "%q\n", p)
		} else {
			fmt.Fprintf(&b, "%s %q\n", name, p)
		}
	}
	fmt.Fprintf(&b, ")\n\nvar _ = %s.ABI1\n\n", imp.rtName)
	b.Write(body.Bytes())
	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("codegen: %s: generated code does not parse: %v\n%s", f.name, err, numbered(b.Bytes()))
	}
	return fixLines(src, f), nil
}

// fileRewriter renders the predeclared names in top-level declarations.
func (g *generator) fileRewriter(f *srcFile, imp *importSet) rewriter {
	return func(n ast.Node, stack []ast.Node) (string, bool) {
		id, ok := n.(*ast.Ident)
		if !ok {
			return "", false
		}
		if id.Name == "Channel" && isChannelMake(id, stack) {
			return imp.rtName + ".NewChannel", true
		}
		obj := g.info.object(f, id.Pos())
		if name, ok := g.info.predeclared[obj]; ok && name != "self" {
			return predeclaredGo(name, imp.rtName, stack, id), true
		}
		return "", false
	}
}

// fixLines replaces the placeholders of directives back to the generated
// file by the line that follows them.
func fixLines(src []byte, f *srcFile) []byte {
	lines := bytes.Split(src, []byte("\n"))
	out := filepathBase(f.out)
	for i, ln := range lines {
		if string(bytes.TrimSpace(ln)) == genMarker {
			lines[i] = []byte(fmt.Sprintf("//line %s:%d", out, i+2))
		}
	}
	return bytes.Join(lines, []byte("\n"))
}

func filepathBase(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

func numbered(src []byte) string {
	var b strings.Builder
	for i, ln := range strings.Split(string(src), "\n") {
		fmt.Fprintf(&b, "%4d  %s\n", i+1, ln)
	}
	return b.String()
}

var _ = sort.Strings

// localType returns the name of a type declared inside a function that t
// mentions, or "".
func localType(t types.Type, pkg *types.Package) string {
	seen := map[types.Type]bool{}
	var walk func(t types.Type) string
	walk = func(t types.Type) string {
		if t == nil || seen[t] {
			return ""
		}
		seen[t] = true
		switch t := t.(type) {
		case *types.Named:
			if o := t.Obj(); o.Pkg() == pkg && o.Parent() != nil && o.Parent() != pkg.Scope() {
				return o.Name()
			}
			if args := t.TypeArgs(); args != nil {
				for i := 0; i < args.Len(); i++ {
					if n := walk(args.At(i)); n != "" {
						return n
					}
				}
			}
		case *types.Alias:
			return walk(types.Unalias(t))
		case *types.Pointer:
			return walk(t.Elem())
		case *types.Slice:
			return walk(t.Elem())
		case *types.Array:
			return walk(t.Elem())
		case *types.Map:
			if n := walk(t.Key()); n != "" {
				return n
			}
			return walk(t.Elem())
		case *types.Chan:
			return walk(t.Elem())
		case *types.Struct:
			for i := 0; i < t.NumFields(); i++ {
				if n := walk(t.Field(i).Type()); n != "" {
					return n
				}
			}
		case *types.Signature:
			for _, tup := range []*types.Tuple{t.Params(), t.Results()} {
				for i := 0; i < tup.Len(); i++ {
					if n := walk(tup.At(i).Type()); n != "" {
						return n
					}
				}
			}
		}
		return ""
	}
	return walk(t)
}

// isRecover reports whether c calls the builtin recover.
func (l *lowerer) isRecover(c *ast.CallExpr) bool {
	id, ok := c.Fun.(*ast.Ident)
	if !ok || id.Name != "recover" || len(c.Args) != 0 {
		return false
	}
	_, builtin := l.ti.object(l.f, id.Pos()).(*types.Builtin)
	return builtin
}
