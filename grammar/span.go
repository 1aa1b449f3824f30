package grammar

import (
	"go/token"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// This file finds where Go code embedded in .tsk syntax begins and ends.
// The grammar only records the byte span; build.go parses it with go/parser.
//
// An expression ends where Go would need an operator but finds something
// else: a comma, semicolon, colon, assignment, closing bracket, keyword or,
// directly after an operand, an identifier. That last rule is what makes
// the modifier words (timeout, with, now, ...) contextual: `call p, m
// timeout 1s` ends the message expression at `timeout`, while `sleep
// timeout` uses a variable named timeout.

// span is a run of source bytes holding Go code.
type span struct {
	Pos      lexer.Position // of the first token
	Off, End int            // byte offsets; End is exclusive
}

// exprMode says how an expression is delimited.
type exprMode int

const (
	modeFull    exprMode = iota // a complete expression
	modeHeader                  // in an if/for/switch header: a `{` after a type name opens the block
	modePrimary                 // a unary operand only (the channel of `<-ch`)
	modeResult                  // a tasklet's result type: a `{` always opens the body
)

// stmtWords begin tasklet statements; a Go statement may not start with one.
var stmtWords = map[string]bool{
	"yield": true, "sleep": true, "spawn": true, "send": true, "call": true,
	"reply": true, "receive": true, "join": true, "await": true, "kill": true,
	"deadline": true, "quit": true, "select": true,
}

func tokEnd(t *lexer.Token) int {
	if t.Type == lexer.EOF {
		return t.Pos.Offset
	}
	switch goKind(t.Type) {
	case token.SEMICOLON:
		return t.Pos.Offset + 1
	case tokAutoSemi:
		return t.Pos.Offset
	}
	return t.Pos.Offset + len(t.Value)
}

// exprScanner walks the tokens of one Go expression.
type exprScanner struct {
	lex  *lexer.PeekingLexer
	last *lexer.Token // last token consumed
}

func (s *exprScanner) peek() token.Token { return goKind(s.lex.Peek().Type) }

func (s *exprScanner) next() *lexer.Token {
	t := s.lex.Next()
	s.last = t
	return t
}

func closer(k token.Token) token.Token {
	switch k {
	case token.LPAREN:
		return token.RPAREN
	case token.LBRACK:
		return token.RBRACK
	}
	return token.RBRACE
}

// balanced consumes an opening bracket and everything up to its match.
func (s *exprScanner) balanced() error {
	open := s.next()
	stack := []token.Token{closer(goKind(open.Type))}
	for len(stack) > 0 {
		t := s.lex.Peek()
		k := goKind(t.Type)
		switch k {
		case token.EOF:
			return participle.Errorf(open.Pos, "%s is never closed (expected a matching %s)", open.Value, stack[len(stack)-1])
		case token.LPAREN, token.LBRACK, token.LBRACE:
			stack = append(stack, closer(k))
		case token.RPAREN, token.RBRACK, token.RBRACE:
			if want := stack[len(stack)-1]; k != want {
				return participle.Errorf(t.Pos, "unexpected %s (expected %s to close the %s at %d:%d)", k, want, open.Value, open.Pos.Line, open.Pos.Column)
			}
			stack = stack[:len(stack)-1]
		}
		s.next()
	}
	return nil
}

// skipType consumes a Go type (the result of a func type).
func (s *exprScanner) skipType() error {
	for {
		switch s.peek() {
		case token.MUL, token.ARROW, token.ELLIPSIS:
			s.next()
		case token.LBRACK:
			if err := s.balanced(); err != nil {
				return err
			}
		case token.CHAN:
			s.next()
		case token.MAP:
			s.next()
			if s.peek() != token.LBRACK {
				return nil
			}
			if err := s.balanced(); err != nil {
				return err
			}
		case token.IDENT:
			s.next()
			for s.peek() == token.PERIOD {
				s.next()
				if s.peek() == token.IDENT {
					s.next()
				}
			}
			if s.peek() == token.LBRACK {
				return s.balanced()
			}
			return nil
		case token.STRUCT, token.INTERFACE:
			s.next()
			if s.peek() == token.LBRACE {
				return s.balanced()
			}
			return nil
		case token.FUNC:
			s.next()
			return s.funcRest(false)
		case token.LPAREN:
			return s.balanced()
		default:
			return nil
		}
	}
}

// funcRest consumes the parameters, results and (when allowed and present)
// the body of a func type or literal whose `func` was just consumed.
func (s *exprScanner) funcRest(body bool) error {
	if s.peek() != token.LPAREN {
		return nil
	}
	if err := s.balanced(); err != nil {
		return err
	}
	switch s.peek() {
	case token.LPAREN:
		if err := s.balanced(); err != nil {
			return err
		}
	case token.IDENT, token.MUL, token.LBRACK, token.MAP, token.CHAN, token.FUNC, token.STRUCT, token.INTERFACE, token.ARROW:
		if err := s.skipType(); err != nil {
			return err
		}
	}
	if body && s.peek() == token.LBRACE {
		return s.balanced()
	}
	return nil
}

func isBinary(k token.Token) bool {
	switch k {
	case token.ADD, token.SUB, token.MUL, token.QUO, token.REM, token.AND, token.OR, token.XOR,
		token.SHL, token.SHR, token.AND_NOT, token.LAND, token.LOR,
		token.EQL, token.NEQ, token.LSS, token.LEQ, token.GTR, token.GEQ:
		return true
	}
	return false
}

// scan consumes one expression. ok is false when no token was consumed.
func (s *exprScanner) scan(mode exprMode) (sp span, ok bool, err error) {
	first := s.lex.Peek()
	sp.Pos = first.Pos
	sp.Off = first.Pos.Offset
	expectOperand := true
	typePrefix := false // the operand being scanned is a type literal: []T, map[K]V, ...
	litType := false    // the last operand is a literal type, so `{` opens a composite literal
	consumed := false
loop:
	for {
		t := s.lex.Peek()
		k := goKind(t.Type)
		if expectOperand {
			switch k {
			case token.IDENT, token.INT, token.FLOAT, token.IMAG, token.CHAR, token.STRING, tokDuration:
				if !consumed && k == token.IDENT && stmtWords[t.Value] && mode != modePrimary {
					// A statement word starts no expression... unless it
					// is plainly used as a value: `sleep(x)`, `call.x`.
					break loop
				}
				s.next()
				expectOperand = false
				litType = typePrefix
				typePrefix = false
			case token.ADD, token.SUB, token.NOT, token.XOR, token.MUL, token.AND, token.ARROW, token.TILDE:
				s.next()
			case token.LPAREN:
				if err := s.balanced(); err != nil {
					return sp, true, err
				}
				expectOperand = false
				litType = typePrefix
				typePrefix = false
			case token.LBRACK:
				if err := s.balanced(); err != nil {
					return sp, true, err
				}
				typePrefix = true
			case token.MAP:
				s.next()
				if s.peek() == token.LBRACK {
					if err := s.balanced(); err != nil {
						return sp, true, err
					}
				}
				typePrefix = true
			case token.CHAN:
				s.next()
				typePrefix = true
			case token.FUNC:
				s.next()
				if err := s.funcRest(!typePrefix); err != nil {
					return sp, true, err
				}
				expectOperand = false
				litType = typePrefix
				typePrefix = false
			case token.STRUCT, token.INTERFACE:
				s.next()
				if s.peek() == token.LBRACE {
					if err := s.balanced(); err != nil {
						return sp, true, err
					}
				}
				expectOperand = false
				litType = k == token.STRUCT || typePrefix
				typePrefix = false
			default:
				break loop
			}
		} else {
			switch k {
			case token.PERIOD:
				s.next()
				switch s.peek() {
				case token.IDENT:
					s.next()
				case token.LPAREN:
					if err := s.balanced(); err != nil {
						return sp, true, err
					}
				}
			case token.LPAREN:
				if err := s.balanced(); err != nil {
					return sp, true, err
				}
				litType = false
			case token.LBRACK:
				if err := s.balanced(); err != nil {
					return sp, true, err
				}
			case token.LBRACE:
				if mode == modeResult || (mode == modeHeader && !litType) {
					break loop
				}
				if err := s.balanced(); err != nil {
					return sp, true, err
				}
				litType = false
			default:
				if isBinary(k) && mode != modePrimary {
					s.next()
					expectOperand = true
					typePrefix = false
					litType = false
					continue
				}
				break loop
			}
		}
		consumed = true
	}
	if !consumed {
		return sp, false, nil
	}
	sp.End = tokEnd(s.last)
	return sp, true, nil
}

func scanOne(lex *lexer.PeekingLexer, mode exprMode) (span, error) {
	s := exprScanner{lex: lex}
	sp, ok, err := s.scan(mode)
	if err != nil {
		record(lex, err)
		return sp, err
	}
	if !ok {
		return sp, participle.NextMatch
	}
	note(lex, sp)
	return sp, nil
}

// expr is a Go expression (or type).
type expr struct{ span }

// Parse implements participle.Parseable.
func (e *expr) Parse(lex *lexer.PeekingLexer) (err error) {
	e.span, err = scanOne(lex, modeFull)
	return err
}

// hexpr is a Go expression in a statement header, before a block.
type hexpr struct{ span }

// Parse implements participle.Parseable.
func (e *hexpr) Parse(lex *lexer.PeekingLexer) (err error) {
	e.span, err = scanOne(lex, modeHeader)
	return err
}

// pexpr is a unary operand: the channel of a receive.
type pexpr struct{ span }

// Parse implements participle.Parseable.
func (e *pexpr) Parse(lex *lexer.PeekingLexer) (err error) {
	e.span, err = scanOne(lex, modePrimary)
	return err
}

// exprList is a comma-separated list of expressions.
type exprList struct {
	List []span
}

func scanList(lex *lexer.PeekingLexer, mode exprMode) ([]span, error) {
	var list []span
	for {
		s := exprScanner{lex: lex}
		sp, ok, err := s.scan(mode)
		if err != nil {
			return list, err
		}
		if !ok {
			if len(list) == 0 {
				return nil, participle.NextMatch
			}
			t := lex.Peek()
			return list, participle.Errorf(t.Pos, "unexpected %s after comma (expected an expression)", describe(t))
		}
		list = append(list, sp)
		if goKind(lex.Peek().Type) != token.COMMA {
			return list, nil
		}
		cp := lex.MakeCheckpoint()
		lex.Next()
		if goKind(lex.Peek().Type) == token.RBRACE {
			lex.LoadCheckpoint(cp)
			return list, nil
		}
	}
}

// Parse implements participle.Parseable.
func (l *exprList) Parse(lex *lexer.PeekingLexer) (err error) {
	l.List, err = scanList(lex, modeFull)
	if err == nil {
		note(lex, l.List...)
	}
	return err
}

// braces is a `{ ... }` holding Go code: a message's fields.
type braces struct{ span }

// Parse implements participle.Parseable.
func (b *braces) Parse(lex *lexer.PeekingLexer) error {
	if goKind(lex.Peek().Type) != token.LBRACE {
		return participle.NextMatch
	}
	s := exprScanner{lex: lex}
	b.Pos = lex.Peek().Pos
	b.Off = b.Pos.Offset
	if err := s.balanced(); err != nil {
		return err
	}
	b.End = tokEnd(s.last)
	return nil
}

// signature is a tasklet's `(params) results`.
type signature struct {
	span
	Results span // zero when there are none
}

// Parse implements participle.Parseable.
func (g *signature) Parse(lex *lexer.PeekingLexer) error {
	if goKind(lex.Peek().Type) != token.LPAREN {
		return participle.NextMatch
	}
	s := exprScanner{lex: lex}
	g.Pos = lex.Peek().Pos
	g.Off = g.Pos.Offset
	if err := s.balanced(); err != nil {
		return err
	}
	g.End = tokEnd(s.last)
	switch goKind(lex.Peek().Type) {
	case token.LBRACE, token.SEMICOLON, tokAutoSemi, token.EOF:
		return nil
	case token.LPAREN:
		g.Results.Pos = lex.Peek().Pos
		g.Results.Off = g.Results.Pos.Offset
		if err := s.balanced(); err != nil {
			return err
		}
		g.Results.End = tokEnd(s.last)
		return nil
	}
	sp, err := scanOne(lex, modeResult)
	if err != nil && err != participle.NextMatch {
		return err
	}
	g.Results = sp
	return nil
}

// goDecl is a Go declaration (func, type, var or const) kept as a span up to
// the end of its statement.
type goDecl struct{ span }

func (d *goDecl) parse(lex *lexer.PeekingLexer, top bool) error {
	switch goKind(lex.Peek().Type) {
	case token.TYPE, token.VAR, token.CONST:
	case token.FUNC:
		if !top {
			return participle.NextMatch
		}
	default:
		return participle.NextMatch
	}
	s := exprScanner{lex: lex}
	d.Pos = lex.Peek().Pos
	d.Off = d.Pos.Offset
	s.next()
	for {
		switch goKind(lex.Peek().Type) {
		case token.SEMICOLON, tokAutoSemi, token.EOF, token.RBRACE, token.RPAREN, token.RBRACK:
			d.End = tokEnd(s.last)
			return nil
		case token.LPAREN, token.LBRACK, token.LBRACE:
			if err := s.balanced(); err != nil {
				return err
			}
		default:
			s.next()
		}
	}
}

// topDecl is a top-level Go declaration.
type topDecl struct{ goDecl }

// Parse implements participle.Parseable.
func (d *topDecl) Parse(lex *lexer.PeekingLexer) error { return d.parse(lex, true) }

// localDecl is a var, const or type declaration in a body.
type localDecl struct{ goDecl }

// Parse implements participle.Parseable.
func (d *localDecl) Parse(lex *lexer.PeekingLexer) error { return d.parse(lex, false) }

// simpleStmt is a Go simple statement: an expression, an assignment, a
// short variable declaration or an increment.
type simpleStmt struct {
	Pos   lexer.Position
	Lhs   []span
	Op    token.Token // token.ILLEGAL for an expression statement
	OpPos lexer.Position
	Rhs   []span
}

func (st *simpleStmt) parse(lex *lexer.PeekingLexer, mode exprMode) error {
	t := lex.Peek()
	st.Pos = t.Pos
	if goKind(t.Type) == token.IDENT && stmtWords[t.Value] {
		return participle.NextMatch
	}
	lhs, err := scanList(lex, mode)
	if err != nil {
		return err
	}
	st.Lhs = lhs
	note(lex, lhs...)
	t = lex.Peek()
	k := goKind(t.Type)
	switch {
	case k == token.INC || k == token.DEC:
		lex.Next()
		st.Op, st.OpPos = k, t.Pos
	case k == token.DEFINE || k == token.ASSIGN || (k >= token.ADD_ASSIGN && k <= token.AND_NOT_ASSIGN):
		lex.Next()
		st.Op, st.OpPos = k, t.Pos
		if goKind(lex.Peek().Type) == token.RANGE {
			return participle.Errorf(lex.Peek().Pos, "unexpected range (expected for ... range)")
		}
		rhs, err := scanList(lex, mode)
		if err == participle.NextMatch {
			n := lex.Peek()
			if goKind(n.Type) == token.IDENT && stmtWords[n.Value] {
				return participle.Errorf(n.Pos, "%s is a statement, not an expression: it cannot follow %s here (expected x %s %s ... on a line of its own)", n.Value, k, k, n.Value)
			}
			return participle.Errorf(n.Pos, "unexpected %s after %s (expected an expression)", describe(n), k)
		}
		if err != nil {
			return err
		}
		st.Rhs = rhs
		note(lex, rhs...)
	default:
		if len(lhs) > 1 {
			return participle.Errorf(t.Pos, "unexpected %s after expression list (expected := or =)", describe(t))
		}
	}
	return nil
}

// Parse implements participle.Parseable.
func (st *simpleStmt) Parse(lex *lexer.PeekingLexer) error {
	err := st.parse(lex, modeFull)
	record(lex, err)
	return err
}

// hsimple is a simple statement in a statement header.
type hsimple struct{ simpleStmt }

// Parse implements participle.Parseable.
func (st *hsimple) Parse(lex *lexer.PeekingLexer) error {
	err := st.parse(lex, modeHeader)
	record(lex, err)
	return err
}

// describe names a token for an error message.
func describe(t *lexer.Token) string {
	k := goKind(t.Type)
	switch {
	case k == token.EOF:
		return "end of file"
	case k == tokAutoSemi:
		return "newline"
	case k == token.SEMICOLON:
		return ";"
	case k == token.IDENT:
		return t.Value
	case k == token.STRING || k == token.CHAR || k == token.INT || k == token.FLOAT || k == token.IMAG || k == tokDuration:
		return "literal " + t.Value
	case k.IsKeyword():
		return "keyword " + t.Value
	}
	return t.Value
}

// allWord is the modifier `all` of `join all TS`. The word names a variable
// instead when what follows cannot start the slice expression TS: `(`,
// `.`, `,`, `timeout` or the end of the statement, or a `[` that indexes
// (`all[i]`) rather than begins a slice or array type (`[]Tasklet{...}`).
type allWord struct {
	Pos lexer.Position
}

// Parse implements participle.Parseable.
func (a *allWord) Parse(lex *lexer.PeekingLexer) error {
	t := lex.Peek()
	if goKind(t.Type) != token.IDENT || t.Value != "all" {
		return participle.NextMatch
	}
	cp := lex.MakeCheckpoint()
	lex.Next()
	n := lex.Peek()
	isWord := true
	switch k := goKind(n.Type); {
	case k == token.LPAREN, k == token.PERIOD, k == token.COMMA, k == token.EOF, k == token.RBRACE, isSemi(k):
		isWord = false
	case k == token.IDENT && n.Value == "timeout":
		isWord = false
	case k == token.LBRACK:
		isWord = startsType(lex)
	}
	if !isWord {
		lex.LoadCheckpoint(cp)
		return participle.NextMatch
	}
	a.Pos = t.Pos
	return nil
}

// startsType reports whether the bracket at lex begins an array or slice
// type: `[]` or `[N]` followed by an element type. It does not consume.
func startsType(lex *lexer.PeekingLexer) bool {
	cp := lex.MakeCheckpoint()
	defer lex.LoadCheckpoint(cp)
	s := exprScanner{lex: lex}
	if s.balanced() != nil {
		return false
	}
	switch s.peek() {
	case token.IDENT, token.MUL, token.LBRACK, token.MAP, token.CHAN, token.FUNC, token.STRUCT, token.INTERFACE:
		return true
	}
	return false
}
