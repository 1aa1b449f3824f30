package grammar

import (
	"bytes"
	"errors"
	"fmt"
	"go/token"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// fileBase is the token.Pos of the first byte of a parsed file. It leaves
// room below the file for the prefixes that wrap Go snippets handed to
// go/parser (see builder.snippet).
const fileBase = 64

// ParseFile parses the .tsk source src; filename is used in positions and
// messages. On bad input it returns an ErrorList sorted by position, and
// possibly a partial File.
func ParseFile(filename string, src []byte) (f *File, err error) {
	defer func() {
		// The parser must not panic on any input (FuzzParse checks it);
		// should a bug make it, the caller still gets an error.
		if r := recover(); r != nil {
			f, err = nil, ErrorList{{Pos: Pos{Filename: filename, Line: 1, Column: 1}, Msg: fmt.Sprintf("internal error in the .tsk parser: %v (please report it)", r)}}
		}
	}()
	fset := token.NewFileSet()
	tf := fset.AddFile(filename, fileBase, len(src))
	tf.SetLinesForContent(src)

	sc := scanFile(filename, tf, src)
	if len(sc.errs) > 0 {
		return nil, sortErrors(sc.errs)
	}
	if len(sc.toks) == 1 {
		return nil, ErrorList{{Pos: Pos{Filename: filename, Line: 1, Column: 1}, Msg: "empty file (expected package clause: package name)"}}
	}
	b := &builder{
		filename:  filename,
		src:       src,
		masked:    maskDurations(src, sc.durations),
		tf:        tf,
		base:      tf.Base(),
		durations: sc.durations,
	}
	for off := range sc.durations {
		b.durOffs = append(b.durOffs, off)
	}
	sort.Ints(b.durOffs)
	toks := sc.toks
	eof := toks[len(toks)-1].Pos
	h, ok := headerEnd(toks)
	if !ok {
		// Not the usual shape: the whole-file grammar says what is wrong.
		pf, _, err := run(tskParser, toks[:len(toks)-1], eof)
		if err != nil {
			return nil, ErrorList{b.syntaxError(err, sc)}
		}
		f = b.file(pf)
	} else {
		pf, _, err := run(tskParser, toks[:h], toks[h].Pos)
		if err != nil {
			return nil, ErrorList{b.syntaxError(err, sc)}
		}
		f = b.file(pf)
		chunks := splitDecls(toks, h)
		var syntax ErrorList
		failed := false
		for i, r := range b.parseDecls(toks, chunks) {
			if failed && !declStart[toks[chunks[i][0]].Value] {
				continue // most likely the rest of the declaration that failed
			}
			failed = false
			if r.syntax != nil {
				syntax = append(syntax, b.syntaxError(r.syntax, sc))
				failed = true
				if len(syntax) == maxErrors {
					break
				}
				continue
			}
			if r.decl != nil {
				f.Decls = append(f.Decls, r.decl)
			}
			b.errs = append(b.errs, r.errs...)
			b.usesTime = b.usesTime || r.usesTime
		}
		if len(syntax) > 0 {
			return nil, sortErrors(syntax)
		}
	}
	f.FileSet = fset
	f.Comments = sc.comments
	f.UsesTime = b.usesTime
	if len(sc.durations) > 0 {
		f.durations = make(map[token.Pos]string, len(sc.durations))
		for off, d := range sc.durations {
			f.durations[b.gpos(off)] = d.text
		}
	}
	attachDocs(f, src)
	if len(b.errs) > 0 {
		return f, sortErrors(b.errs)
	}
	return f, nil
}

// run parses toks, then an end of file at eof, with p, reporting the
// error that got furthest.
func run[G any](p *participle.Parser[G], toks []lexer.Token, eof lexer.Position) (*G, []span, error) {
	lex, err := lexer.Upgrade(&tokenLexer{toks: toks, eof: lexer.Token{Type: lexer.EOF, Pos: eof}})
	if err != nil {
		return nil, nil, err
	}
	st, done := track(lex)
	defer done()
	g, err := p.ParseFromLexer(lex)
	if err != nil {
		return nil, nil, st.furthest(err)
	}
	return g, st.spans, nil
}

// declResult is what parsing and converting one top-level declaration gave.
type declResult struct {
	decl     Decl
	syntax   error     // from the grammar
	errs     ErrorList // from the conversion
	usesTime bool
}

// parallelMin is the number of declarations from which they are parsed by
// several goroutines.
const parallelMin = 32

// parseDecls parses and converts the top-level declarations in toks
// (given by splitDecls), on several goroutines for big files.
func (b *builder) parseDecls(toks []lexer.Token, chunks [][2]int) []declResult {
	results := make([]declResult, len(chunks))
	work := func(i int) {
		c := chunks[i]
		r := &results[i]
		pd, spans, err := run(declParser, toks[c[0]:c[1]], toks[c[1]].Pos)
		if err != nil {
			r.syntax = err
			return
		}
		cb := b.fork()
		cb.batch(spans, pd.Decl.Tasklet != nil)
		r.decl = cb.decl(pd.Decl)
		r.errs, r.usesTime = cb.errs, cb.usesTime
	}
	workers := min(runtime.GOMAXPROCS(0), 8)
	if len(chunks) < parallelMin || workers < 2 {
		for i := range chunks {
			work(i)
		}
		return results
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(chunks) {
					return
				}
				work(i)
			}
		})
	}
	wg.Wait()
	return results
}

// maxErrors bounds the syntax errors reported for one file.
const maxErrors = 10

// declStart holds the words a top-level declaration starts with.
var declStart = map[string]bool{
	"message": true, "tasklet": true, "func": true, "type": true, "var": true, "const": true, "import": true,
}

// headerEnd returns the index of the first token after the package clause
// and the imports; ok is false when the file does not start that way.
func headerEnd(toks []lexer.Token) (int, bool) {
	if len(toks) < 3 || toks[0].Value != "package" || goKind(toks[1].Type) != token.IDENT || !isSemi(goKind(toks[2].Type)) {
		return 0, false
	}
	i := 3
	for i < len(toks) {
		switch {
		case isSemi(goKind(toks[i].Type)):
			i++
		case toks[i].Value == "import":
			end, ok := declEnd(toks, i)
			if !ok {
				return 0, false
			}
			i = end
		default:
			return i, true
		}
	}
	return 0, false
}

// declEnd returns the index after the semicolon that ends the
// declaration starting at toks[i], or the index of EOF.
func declEnd(toks []lexer.Token, i int) (int, bool) {
	depth := 0
	for ; i < len(toks); i++ {
		switch goKind(toks[i].Type) {
		case token.LPAREN, token.LBRACK, token.LBRACE:
			depth++
		case token.RPAREN, token.RBRACK, token.RBRACE:
			depth--
		case token.SEMICOLON, tokAutoSemi:
			if depth == 0 {
				return i + 1, true
			}
		case token.EOF:
			return i, depth == 0
		}
	}
	return len(toks) - 1, false
}

// splitDecls returns the token ranges [start, end) of the top-level
// declarations from toks[from] on; an unbalanced declaration runs to the
// end of the file.
func splitDecls(toks []lexer.Token, from int) [][2]int {
	var out [][2]int
	i := from
	for i < len(toks)-1 {
		if isSemi(goKind(toks[i].Type)) {
			i++
			continue
		}
		end, _ := declEnd(toks, i)
		if end <= i {
			end = len(toks) - 1
		}
		out = append(out, [2]int{i, end})
		i = end
	}
	return out
}

// maskDurations returns a copy of src in which every duration literal is
// replaced by "0" padded with spaces, so go/parser can read the code
// around it; builder.fix puts the meaning back.
func maskDurations(src []byte, ds map[int]*durLit) []byte {
	if len(ds) == 0 {
		return src
	}
	m := bytes.Clone(src)
	for _, d := range ds {
		m[d.off] = '0'
		for i := d.off + 1; i < d.end; i++ {
			m[i] = ' '
		}
	}
	return m
}

func sortErrors(l ErrorList) ErrorList {
	sort.SliceStable(l, func(i, j int) bool { return l[i].Pos.Offset < l[j].Pos.Offset })
	// Drop repeats at one position: the first says it best.
	out := l[:0]
	for i, e := range l {
		if i > 0 && e.Pos.Offset == l[i-1].Pos.Offset {
			continue
		}
		out = append(out, e)
	}
	return out
}

// syntaxError turns a participle error into the project's form.
func (b *builder) syntaxError(err error, sc *scanResult) *Error {
	var perr participle.Error
	if !errors.As(err, &perr) {
		return &Error{Pos: b.posOf(0), Msg: err.Error()}
	}
	p := perr.Position()
	pos := Pos{Filename: b.filename, Offset: p.Offset, Line: p.Line, Column: p.Column}
	msg := perr.Message()
	var ute *participle.UnexpectedTokenError
	if errors.As(err, &ute) {
		i := sort.Search(len(sc.toks), func(i int) bool { return sc.toks[i].Pos.Offset >= p.Offset })
		if i == len(sc.toks) {
			i--
		}
		msg = explain(sc.toks, i)
	}
	return &Error{Pos: pos, Msg: msg}
}

// attachDocs gives each declaration the comments directly above it.
func attachDocs(f *File, src []byte) {
	if len(f.Comments) == 0 {
		return
	}
	endLine := func(c *Comment) int {
		return c.Pos.Line + strings.Count(c.Text, "\n")
	}
	ci := 0
	for _, d := range f.Decls {
		pos := d.Position()
		// Comments before the declaration, in order.
		for ci < len(f.Comments) && f.Comments[ci].Pos.Offset < pos.Offset {
			ci++
		}
		var doc []*Comment
		line := pos.Line
		for j := ci - 1; j >= 0; j-- {
			c := f.Comments[j]
			if endLine(c) != line-1 {
				break
			}
			// Only whitespace between the comment and what follows it.
			if c.Pos.Column != 1 && !onlySpaceBefore(src, c.Pos.Offset) {
				break
			}
			doc = append([]*Comment{c}, doc...)
			line = c.Pos.Line
		}
		switch d := d.(type) {
		case *MessageDecl:
			d.Doc = doc
		case *TaskletDecl:
			d.Doc = doc
		case *GoDecl:
			d.Doc = doc
		}
	}
}

func onlySpaceBefore(src []byte, off int) bool {
	for i := off - 1; i >= 0 && src[i] != '\n'; i-- {
		if src[i] != ' ' && src[i] != '\t' {
			return false
		}
	}
	return true
}
