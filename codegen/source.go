package codegen

import (
	"fmt"
	"go/ast"
	"go/token"
	"math/big"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/tskc-lang/tskc/grammar"
)

// srcFile is one parsed .tsk file of the package being compiled.
type srcFile struct {
	name  string // as given to the parser and shown in diagnostics
	abs   string // absolute path, used in the shadow's line directives
	base  string // file name without directory, used in //line directives of the output
	out   string // path of the generated file (dir/foo_tsk.go)
	src   []byte
	file  *grammar.File
	fset  *token.FileSet
	lines []int // byte offset of the start of each line
}

func newSrcFile(name, abs string, src []byte, f *grammar.File) *srcFile {
	s := &srcFile{
		name: name,
		abs:  abs,
		base: filepath.Base(name),
		out:  strings.TrimSuffix(name, ".tsk") + "_tsk.go",
		src:  src,
		file: f,
		fset: f.FileSet,
	}
	s.lines = append(s.lines, 0)
	for i, c := range src {
		if c == '\n' {
			s.lines = append(s.lines, i+1)
		}
	}
	return s
}

// offset is the byte offset in the .tsk source of a go/ast position.
func (s *srcFile) offset(p token.Pos) int {
	return s.fset.PositionFor(p, false).Offset
}

// lineCol is the 1-based line and byte column of a byte offset.
func (s *srcFile) lineCol(off int) (int, int) {
	i := sort.Search(len(s.lines), func(i int) bool { return s.lines[i] > off }) - 1
	return i + 1, off - s.lines[i] + 1
}

// key is the position key of a byte offset.
func (s *srcFile) key(off int) posKey {
	l, c := s.lineCol(off)
	return posKey{s.abs, l, c}
}

// keyOf is the position key of a go/ast position.
func (s *srcFile) keyOf(p token.Pos) posKey { return s.key(s.offset(p)) }

// keyAt is the position key of a grammar position.
func (s *srcFile) keyAt(p grammar.Pos) posKey { return posKey{s.abs, p.Line, p.Column} }

// posKey identifies a position in a .tsk file: the absolute file name, line
// and byte column. The shadow reproduces .tsk positions exactly through
// /*line*/ directives, so go/types objects map back to .tsk nodes by it.
type posKey struct {
	file      string
	line, col int
}

// splice replaces src[start:end] by text when rendering a span of source.
type splice struct {
	start, end int
	text       string
}

// rewriter decides how identifiers and special expressions of a Go
// expression are rendered. It returns ok=false to keep the source text.
// stack holds the ancestors of n, its parent last.
type rewriter func(n ast.Node, stack []ast.Node) (text string, ok bool)

// render returns the source text of node n, with the splices the
// rewriter asks for, duration literals replaced by their Go meaning
// (timeName is the local name of package time), and, when directives is
// set, a /*line*/ directive after each splice so that positions after it
// stay exact (the shadow needs that).
func (s *srcFile) render(n ast.Node, rw rewriter, timeName func() string, directives bool) string {
	start, end := s.offset(n.Pos()), s.end(n)
	return s.renderSpan(n, start, end, rw, timeName, directives)
}

func (s *srcFile) renderSpan(n ast.Node, start, end int, rw rewriter, timeName func() string, directives bool) string {
	var sp []splice
	var stack []ast.Node
	ast.Inspect(n, func(c ast.Node) bool {
		if c == nil {
			stack = stack[:len(stack)-1]
			return false
		}
		if d, ok := durationLit(c); ok {
			off := s.offset(c.Pos())
			num, unit := durationValue(d)
			text := fmt.Sprintf("(%s * %s.%s)", num, timeName(), unit)
			if directives {
				// The identifiers of the expansion must not take the
				// positions of the .tsk code after the literal.
				text = fmt.Sprintf("(%s * /*line %s%s:1:1*/%s.%s)", num, s.base, glueSuffix, timeName(), unit)
			}
			sp = append(sp, splice{off, s.durationEnd(off, d), text})
			return false
		}
		if rw != nil {
			if text, ok := rw(c, stack); ok {
				sp = append(sp, splice{s.offset(c.Pos()), s.end(c), text})
				return false
			}
		}
		stack = append(stack, c)
		return true
	})
	sort.Slice(sp, func(i, j int) bool { return sp[i].start < sp[j].start })
	var b strings.Builder
	at := start
	for _, x := range sp {
		if x.start < at || x.end > end {
			continue
		}
		b.Write(s.src[at:x.start])
		b.WriteString(x.text)
		at = x.end
		if directives {
			b.WriteString(s.directive(at))
		}
	}
	b.Write(s.src[at:end])
	return b.String()
}

// directive is the /*line*/ comment that gives the next character the
// .tsk position of byte offset off.
func (s *srcFile) directive(off int) string {
	l, c := s.lineCol(off)
	return fmt.Sprintf("/*line %s:%d:%d*/", s.base, l, c)
}

// durationEnd is the end offset of the duration literal starting at off.
func (s *srcFile) durationEnd(off int, d *ast.BinaryExpr) int {
	i := off + len(d.X.(*ast.BasicLit).Value)
	for i < len(s.src) {
		c := s.src[i]
		if c >= 'a' && c <= 'z' || c >= 0x80 {
			i++
			continue
		}
		break
	}
	return i
}

// durationLit reports whether n is the expression the parser made of a
// duration literal: number * time.Unit with every node at one position.
func durationLit(n ast.Node) (*ast.BinaryExpr, bool) {
	b, ok := n.(*ast.BinaryExpr)
	if !ok || b.Op != token.MUL {
		return nil, false
	}
	lit, ok := b.X.(*ast.BasicLit)
	if !ok {
		return nil, false
	}
	sel, ok := b.Y.(*ast.SelectorExpr)
	if !ok {
		return nil, false
	}
	x, ok := sel.X.(*ast.Ident)
	if !ok || x.Name != "time" {
		return nil, false
	}
	if lit.Pos() != b.OpPos || x.Pos() != lit.Pos() || sel.Sel.Pos() != lit.Pos() {
		return nil, false
	}
	return b, true
}

// end is the offset just after node n in the source. It differs from
// n.End() when n ends with a duration literal, whose nodes all sit at the
// literal's start.
func (s *srcFile) end(n ast.Node) int {
	if d, ok := durationLit(n); ok {
		return s.durationEnd(s.offset(d.Pos()), d)
	}
	switch n := n.(type) {
	case *ast.BinaryExpr:
		return s.end(n.Y)
	case *ast.UnaryExpr:
		return s.end(n.X)
	case *ast.StarExpr:
		return s.end(n.X)
	case *ast.KeyValueExpr:
		return s.end(n.Value)
	case *ast.ExprStmt:
		return s.end(n.X)
	case *ast.SendStmt:
		return s.end(n.Value)
	case *ast.AssignStmt:
		if len(n.Rhs) > 0 {
			return s.end(n.Rhs[len(n.Rhs)-1])
		}
	case *ast.ValueSpec:
		if len(n.Values) > 0 {
			return s.end(n.Values[len(n.Values)-1])
		}
	case *ast.GenDecl:
		if !n.Rparen.IsValid() && len(n.Specs) == 1 {
			return s.end(n.Specs[0])
		}
	case *ast.ReturnStmt:
		if len(n.Results) > 0 {
			return s.end(n.Results[len(n.Results)-1])
		}
	}
	return s.offset(n.End())
}

// units are the time units of duration literals, largest first, in
// nanoseconds.
var units = []struct {
	name string
	ns   int64
}{
	{"Hour", int64(time.Hour)}, {"Minute", int64(time.Minute)}, {"Second", int64(time.Second)},
	{"Millisecond", int64(time.Millisecond)}, {"Microsecond", int64(time.Microsecond)}, {"Nanosecond", 1},
}

// durationValue returns a duration literal as an integer count of the
// largest unit that expresses it exactly (1.5s is 1500 Millisecond), so
// that the Go constant expression is exact; a literal that is not a whole
// number of nanoseconds is kept as written (Go reports the truncation).
func durationValue(d *ast.BinaryExpr) (num, unit string) {
	num, unit = d.X.(*ast.BasicLit).Value, d.Y.(*ast.SelectorExpr).Sel.Name
	r, ok := new(big.Rat).SetString(strings.ReplaceAll(num, "_", ""))
	if !ok {
		return
	}
	var per int64
	for _, u := range units {
		if u.name == unit {
			per = u.ns
		}
	}
	if per == 0 {
		return
	}
	r.Mul(r, new(big.Rat).SetInt64(per))
	if !r.IsInt() {
		return
	}
	ns := r.Num()
	if ns.Sign() == 0 {
		return "0", unit
	}
	for _, u := range units {
		q, m := new(big.Int).QuoRem(ns, big.NewInt(u.ns), new(big.Int))
		if m.Sign() == 0 {
			if u.name == unit && num == q.String() {
				return
			}
			return q.String(), u.name
		}
	}
	return
}
