package grammar

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"regexp"
	"sort"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"
	"golang.org/x/tools/go/ast/astutil"
)

// builder turns the participle tree into the syntax tree of ast.go,
// parsing every span of Go code with go/parser.
type builder struct {
	filename  string
	src       []byte
	masked    []byte // src with each duration literal replaced by "0" and spaces
	tf        *token.File
	base      int // token.Pos of src[0]
	durations map[int]*durLit
	errs      ErrorList
	usesTime  bool
	inTasklet bool
	tmp       *token.FileSet   // see tmpFileSet
	durOffs   []int            // offsets of duration literals, sorted
	parsed    map[int]ast.Expr // expressions parsed by batch, by offset
	parsedEnd map[int]int      // and their end offsets
}

// posOf returns the position of a byte offset.
func (b *builder) posOf(off int) Pos {
	if off < 0 {
		off = 0
	}
	if off > len(b.src) {
		off = len(b.src)
	}
	p := b.tf.Position(b.tf.Pos(off))
	return Pos{Filename: b.filename, Offset: off, Line: p.Line, Column: p.Column}
}

// lpos converts a participle position (which the lexer filled in with byte
// columns).
func (b *builder) lpos(p lexer.Position) Pos {
	return Pos{Filename: b.filename, Offset: p.Offset, Line: p.Line, Column: p.Column}
}

// gpos is the token.Pos of a byte offset, for go/ast nodes.
func (b *builder) gpos(off int) token.Pos { return token.Pos(b.base + off) }

func (b *builder) errorf(off int, format string, args ...any) {
	b.errs = append(b.errs, &Error{Pos: b.posOf(off), Msg: fmt.Sprintf(format, args...)})
}

func (b *builder) ident(p *pIdent) *Ident {
	if p == nil {
		return nil
	}
	return &Ident{Pos: b.lpos(p.Pos), Name: p.Name}
}

// tmpFileSet returns a file set whose next file starts at token.Pos base,
// so that go/parser positions inside it are positions in the .tsk file.
// Snippets mostly come in source order, so one set serves many of them.
func (b *builder) tmpFileSet(base int) *token.FileSet {
	if b.tmp == nil || b.tmp.Base() > base {
		b.tmp = token.NewFileSet()
	}
	if gap := base - b.tmp.Base(); gap > 0 {
		// A placeholder file fills the gap: a file of size n takes n+1 positions.
		b.tmp.AddFile("", -1, gap-1)
	}
	return b.tmp
}

// snippet returns the Go text of [off, end) wrapped in prefix and suffix,
// and the token.Pos base at which it must be parsed.
func (b *builder) snippet(off, end int, prefix, suffix string) ([]byte, int) {
	if prefix == "" && suffix == "" {
		return b.masked[off:end], b.base + off
	}
	buf := make([]byte, 0, len(prefix)+end-off+len(suffix))
	buf = append(buf, prefix...)
	buf = append(buf, b.masked[off:end]...)
	buf = append(buf, suffix...)
	return buf, b.base + off - len(prefix)
}

var expectedFound = regexp.MustCompile(`^expected (.+), found (.+)$`)

// goError records the first error go/parser reported for a snippet that
// starts at token.Pos base.
func (b *builder) goError(err error, base int) {
	var list scanner.ErrorList
	switch e := err.(type) {
	case scanner.ErrorList:
		list = e
	case *scanner.Error:
		list = scanner.ErrorList{e}
	default:
		b.errorf(0, "%v", err)
		return
	}
	if len(list) == 0 {
		return
	}
	e := list[0]
	off := base + e.Pos.Offset - b.base
	if woff, word := b.stmtWordIn(off); word != "" {
		b.errorf(woff, "%s is a statement, not an expression (expected x := %s ... on a line of its own)", word, word)
		return
	}
	msg := e.Msg
	if m := expectedFound.FindStringSubmatch(msg); m != nil {
		found := strings.Trim(m[2], "'")
		if found == "EOF" {
			found = "end of expression"
		}
		msg = fmt.Sprintf("unexpected %s (expected %s)", found, strings.ReplaceAll(m[1], "'", ""))
	}
	b.errorf(off, "%s", msg)
}

// stmtWordIn finds a statement word used as an operator inside Go code
// (like `f(spawn G())`) on the line of off, before or at off.
func (b *builder) stmtWordIn(off int) (int, string) {
	if off > len(b.src) {
		off = len(b.src)
	}
	start := bytes.LastIndexByte(b.src[:off], '\n') + 1
	end := len(b.src)
	if i := bytes.IndexByte(b.src[off:], '\n'); i >= 0 {
		end = off + i
	}
	var s scanner.Scanner
	fs := token.NewFileSet()
	text := b.masked[start:end]
	s.Init(fs.AddFile("", -1, len(text)), text, nil, 0)
	prevWord, prevOff := "", 0
	for {
		p, k, lit := s.Scan()
		if k == token.EOF {
			return 0, ""
		}
		if start+int(p)-1 > off {
			return 0, ""
		}
		if prevWord != "" && (k == token.IDENT || k == token.LPAREN || k == token.INT || k == token.STRING || k == token.ARROW) {
			return prevOff, prevWord
		}
		prevWord = ""
		if k == token.IDENT && stmtWords[lit] {
			prevWord, prevOff = lit, start+int(p)-1
		}
	}
}

// batch parses the expressions in spans (those of one declaration) with a
// single call of go/parser, for expr and exprs to pick up: the spans are
// laid out as the elements of a composite literal, at their offsets in the
// file, with the text between them blanked. It gives up, leaving expr to
// parse each span on its own, at the first sign of trouble.
func (b *builder) batch(spans []span, inTasklet bool) {
	if len(spans) < 2 {
		return
	}
	sort.Slice(spans, func(i, j int) bool {
		if spans[i].Off != spans[j].Off {
			return spans[i].Off < spans[j].Off
		}
		return spans[i].End > spans[j].End
	})
	// Keep non-empty spans that neither touch nor overlap the one before.
	list := spans[:0]
	for _, sp := range spans {
		if sp.End <= sp.Off {
			continue
		}
		if n := len(list); n > 0 && sp.Off <= list[n-1].End {
			continue
		}
		list = append(list, sp)
	}
	if len(list) < 2 {
		return
	}
	first, last := list[0].Off, list[len(list)-1].End
	const prefix = "_{"
	buf := make([]byte, 0, len(prefix)+last-first+1)
	buf = append(buf, prefix...)
	for i, sp := range list {
		if i > 0 {
			gap := b.masked[list[i-1].End:sp.Off]
			buf = append(buf, ',')
			for _, c := range gap[1:] {
				if c != '\n' {
					c = ' '
				}
				buf = append(buf, c)
			}
		}
		buf = append(buf, b.masked[sp.Off:sp.End]...)
	}
	buf = append(buf, '}')
	base := b.base + first - len(prefix)
	x, err := parser.ParseExprFrom(b.tmpFileSet(base), b.filename, buf, parser.SkipObjectResolution)
	if err != nil {
		return
	}
	lit, ok := x.(*ast.CompositeLit)
	if !ok || len(lit.Elts) != len(list) {
		return
	}
	for i, e := range lit.Elts {
		if _, kv := e.(*ast.KeyValueExpr); kv || int(e.Pos()) != b.base+list[i].Off {
			return
		}
	}
	b.inTasklet = inTasklet
	b.fix(lit)
	b.inTasklet = false
	b.parsed = make(map[int]ast.Expr, len(list))
	b.parsedEnd = make(map[int]int, len(list))
	for i, e := range lit.Elts {
		b.parsed[list[i].Off] = e
		b.parsedEnd[list[i].Off] = list[i].End
	}
}

// expr parses one Go expression.
func (b *builder) expr(sp span) ast.Expr {
	if sp.End <= sp.Off {
		return nil
	}
	if x, ok := b.parsed[sp.Off]; ok && b.parsedEnd[sp.Off] == sp.End {
		return x
	}
	text, base := b.snippet(sp.Off, sp.End, "", "")
	x, err := parser.ParseExprFrom(b.tmpFileSet(base), b.filename, text, parser.SkipObjectResolution)
	if err != nil {
		b.goError(err, base)
		return &ast.BadExpr{From: b.gpos(sp.Off), To: b.gpos(sp.End)}
	}
	return b.fix(x).(ast.Expr)
}

// exprs parses a list of expressions with one call of go/parser.
func (b *builder) exprs(list []span) []ast.Expr {
	switch len(list) {
	case 0:
		return nil
	case 1:
		return []ast.Expr{b.expr(list[0])}
	}
	if b.parsed != nil {
		out := make([]ast.Expr, 0, len(list))
		for _, sp := range list {
			x, ok := b.parsed[sp.Off]
			if !ok || b.parsedEnd[sp.Off] != sp.End {
				break
			}
			out = append(out, x)
		}
		if len(out) == len(list) {
			return out
		}
	}
	off, end := list[0].Off, list[len(list)-1].End
	text, base := b.snippet(off, end, "_(", ")")
	x, err := parser.ParseExprFrom(b.tmpFileSet(base), b.filename, text, parser.SkipObjectResolution)
	if err != nil {
		b.goError(err, base)
		out := make([]ast.Expr, len(list))
		for i, sp := range list {
			out[i] = &ast.BadExpr{From: b.gpos(sp.Off), To: b.gpos(sp.End)}
		}
		return out
	}
	call, ok := x.(*ast.CallExpr)
	if !ok || len(call.Args) != len(list) || call.Ellipsis.IsValid() {
		b.errorf(off, "malformed expression list")
		return nil
	}
	b.fix(call)
	return call.Args
}

// goDecl parses a Go declaration.
func (b *builder) goDecl(sp span) ast.Decl {
	text, base := b.snippet(sp.Off, sp.End, "package p;", "")
	f, err := parser.ParseFile(b.tmpFileSet(base), b.filename, text, parser.SkipObjectResolution)
	if err != nil {
		b.goError(err, base)
		return nil
	}
	if len(f.Decls) != 1 {
		b.errorf(sp.Off, "malformed declaration")
		return nil
	}
	b.fix(f)
	return f.Decls[0]
}

// fix replaces the placeholders of duration literals with the Go
// expression they mean, and reports Go channel syntax in tasklets.
func (b *builder) fix(n ast.Node) ast.Node {
	start, end := int(n.Pos())-b.base, int(n.End())-b.base
	if start < 0 || end > len(b.src) || start > end {
		start, end = 0, len(b.src)
	}
	if b.inTasklet && bytes.Contains(b.src[start:end], []byte("chan")) {
		b.checkChans(n)
	}
	if i := sort.SearchInts(b.durOffs, start); i == len(b.durOffs) || b.durOffs[i] >= end {
		return n // no duration literal inside
	}
	return astutil.Apply(n, nil, func(c *astutil.Cursor) bool {
		switch x := c.Node().(type) {
		case *ast.BasicLit:
			if x.Kind != token.INT || x.Value != "0" {
				return true
			}
			d := b.durations[int(x.ValuePos)-b.base]
			if d == nil {
				return true
			}
			b.usesTime = true
			c.Replace(durationExpr(d, x.ValuePos))
		}
		return true
	})
}

// checkChans reports Go channel types in tasklet code (outside func
// literals, which may run on goroutines): a Go channel operation would block
// the whole dispatcher.
func (b *builder) checkChans(n ast.Node) {
	ast.Inspect(n, func(m ast.Node) bool {
		switch m := m.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ChanType:
			elem := "T"
			if m.Value != nil {
				off, end := int(m.Value.Pos())-b.base, int(m.Value.End())-b.base
				if off >= 0 && end <= len(b.src) && off < end {
					elem = string(b.src[off:end])
				}
			}
			b.errorf(int(m.Begin)-b.base, "Go channel type in a tasklet would block the dispatcher (use Channel[%s], a tasklet channel)", elem)
			return false
		}
		return true
	})
}

// durationExpr is the Go expression a duration literal means:
// number * time.Unit, every node at the literal's position.
func durationExpr(d *durLit, pos token.Pos) ast.Expr {
	return &ast.BinaryExpr{
		X:     &ast.BasicLit{ValuePos: pos, Kind: d.kind, Value: d.num},
		OpPos: pos,
		Op:    token.MUL,
		Y: &ast.SelectorExpr{
			X:   &ast.Ident{NamePos: pos, Name: "time"},
			Sel: &ast.Ident{NamePos: pos, Name: d.unit},
		},
	}
}

// --- declarations ---------------------------------------------------------

func (b *builder) file(p *pFile) *File {
	f := &File{
		Pos:     b.lpos(p.Pos),
		Name:    b.filename,
		Package: b.ident(p.Package),
	}
	for _, im := range p.imports() {
		spec := &Import{Pos: b.lpos(im.Pos), Keyword: b.lpos(im.keyword)}
		if im.Name != "" {
			spec.Name = &Ident{Pos: b.lpos(im.Pos), Name: im.Name}
		}
		path, err := unquote(im.Path)
		if err != nil || path == "" {
			b.errorf(im.Pos.Offset+len(im.Name), "bad import path %s (expected a quoted package path)", im.Path)
		}
		spec.Path = path
		f.Imports = append(f.Imports, spec)
	}
	for _, d := range p.Decls {
		if decl := b.decl(d); decl != nil {
			f.Decls = append(f.Decls, decl)
		}
	}
	return f
}

// imports lists the import specs of p, each with its keyword.
func (p *pFile) imports() []*pImport {
	var out []*pImport
	for _, d := range p.Imports {
		for _, s := range d.Specs {
			s.keyword = d.Pos
			out = append(out, s)
		}
	}
	return out
}

// fork returns a builder for converting one declaration on its own (and
// perhaps on another goroutine): it shares the read-only state of b.
func (b *builder) fork() *builder {
	return &builder{
		filename:  b.filename,
		src:       b.src,
		masked:    b.masked,
		tf:        b.tf,
		base:      b.base,
		durations: b.durations,
		durOffs:   b.durOffs,
	}
}

// decl converts a top-level declaration; nil when it is a Go declaration
// that go/parser rejected (the error is recorded).
func (b *builder) decl(d *pDecl) Decl {
	switch {
	case d.Message != nil:
		return b.message(d.Message)
	case d.Tasklet != nil:
		return b.tasklet(d.Tasklet)
	case d.Go != nil:
		decl := b.goDecl(d.Go.span)
		if decl == nil {
			return nil
		}
		return &GoDecl{
			Pos:  b.lpos(d.Go.Pos),
			Decl: decl,
			Text: string(b.src[d.Go.Off:d.Go.End]),
		}
	}
	return nil
}

func (b *builder) message(p *pMessage) *MessageDecl {
	d := &MessageDecl{Pos: b.lpos(p.Pos), Name: b.ident(p.Name)}
	text, base := b.snippet(p.Fields.Off, p.Fields.End, "struct", "")
	x, err := parser.ParseExprFrom(b.tmpFileSet(base), b.filename, text, parser.SkipObjectResolution)
	if err != nil {
		b.goError(err, base)
		d.Fields = &ast.FieldList{Opening: b.gpos(p.Fields.Off), Closing: b.gpos(p.Fields.End - 1)}
	} else {
		b.fix(x)
		d.Fields = x.(*ast.StructType).Fields
	}
	if p.Reply != nil {
		d.Reply = b.typeExpr(p.Reply.span, "reply type")
	}
	return d
}

func (b *builder) tasklet(p *pTasklet) *TaskletDecl {
	d := &TaskletDecl{Pos: b.lpos(p.Pos), Name: b.ident(p.Name)}
	b.inTasklet = true
	end := p.Sig.End
	if p.Sig.Results.End > 0 {
		end = p.Sig.Results.End
	}
	text, base := b.snippet(p.Sig.Off, end, "func", "")
	x, err := parser.ParseExprFrom(b.tmpFileSet(base), b.filename, text, parser.SkipObjectResolution)
	if err != nil {
		b.goError(err, base)
		d.Type = &ast.FuncType{Params: &ast.FieldList{}}
	} else {
		b.fix(x)
		ft, ok := x.(*ast.FuncType)
		if !ok {
			b.errorf(p.Sig.Off, "malformed tasklet signature (expected (params) results)")
			ft = &ast.FuncType{Params: &ast.FieldList{}}
		}
		ft.Func = token.NoPos
		if ft.Results != nil && len(ft.Results.List) == 0 {
			ft.Results = nil // `()`: no results
		}
		d.Type = ft
		b.checkResults(ft)
	}
	d.Body = b.block(p.Body)
	b.inTasklet = false
	return d
}

// checkResults enforces the result lists a tasklet may have: none, T,
// error or (T, error).
func (b *builder) checkResults(ft *ast.FuncType) {
	if ft.Results == nil {
		return
	}
	n := ft.Results.NumFields()
	if n <= 1 {
		return
	}
	last := ft.Results.List[len(ft.Results.List)-1].Type
	if id, ok := last.(*ast.Ident); n == 2 && ok && id.Name == "error" {
		return
	}
	b.errorf(int(ft.Results.Pos())-b.base, "a tasklet has at most one result and an error (expected T, error or (T, error))")
}

// typeExpr parses an expression that must be a type.
func (b *builder) typeExpr(sp span, what string) ast.Expr {
	x := b.expr(sp)
	if x == nil {
		return nil
	}
	if _, bad := x.(*ast.BadExpr); !bad && !isType(x) {
		b.errorf(sp.Off, "%s must be a type, found the value %s", what, strings.TrimSpace(string(b.src[sp.Off:sp.End])))
	}
	return x
}

// isType reports whether x can only be, or may be, a type.
func isType(x ast.Expr) bool {
	switch t := x.(type) {
	case *ast.Ident, *ast.ArrayType, *ast.MapType, *ast.StructType, *ast.InterfaceType,
		*ast.FuncType, *ast.ChanType:
		return true
	case *ast.SelectorExpr:
		_, ok := t.X.(*ast.Ident)
		return ok
	case *ast.StarExpr:
		return isType(t.X)
	case *ast.ParenExpr:
		return isType(t.X)
	case *ast.IndexExpr:
		return isType(t.X)
	case *ast.IndexListExpr:
		return isType(t.X)
	}
	return false
}

func unquote(s string) (string, error) {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '`') && s[len(s)-1] == s[0] {
		if s[0] == '`' {
			return s[1 : len(s)-1], nil
		}
		var out strings.Builder
		for i := 1; i < len(s)-1; i++ {
			if s[i] == '\\' {
				return "", fmt.Errorf("escape in import path")
			}
			out.WriteByte(s[i])
		}
		return out.String(), nil
	}
	return "", fmt.Errorf("not a string")
}
