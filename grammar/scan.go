package grammar

import (
	"bytes"
	"fmt"
	"go/scanner"
	"go/token"
	"io"
	"math/big"
	"strings"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2/lexer"
)

// Token kinds of our own, beyond go/token's.
const (
	// tokDuration is a duration literal: a decimal number directly
	// followed by a unit (250ms, 1.5s).
	tokDuration token.Token = 1000
	// tokAutoSemi is a semicolon inserted at a line end (or at the end of
	// the file) by Go's rules; an explicit one is token.SEMICOLON.
	tokAutoSemi token.Token = 1001
)

// isSemi reports whether k ends a statement.
func isSemi(k token.Token) bool { return k == token.SEMICOLON || k == tokAutoSemi }

// maxNesting bounds the bracket depth of a file, so that hostile input
// cannot drive the recursive parser into a stack overflow.
const maxNesting = 500

// durationUnits maps each duration unit to the name of its time constant.
var durationUnits = map[string]string{
	"ns": "Nanosecond",
	"us": "Microsecond",
	"µs": "Microsecond",
	"μs": "Microsecond",
	"ms": "Millisecond",
	"s":  "Second",
	"m":  "Minute",
	"h":  "Hour",
}

// nanos is the length of each unit in nanoseconds, to check that a literal
// is a whole number of nanoseconds.
var nanos = map[string]int64{
	"Nanosecond":  1,
	"Microsecond": 1e3,
	"Millisecond": 1e6,
	"Second":      1e9,
	"Minute":      60e9,
	"Hour":        3600e9,
}

// tokType maps a go/token kind to the participle token type that carries it.
// EOF is participle's own lexer.EOF.
func tokType(k token.Token) lexer.TokenType {
	if k == token.EOF {
		return lexer.EOF
	}
	return lexer.TokenType(-(int(k) + 10))
}

// goKind is the inverse of tokType.
func goKind(t lexer.TokenType) token.Token {
	if t == lexer.EOF {
		return token.EOF
	}
	return token.Token(-int(t) - 10)
}

// symbols names the token types the grammar refers to.
func symbols() map[string]lexer.TokenType {
	return map[string]lexer.TokenType{
		"EOF":      lexer.EOF,
		"Ident":    tokType(token.IDENT),
		"Int":      tokType(token.INT),
		"Float":    tokType(token.FLOAT),
		"Imag":     tokType(token.IMAG),
		"Char":     tokType(token.CHAR),
		"String":   tokType(token.STRING),
		"Duration": tokType(tokDuration),
	}
}

// durLit is a duration literal found by the scanner.
type durLit struct {
	off, end int    // byte span in the source
	num      string // the number of units, an integer literal but for bad literals
	kind     token.Token
	unit     string // name of the time constant: Millisecond, ...
	text     string // the literal as written
}

// scanResult is what scanning a whole file gives.
type scanResult struct {
	toks      []lexer.Token
	comments  []*Comment
	durations map[int]*durLit // by offset
	errs      ErrorList
}

// scanFile turns src into tokens with Go's lexical rules (identifiers,
// literals, operators, comments and automatic semicolons), plus duration
// literals. A semicolon the scanner inserted has the Value ";".
func scanFile(filename string, tf *token.File, src []byte) *scanResult {
	r := &scanResult{
		durations: map[int]*durLit{},
		toks:      make([]lexer.Token, 0, len(src)/3+16),
	}
	// Tokens come in source order, so lines are counted as they pass;
	// pos falls back to the file's line table for earlier offsets.
	line, lineStart := 1, 0
	pos := func(off int) Pos {
		if off < lineStart || off >= len(src) {
			p := tf.Position(tf.Pos(off))
			return Pos{Filename: filename, Offset: off, Line: p.Line, Column: p.Column}
		}
		for {
			i := bytes.IndexByte(src[lineStart:min(off, len(src))], '\n')
			if i < 0 {
				break
			}
			lineStart += i + 1
			line++
		}
		return Pos{Filename: filename, Offset: off, Line: line, Column: off - lineStart + 1}
	}
	var s scanner.Scanner
	s.Init(tf, src, func(p token.Position, msg string) {
		r.errs = append(r.errs, &Error{Pos: pos(p.Offset), Msg: scanMessage(msg)})
	}, scanner.ScanComments)
	base := tf.Base()
	depth := 0
	for {
		p, k, lit := s.Scan()
		off := int(p) - base
		if k == token.COMMENT {
			r.comments = append(r.comments, &Comment{Pos: pos(off), Text: lit})
			continue
		}
		end := off + len(lit)
		value := lit
		switch {
		case k == token.SEMICOLON:
			value = ";"
			if lit == ";" {
				end = off + 1
			} else {
				end = off // inserted: occupies no source
				k = tokAutoSemi
			}
		case k == token.EOF:
			end, value = off, ""
		case k.IsOperator():
			value = k.String()
			end = off + len(value)
		case k == token.STRING || k == token.CHAR:
			// The scanner drops carriage returns from raw strings; keep
			// the exact source text so spans stay byte-exact.
			end = literalEnd(src, off, k)
			value = string(src[off:end])
		}
		switch k {
		case token.LPAREN, token.LBRACK, token.LBRACE:
			depth++
			if depth > maxNesting {
				r.errs = append(r.errs, &Error{Pos: pos(off), Msg: fmt.Sprintf("brackets nested too deeply (at most %d levels)", maxNesting)})
				r.toks = append(r.toks, lexer.Token{Type: lexer.EOF, Pos: lexPos(pos(off))})
				return r
			}
		case token.RPAREN, token.RBRACK, token.RBRACE:
			depth--
		}
		// A number directly followed by letters is a duration literal.
		if (k == token.INT || k == token.FLOAT) && end < len(src) && isLetterStart(src[end:]) {
			p2, k2, lit2 := s.Scan()
			off2 := int(p2) - base
			if k2 == token.IDENT && off2 == end {
				d, err := makeDuration(lit, k, lit2)
				if err != "" {
					r.errs = append(r.errs, &Error{Pos: pos(off), Msg: err})
				}
				d.off, d.end, d.text = off, off2+len(lit2), lit+lit2
				r.durations[off] = d
				r.toks = append(r.toks, lexer.Token{Type: tokType(tokDuration), Value: lit + lit2, Pos: lexPos(pos(off))})
				continue
			}
			// A keyword (letters, but not an identifier): keep both
			// tokens; the grammar will not want them.
			r.toks = append(r.toks, lexer.Token{Type: tokType(k), Value: value, Pos: lexPos(pos(off))})
			k, off, value = k2, off2, lit2
		}
		r.toks = append(r.toks, lexer.Token{Type: tokType(k), Value: value, Pos: lexPos(pos(off))})
		if k == token.EOF {
			return r
		}
	}
}

// literalEnd finds the end of the string or rune literal starting at off.
func literalEnd(src []byte, off int, k token.Token) int {
	if off >= len(src) {
		return off
	}
	q := src[off]
	i := off + 1
	for i < len(src) {
		c := src[i]
		switch {
		case c == q:
			return i + 1
		case c == '\\' && q != '`':
			i += 2
			continue
		case c == '\n' && q != '`':
			return i
		}
		i++
	}
	return len(src)
}

func isLetterStart(b []byte) bool {
	r, _ := utf8.DecodeRune(b)
	return r == '_' || r == 'µ' || r == 'μ' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || r > utf8.RuneSelf && r != utf8.RuneError
}

// makeDuration checks a duration literal: num is the number as scanned,
// unit the letters directly after it. It returns a message when the
// literal is bad (the durLit is still usable).
func makeDuration(num string, kind token.Token, unit string) (*durLit, string) {
	d := &durLit{num: num, kind: kind, unit: "Second"}
	lit := num + unit
	name, ok := durationUnits[unit]
	if !ok {
		if i := strings.IndexFunc(unit, func(r rune) bool { return r >= '0' && r <= '9' }); i > 0 {
			if _, ok := durationUnits[unit[:i]]; ok {
				return d, fmt.Sprintf("bad duration literal %s: one number and one unit per literal (write %s%s + %s)", lit, num, unit[:i], unit[i:])
			}
		}
		return d, fmt.Sprintf("bad duration literal %s: unknown unit %q (expected ns, us, ms, s, m or h)", lit, unit)
	}
	d.unit = name
	if len(num) > 1 && num[0] == '0' && (num[1] == 'x' || num[1] == 'X' || num[1] == 'b' || num[1] == 'B' || num[1] == 'o' || num[1] == 'O') {
		return d, fmt.Sprintf("bad duration literal %s: the number must be decimal", lit)
	}
	if kind == token.FLOAT {
		// Go rejects 1.5 * time.Second (1.5 cannot become a Duration), so
		// a fraction is written as a whole number of a smaller unit:
		// 1.5s means 1500 * time.Millisecond.
		v, ok := new(big.Rat).SetString(strings.ReplaceAll(num, "_", ""))
		if !ok {
			return d, fmt.Sprintf("bad duration literal %s: malformed number", lit)
		}
		v.Mul(v, new(big.Rat).SetInt64(nanos[name]))
		if !v.IsInt() {
			return d, fmt.Sprintf("bad duration literal %s: not a whole number of nanoseconds", lit)
		}
		for _, u := range unitsDown {
			if nanos[u] > nanos[name] {
				continue
			}
			q := new(big.Rat).Quo(v, new(big.Rat).SetInt64(nanos[u]))
			if q.IsInt() {
				d.num, d.kind, d.unit = q.Num().String(), token.INT, u
				break
			}
		}
	}
	return d, ""
}

// unitsDown lists the time units from the largest.
var unitsDown = []string{"Hour", "Minute", "Second", "Millisecond", "Microsecond", "Nanosecond"}

// scanMessage rewrites a go/scanner message into the project's form.
func scanMessage(msg string) string {
	switch {
	case strings.HasPrefix(msg, "illegal character NUL"):
		return "illegal NUL byte in source (a .tsk file is UTF-8 text)"
	case strings.HasPrefix(msg, "illegal UTF-8 encoding"), strings.HasPrefix(msg, "invalid UTF-8"):
		return "invalid UTF-8 encoding (a .tsk file is UTF-8 text)"
	case strings.HasPrefix(msg, "illegal byte order mark"):
		return "byte order mark in the middle of the file (it may only come first)"
	}
	return msg
}

// lexPos converts a position for a participle token. The file name is left
// out (the builder puts it back), which saves the garbage collector a
// pointer per token.
func lexPos(p Pos) lexer.Position {
	return lexer.Position{Offset: p.Offset, Line: p.Line, Column: p.Column}
}

// tokenLexer feeds pre-scanned tokens to participle, then eof.
type tokenLexer struct {
	toks []lexer.Token
	eof  lexer.Token
	i    int
}

func (l *tokenLexer) Next() (lexer.Token, error) {
	if l.i >= len(l.toks) {
		return l.eof, nil
	}
	t := l.toks[l.i]
	l.i++
	return t, nil
}

// tskLexer is the participle lexer definition. Lexing happens in scanFile;
// the parser is always fed through ParseFromLexer.
type tskLexer struct{}

func (tskLexer) Symbols() map[string]lexer.TokenType { return symbols() }

func (tskLexer) Lex(filename string, r io.Reader) (lexer.Lexer, error) {
	src, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	tf := fset.AddFile(filename, -1, len(src))
	res := scanFile(filename, tf, src)
	return &tokenLexer{toks: res.toks, eof: res.toks[len(res.toks)-1]}, nil
}
