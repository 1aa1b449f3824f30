package grammar

import (
	"bytes"
	"errors"
	"fmt"
	"go/token"
	"sort"
	"strings"

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
	lex, err := lexer.Upgrade(&tokenLexer{toks: sc.toks})
	if err != nil {
		return nil, ErrorList{{Pos: b.posOf(0), Msg: err.Error()}}
	}
	pf, err := tskParser.ParseFromLexer(lex)
	if err != nil {
		return nil, ErrorList{b.syntaxError(err, sc)}
	}
	f = b.file(pf)
	f.FileSet = fset
	f.Comments = sc.comments
	f.UsesTime = b.usesTime
	attachDocs(f, src)
	if len(b.errs) > 0 {
		return f, sortErrors(b.errs)
	}
	return f, nil
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
