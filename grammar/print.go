package grammar

import (
	"bytes"
	"fmt"
	"go/ast"
	goprinter "go/printer"
	"go/token"
	"io"
	"reflect"
	"strings"

	"golang.org/x/tools/go/ast/astutil"
)

// Format parses src and returns it in canonical layout.
func Format(filename string, src []byte) ([]byte, error) {
	f, err := ParseFile(filename, src)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := Fprint(&buf, f); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Fprint writes f to w in canonical .tsk layout (what `tskc fmt` writes):
// tabs for indentation, Go code laid out as gofmt lays it out, duration
// literals kept as written, at most one blank line kept between items, and
// every comment of f.Comments kept. Fprint does not modify f.
func Fprint(w io.Writer, f *File) error {
	p := &printer{f: f, fset: f.FileSet}
	if p.fset == nil {
		p.fset = token.NewFileSet()
	}
	p.fset.Iterate(func(tf *token.File) bool {
		if tf.Name() == f.Name {
			p.tf = tf
			return false
		}
		return true
	})
	p.comments = f.Comments
	p.file()
	if p.err != nil {
		return p.err
	}
	_, err := w.Write(p.out.Bytes())
	return err
}

type printer struct {
	f        *File
	fset     *token.FileSet
	tf       *token.File // the .tsk file in fset, to turn offsets into token.Pos
	out      bytes.Buffer
	comments []*Comment
	ci       int // next comment to print
	indent   int
	lastLine int  // source line of the last thing printed
	fresh    bool // at the start of a block: no blank line wanted
	// forceBlank asks for a blank line before what comes next: the package
	// clause and the imports are always followed by one.
	forceBlank bool
	err        error
}

// --- output helpers ----------------------------------------------------

func (p *printer) printf(format string, args ...any) { fmt.Fprintf(&p.out, format, args...) }

func (p *printer) newline() { p.out.WriteByte('\n') }

func (p *printer) tabs() {
	for i := 0; i < p.indent; i++ {
		p.out.WriteByte('\t')
	}
}

// line starts an output line for an item that begins at source position pos:
// comments before it go first, and one blank line is kept if the source had one.
func (p *printer) line(pos Pos) {
	p.flushBefore(pos)
	p.blankBefore(pos.Line)
	p.tabs()
	if pos.Line > 0 {
		p.lastLine = pos.Line
	}
}

func (p *printer) blankBefore(line int) {
	if p.forceBlank || (!p.fresh && line > 0 && p.lastLine > 0 && line > p.lastLine+1) {
		p.newline()
	}
	p.fresh, p.forceBlank = false, false
}

// flushBefore prints the comments that come before pos, each on its own line.
func (p *printer) flushBefore(pos Pos) {
	for p.ci < len(p.comments) {
		c := p.comments[p.ci]
		if pos.Line > 0 && c.Pos.Offset >= pos.Offset {
			return
		}
		p.ci++
		if c.Pos.Line == p.lastLine && p.lastLine > 0 && !p.fresh && p.out.Len() > 0 {
			// A comment at the end of the line just printed.
			p.trailing(c)
			continue
		}
		p.blankBefore(c.Pos.Line)
		p.tabs()
		p.out.WriteString(c.Text)
		p.newline()
		p.lastLine = c.Pos.Line + strings.Count(c.Text, "\n")
	}
}

// trailing appends comment c to the line just ended.
func (p *printer) trailing(c *Comment) {
	b := p.out.Bytes()
	if n := len(b); n > 0 && b[n-1] == '\n' {
		p.out.Truncate(n - 1)
	}
	p.out.WriteByte(' ')
	p.out.WriteString(c.Text)
	p.newline()
	p.lastLine = c.Pos.Line + strings.Count(c.Text, "\n")
}

// endLine ends the current item, which ends at source line line: comments
// that follow it on that line are printed after it.
func (p *printer) endLine(line int) {
	p.newline()
	if line > p.lastLine {
		p.lastLine = line
	}
	for p.ci < len(p.comments) && line > 0 && p.comments[p.ci].Pos.Line == line {
		p.trailing(p.comments[p.ci])
		p.ci++
	}
}

// lineOf returns the source line of a go/ast position.
func (p *printer) lineOf(pos token.Pos) int {
	if !pos.IsValid() {
		return 0
	}
	return p.fset.Position(pos).Line
}

// --- Go code -------------------------------------------------------------

var unitSuffix = map[string]string{
	"Nanosecond": "ns", "Microsecond": "us", "Millisecond": "ms",
	"Second": "s", "Minute": "m", "Hour": "h",
}

// durationText returns the duration literal x stands for, as written in
// the source when known.
func (p *printer) durationText(x *ast.BinaryExpr) (string, bool) {
	lit, ok := durationLit(x)
	if ok {
		if text, ok := p.f.durations[x.OpPos]; ok {
			return text, true
		}
	}
	return lit, ok
}

// durationLit returns the duration literal x stands for, if x is the
// expression of one (see durationExpr).
func durationLit(x *ast.BinaryExpr) (string, bool) {
	if x.Op != token.MUL {
		return "", false
	}
	num, ok := x.X.(*ast.BasicLit)
	sel, ok2 := x.Y.(*ast.SelectorExpr)
	if !ok || !ok2 || (num.Kind != token.INT && num.Kind != token.FLOAT) {
		return "", false
	}
	pkg, ok := sel.X.(*ast.Ident)
	unit := unitSuffix[sel.Sel.Name]
	if !ok || pkg.Name != "time" || unit == "" {
		return "", false
	}
	pos := num.ValuePos
	if x.OpPos != pos || pkg.NamePos != pos || sel.Sel.NamePos != pos {
		return "", false
	}
	return num.Value + unit, true
}

// goCode formats a go/ast node as gofmt would, at the current indentation,
// with the comments inside it and its duration literals as written.
func (p *printer) goCode(n ast.Node) string {
	if n == nil || (reflect.ValueOf(n).Kind() == reflect.Pointer && reflect.ValueOf(n).IsNil()) {
		return ""
	}
	var groups []*ast.CommentGroup
	if p.tf != nil && n.Pos().IsValid() {
		end := p.offset(p.trueEnd(n))
		start := p.offset(n.Pos())
		for p.ci < len(p.comments) && p.comments[p.ci].Pos.Offset < end {
			c := p.comments[p.ci]
			if c.Pos.Offset < start {
				break
			}
			groups = append(groups, &ast.CommentGroup{List: []*ast.Comment{{Slash: p.tf.Pos(c.Pos.Offset), Text: c.Text}}})
			p.ci++
		}
	}
	n = p.restoreDurations(copyNode(n))
	var buf bytes.Buffer
	cfg := goprinter.Config{Mode: goprinter.UseSpaces | goprinter.TabIndent, Tabwidth: 8, Indent: p.indent}
	var node any = n
	if len(groups) > 0 {
		node = &goprinter.CommentedNode{Node: n, Comments: groups}
	}
	if err := cfg.Fprint(&buf, p.fset, node); err != nil && p.err == nil {
		p.err = err
	}
	if l := p.lineOf(p.trueEnd(n)); l > p.lastLine {
		p.lastLine = l
	}
	return strings.TrimLeft(buf.String(), "\t")
}

// tokPos turns a .tsk position into a token.Pos in f.FileSet.
func (p *printer) tokPos(pos Pos) token.Pos {
	if p.tf == nil || !pos.IsValid() || pos.Offset > p.tf.Size() {
		return token.NoPos
	}
	return p.tf.Pos(pos.Offset)
}

func (p *printer) offset(pos token.Pos) int {
	if p.tf == nil || !pos.IsValid() || int(pos) < p.tf.Base() || int(pos) > p.tf.Base()+p.tf.Size() {
		return -1
	}
	return p.tf.Offset(pos)
}

// exprList prints a list of expressions as gofmt prints the arguments
// of a call, which it lays out more tightly than a lone expression.
func (p *printer) exprList(l ...ast.Expr) string {
	if len(l) == 1 {
		return p.goCode(l[0])
	}
	for _, x := range l {
		if x == nil {
			return ""
		}
	}
	// A call of _ with the list as arguments; its parentheses sit on the
	// first and last bytes of the list, so it spans exactly the list.
	first, last := l[0].Pos(), p.trueEnd(l[len(l)-1])
	if last.IsValid() {
		last--
	}
	call := &ast.CallExpr{Fun: &ast.Ident{NamePos: first, Name: "_"}, Lparen: first, Args: l, Rparen: last}
	s := p.goCode(call)
	return strings.TrimSuffix(strings.TrimPrefix(s, "_("), ")")
}

// trueEnd is the end of n in the source. It differs from n.End() when n
// ends with a duration literal, whose Go expression has every node at the
// literal's start, so that its End() lies past the literal.
func (p *printer) trueEnd(n ast.Node) token.Pos {
	end := token.NoPos
	at := func(p token.Pos, n int) {
		if p.IsValid() && p+token.Pos(n) > end {
			end = p + token.Pos(n)
		}
	}
	ast.Inspect(n, func(m ast.Node) bool {
		switch m := m.(type) {
		case *ast.BinaryExpr:
			if lit, ok := p.durationText(m); ok {
				at(m.OpPos, len(lit))
				return false
			}
		case *ast.Ident:
			at(m.NamePos, len(m.Name))
		case *ast.BasicLit:
			at(m.ValuePos, len(m.Value))
		case *ast.CallExpr:
			at(m.Rparen, 1)
		case *ast.CompositeLit:
			at(m.Rbrace, 1)
		case *ast.ParenExpr:
			at(m.Rparen, 1)
		case *ast.IndexExpr:
			at(m.Rbrack, 1)
		case *ast.IndexListExpr:
			at(m.Rbrack, 1)
		case *ast.SliceExpr:
			at(m.Rbrack, 1)
		case *ast.TypeAssertExpr:
			at(m.Rparen, 1)
		case *ast.BlockStmt:
			at(m.Rbrace, 1)
		case *ast.FieldList:
			at(m.Closing, 1)
		case *ast.GenDecl:
			at(m.Rparen, 1)
		case *ast.IncDecStmt:
			at(m.TokPos, 2)
		case *ast.BranchStmt:
			at(m.TokPos, len(m.Tok.String()))
		case *ast.ReturnStmt:
			at(m.Return, len("return"))
		case *ast.Ellipsis:
			at(m.Ellipsis, 3)
		case *ast.EmptyStmt:
			at(m.Semicolon, 0)
		}
		return true
	})
	if end == token.NoPos {
		return n.End()
	}
	return end
}

// restoreDurations replaces the expressions of duration literals in n by
// literals spelled as in the source.
func (p *printer) restoreDurations(n ast.Node) ast.Node {
	return astutil.Apply(n, nil, func(c *astutil.Cursor) bool {
		if b, ok := c.Node().(*ast.BinaryExpr); ok {
			if lit, ok := p.durationText(b); ok {
				c.Replace(&ast.BasicLit{ValuePos: b.OpPos, Kind: token.INT, Value: lit})
			}
		}
		return true
	})
}

// The types of the resolver's objects and scopes, which copyNode shares
// rather than copies (named through fields, the types being deprecated).
var (
	objectType = fieldType[ast.Ident]("Obj")
	scopeType  = fieldType[ast.File]("Scope")
)

func fieldType[T any](name string) reflect.Type {
	f, _ := reflect.TypeFor[T]().FieldByName(name)
	return f.Type
}

// copyNode returns a deep copy of a go/ast tree (sharing only the
// resolver's objects and scopes), so printing can rewrite it.
func copyNode(n ast.Node) ast.Node {
	return copyValue(reflect.ValueOf(n)).Interface().(ast.Node)
}

func copyValue(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || v.Type() == objectType || v.Type() == scopeType {
			return v
		}
		c := reflect.New(v.Type().Elem())
		c.Elem().Set(copyValue(v.Elem()))
		return c
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		c := reflect.New(v.Type()).Elem()
		c.Set(copyValue(v.Elem()))
		return c
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := 0; i < v.Len(); i++ {
			c.Index(i).Set(copyValue(v.Index(i)))
		}
		return c
	case reflect.Struct:
		c := reflect.New(v.Type()).Elem()
		for i := 0; i < v.NumField(); i++ {
			if c.Field(i).CanSet() {
				c.Field(i).Set(copyValue(v.Field(i)))
			}
		}
		return c
	}
	return v
}

// --- declarations ------------------------------------------------------

func (p *printer) file() {
	f := p.f
	if f.Package != nil {
		p.line(f.Pos)
		p.printf("package %s", f.Package.Name)
		p.endLine(f.Package.Pos.Line)
		p.forceBlank = true
	}
	switch len(f.Imports) {
	case 0:
	case 1:
		im := f.Imports[0]
		p.line(im.Pos)
		p.printf("import %s", p.importSpec(im))
		p.endLine(im.Pos.Line)
	default:
		first := f.Imports[0].Keyword
		if !first.IsValid() {
			first = f.Imports[0].Pos
		}
		p.flushBefore(first)
		p.blankBefore(first.Line)
		p.lastLine = first.Line
		p.printf("import (")
		p.newline()
		p.fresh = true
		p.indent++
		for _, im := range f.Imports {
			p.line(im.Pos)
			p.out.WriteString(p.importSpec(im))
			p.endLine(im.Pos.Line)
		}
		p.indent--
		p.printf(")")
		p.newline()
	}
	if len(f.Imports) > 0 {
		p.forceBlank = true
	}
	for _, d := range f.Decls {
		p.decl(d)
	}
	p.flushBefore(Pos{Offset: 1 << 62})
	// Exactly one newline at the end.
	b := bytes.TrimRight(p.out.Bytes(), "\n")
	p.out.Truncate(len(b))
	p.newline()
}

func (p *printer) importSpec(im *Import) string {
	path := "\"" + im.Path + "\""
	if strings.ContainsAny(im.Path, "\"\\") {
		path = "`" + im.Path + "`"
	}
	if im.Name != nil {
		return im.Name.Name + " " + path
	}
	return path
}

// atLeastOneBlank separates top-level declarations of different kinds or
// with bodies by a blank line, as gofmt would keep them.
func (p *printer) decl(d Decl) {
	pos := d.Position()
	switch d := d.(type) {
	case *MessageDecl:
		p.line(pos)
		p.printf("message %s ", d.Name.Name)
		fields := d.Fields
		if fields == nil {
			fields = &ast.FieldList{}
		}
		s := p.goCode(&ast.StructType{Struct: fields.Opening, Fields: fields})
		p.out.WriteString(strings.TrimLeft(strings.TrimPrefix(s, "struct"), " "))
		if d.Reply != nil {
			p.printf(" reply %s", p.goCode(d.Reply))
		}
		p.endLine(p.lastLine)
	case *TaskletDecl:
		p.line(pos)
		p.printf("tasklet %s", d.Name.Name)
		ft := d.Type
		if ft == nil {
			ft = &ast.FuncType{Params: &ast.FieldList{}}
		}
		p.out.WriteString(strings.TrimPrefix(p.goCode(&ast.FuncType{Params: ft.Params, Results: ft.Results}), "func"))
		p.out.WriteByte(' ')
		p.block(d.Body)
		p.endLine(d.Body.Rbrace.Line)
	case *GoDecl:
		p.line(pos)
		p.out.WriteString(p.goCode(d.Decl))
		p.endLine(p.lastLine)
	}
}

// --- statements ----------------------------------------------------------

// block prints `{ stmts }`; the caller has printed what comes before the brace.
func (p *printer) block(b *BlockStmt) {
	if b == nil {
		p.printf("{}")
		return
	}
	p.out.WriteByte('{')
	p.bodyEnd(b.Pos.Line)
	p.stmtList(b.List, 1)
	p.closeBrace(b.Rbrace)
}

// bodyEnd ends the line of an opening brace or colon at source line line.
func (p *printer) bodyEnd(line int) {
	p.endLine(line)
	p.fresh = true
}

// closeBrace prints the `}` at the current indentation, after the comments
// that come before it.
func (p *printer) closeBrace(rbrace Pos) {
	p.indent++
	p.flushBefore(rbrace)
	p.indent--
	p.fresh = false
	p.tabs()
	p.out.WriteByte('}')
	if rbrace.Line > p.lastLine {
		p.lastLine = rbrace.Line
	}
}

func (p *printer) stmtList(list []Stmt, indent int) {
	p.indent += indent
	for _, s := range list {
		p.stmt(s)
	}
	p.indent -= indent
}

func (p *printer) result(r Result) {
	if len(r.Lhs) == 0 {
		return
	}
	p.printf("%s %s ", p.exprList(r.Lhs...), r.Tok)
}

func (p *printer) timeout(t Timeout) {
	if t != nil {
		p.printf(" timeout %s", p.goCode(t))
	}
}

func (p *printer) stmt(s Stmt) {
	if l, ok := s.(*LabeledStmt); ok {
		p.indent--
		p.line(l.Pos)
		p.printf("%s:", l.Label.Name)
		p.indent++
		if _, empty := l.Stmt.(*EmptyStmt); empty || l.Stmt == nil {
			p.endLine(l.Pos.Line)
			return
		}
		p.endLine(l.Pos.Line)
		p.stmt(l.Stmt)
		return
	}
	if _, ok := s.(*EmptyStmt); ok {
		return
	}
	p.line(s.Position())
	p.stmtText(s)
	p.endLine(p.lastLine)
}

// stmtText prints a statement from the current column on, without the
// final newline.
func (p *printer) stmtText(s Stmt) {
	switch s := s.(type) {
	case *SimpleStmt:
		p.out.WriteString(p.goCode(s.S))
	case *DeclStmt:
		p.out.WriteString(p.goCode(s.Decl))
	case *ReturnStmt:
		p.printf("return")
		if len(s.Results) > 0 {
			p.printf(" %s", p.exprList(s.Results...))
		}
	case *BranchStmt:
		p.printf("%s", s.Tok)
		if s.Label != nil {
			p.printf(" %s", s.Label.Name)
		}
	case *DeferStmt:
		p.printf("defer %s", p.goCode(s.Call))
	case *GoStmt:
		p.printf("go %s", p.goCode(s.Call))
	case *BlockStmt:
		p.block(s)
	case *IfStmt:
		p.ifStmt(s)
	case *ForStmt:
		p.printf("for ")
		switch {
		case s.Init != nil || s.Post != nil:
			p.simpleText(s.Init)
			p.printf("; %s; ", p.goCode(s.Cond))
			p.simpleText(s.Post)
			if s.Post == nil {
				p.out.Truncate(p.out.Len() - 1)
			}
			p.out.WriteByte(' ')
		case s.Cond != nil:
			p.printf("%s ", p.goCode(s.Cond))
		}
		p.block(s.Body)
	case *RangeStmt:
		p.printf("for ")
		if s.Key != nil {
			p.out.WriteString(p.goCode(s.Key))
			if s.Value != nil {
				p.printf(", %s", p.goCode(s.Value))
			}
			p.printf(" %s ", s.Tok)
		}
		p.printf("range %s ", p.goCode(s.X))
		p.block(s.Body)
	case *SwitchStmt:
		p.printf("switch ")
		if s.Init != nil {
			p.simpleText(s.Init)
			p.printf("; ")
		}
		if s.Tag != nil {
			p.printf("%s ", p.goCode(s.Tag))
		}
		p.cases(s.Cases, s.Rbrace)
	case *TypeSwitchStmt:
		p.printf("switch ")
		if s.Init != nil {
			p.simpleText(s.Init)
			p.printf("; ")
		}
		if s.Bind != nil {
			p.printf("%s := ", s.Bind.Name)
		}
		p.printf("%s.(type) ", p.goCode(s.X))
		p.cases(s.Cases, s.Rbrace)
	case *YieldStmt:
		p.result(s.Result)
		p.printf("yield")
	case *SleepStmt:
		p.result(s.Result)
		p.printf("sleep %s", p.goCode(s.Duration))
	case *SpawnStmt:
		p.spawn(s)
	case *SendStmt:
		p.printf("send %s", p.exprList(s.Target, s.Msg))
	case *CallStmt:
		p.result(s.Result)
		p.printf("call %s", p.exprList(s.Target, s.Msg))
		p.timeout(s.Timeout)
	case *ReplyStmt:
		p.printf("reply %s", p.exprList(&ast.Ident{NamePos: p.tokPos(s.Msg.Pos), Name: s.Msg.Name}, s.Value))
	case *ReceiveStmt:
		p.result(s.Result)
		p.printf("receive")
		p.timeout(s.Timeout)
	case *ReceiveBatchStmt:
		p.result(s.Result)
		p.printf("receive batch %s", p.goCode(s.N))
		p.timeout(s.Timeout)
	case *ReceiveSwitchStmt:
		p.printf("receive {")
		p.bodyEnd(s.Pos.Line)
		for _, c := range s.Cases {
			p.line(c.Pos)
			switch c.Kind {
			case ReceiveType:
				p.printf("case ")
				if c.Bind != nil {
					p.printf("%s := ", c.Bind.Name)
				}
				p.printf("%s:", p.goCode(c.Type))
			case ReceiveDefault:
				p.printf("default:")
			case ReceiveAfter:
				p.printf("after %s:", p.goCode(c.After))
			}
			p.bodyEnd(p.lastLine)
			p.stmtList(c.Body, 1)
		}
		p.closeBrace(s.Rbrace)
	case *ChanSendStmt:
		p.result(s.Result)
		p.printf("%s <- %s", p.goCode(s.Chan), p.goCode(s.Value))
		p.timeout(s.Timeout)
	case *ChanRecvStmt:
		p.result(s.Result)
		p.printf("<-%s", p.goCode(s.Chan))
		p.timeout(s.Timeout)
	case *JoinStmt:
		p.result(s.Result)
		switch s.Kind {
		case JoinOne:
			p.printf("join %s", p.goCode(s.X))
		case JoinAll:
			p.printf("join all %s", p.goCode(s.X))
		case JoinChildren:
			p.printf("join children")
		}
		p.timeout(s.Timeout)
	case *AwaitStmt:
		p.result(s.Result)
		p.printf("await %s", p.goCode(s.Op))
		p.timeout(s.Timeout)
	case *KillStmt:
		p.printf("kill %s", p.goCode(s.X))
	case *DeadlineStmt:
		p.printf("deadline %s ", p.goCode(s.Duration))
		p.block(s.Body)
	case *QuitStmt:
		p.printf("quit")
		if s.Code != nil {
			p.printf(" %s", p.goCode(s.Code))
		}
	case *SelectStmt:
		p.printf("select {")
		p.bodyEnd(s.Pos.Line)
		for _, c := range s.Cases {
			p.line(c.Pos)
			switch c.Kind {
			case SelectRecv:
				p.printf("case ")
				p.result(c.Result)
				p.printf("<-%s:", p.goCode(c.Chan))
			case SelectSend:
				p.printf("case %s <- %s:", p.goCode(c.Chan), p.goCode(c.Value))
			case SelectReceive:
				p.printf("case ")
				p.result(c.Result)
				p.printf("receive %s:", p.goCode(c.Type))
			case SelectAfter:
				p.printf("after %s:", p.goCode(c.After))
			case SelectDefault:
				p.printf("default:")
			}
			p.bodyEnd(p.lastLine)
			p.stmtList(c.Body, 1)
		}
		p.closeBrace(s.Rbrace)
	default:
		if p.err == nil {
			p.err = fmt.Errorf("grammar.Fprint: unexpected statement %T", s)
		}
	}
}

func (p *printer) simpleText(s Stmt) {
	if s == nil {
		return
	}
	if ss, ok := s.(*SimpleStmt); ok {
		p.out.WriteString(p.goCode(ss.S))
		return
	}
	p.stmtText(s)
}

func (p *printer) ifStmt(s *IfStmt) {
	p.printf("if ")
	if s.Init != nil {
		p.simpleText(s.Init)
		p.printf("; ")
	}
	p.printf("%s ", p.goCode(s.Cond))
	p.block(s.Then)
	switch e := s.Else.(type) {
	case *IfStmt:
		p.printf(" else ")
		p.ifStmt(e)
	case *BlockStmt:
		p.printf(" else ")
		p.block(e)
	}
}

func (p *printer) cases(cases []*CaseClause, rbrace Pos) {
	p.printf("{")
	p.bodyEnd(p.lastLine)
	for _, c := range cases {
		p.line(c.Pos)
		if c.List == nil {
			p.printf("default:")
		} else {
			p.printf("case %s:", p.exprList(c.List...))
		}
		p.bodyEnd(p.lastLine)
		p.stmtList(c.Body, 1)
	}
	p.closeBrace(rbrace)
}

func (p *printer) spawn(s *SpawnStmt) {
	p.result(s.Result)
	p.printf("spawn ")
	switch s.Kind {
	case SpawnAfter:
		p.printf("after %s ", p.goCode(s.Arg))
	case SpawnLoop:
		p.printf("loop ")
	case SpawnEvery:
		p.printf("every %s ", p.goCode(s.Arg))
		if s.Now {
			p.printf("now ")
		}
	case SpawnRate:
		p.printf("rate %s ", p.goCode(s.Arg))
	case SpawnReceiver:
		p.printf("receiver ")
	}
	p.out.WriteString(p.goCode(s.Call))
	if len(s.Options) == 0 {
		return
	}
	multi := s.Options[0].Pos.Line > s.Pos.Line
	if !multi {
		p.printf(" with {")
		for i, o := range s.Options {
			if i > 0 {
				p.printf(", ")
			}
			p.printf("%s: %s", o.Key.Name, p.goCode(o.Value))
		}
		p.printf("}")
		return
	}
	width := 0
	for _, o := range s.Options {
		width = max(width, len(o.Key.Name))
	}
	p.printf(" with {")
	p.bodyEnd(s.Pos.Line)
	p.indent++
	for _, o := range s.Options {
		p.line(o.Pos)
		p.printf("%s:%s%s,", o.Key.Name, strings.Repeat(" ", width-len(o.Key.Name)+1), p.goCode(o.Value))
		p.endLine(p.lastLine)
	}
	p.indent--
	p.closeBrace(s.Rbrace)
}
