package grammar

import (
	"go/token"
	"sync"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// stmtParser parses one production of the statement grammar.
type stmtParser[P any] struct {
	once sync.Once
	p    *participle.Parser[P]
}

func (sp *stmtParser[P]) parse(lex *lexer.PeekingLexer) (*P, error) {
	sp.once.Do(func() {
		sp.p = participle.MustBuild[P](
			participle.Lexer(tskLexer{}),
			participle.UseLookahead(participle.MaxLookahead),
		)
	})
	return sp.p.ParseFromLexer(lex, participle.AllowTrailing(true))
}

var (
	ifParser        stmtParser[pIf]
	forRangeParser  stmtParser[pForRange]
	forClauseParser stmtParser[pForClause]
	forCondParser   stmtParser[pForCond]
	yieldParser     stmtParser[pYield]
	sleepParser     stmtParser[pSleep]
	spawnParser     stmtParser[pSpawn]
	callParser      stmtParser[pCall]
	recvValueParser stmtParser[pReceiveValue]
	joinParser      stmtParser[pJoin]
	awaitParser     stmtParser[pAwait]
	chanRecvParser  stmtParser[pChanRecv]
	switchParser    stmtParser[pSwitch]
	returnParser    stmtParser[pReturn]
	branchParser    stmtParser[pBranch]
	deferParser     stmtParser[pDefer]
	goParser        stmtParser[pGo]
	blockParser     stmtParser[pBlock]
	selectParser    stmtParser[pSelect]
	receiveParser   stmtParser[pReceive]
	deadlineParser  stmtParser[pDeadline]
	sendParser      stmtParser[pSend]
	replyParser     stmtParser[pReply]
	killParser      stmtParser[pKill]
	quitParser      stmtParser[pQuit]
	labeledParser   stmtParser[pLabeled]
	chanSendParser  stmtParser[pChanSend]
	caseParser      stmtParser[pCase]
	recvCaseParser  stmtParser[pReceiveCase]
	selCaseParser   stmtParser[pSelectCase]
)

// opWords begin an operation that may also stand after `lhs :=`.
var opWords = map[string]bool{
	"yield": true, "sleep": true, "spawn": true, "call": true,
	"receive": true, "join": true, "await": true,
}

// Parse implements participle.Parseable. The first token decides the
// production for keywords and statement words; other statements are an
// operation with a result (`v, err := op`), a channel send or a Go simple
// statement, tried in that order.
func (st *pStmt) Parse(lex *lexer.PeekingLexer) error {
	start := lex.MakeCheckpoint()
	err := st.parse(lex)
	if err == nil {
		// A statement ends at a semicolon (or newline) or a closing brace.
		if t := lex.Peek(); !endsStmt(goKind(t.Type)) {
			err := &participle.UnexpectedTokenError{Unexpected: *t}
			record(lex, err)
			return err
		}
		return nil
	}
	if err == participle.NextMatch {
		lex.LoadCheckpoint(start)
		return err
	}
	record(lex, err)
	// Leave the lexer where the error is, so that participle keeps this
	// error as the one that got furthest.
	if pe, ok := err.(participle.Error); ok {
		lex.LoadCheckpoint(start)
		for t := lex.Peek(); t.Type != lexer.EOF && t.Pos.Offset < pe.Position().Offset; t = lex.Peek() {
			lex.Next()
		}
	}
	return err
}

func (st *pStmt) parse(lex *lexer.PeekingLexer) (err error) {
	t := lex.Peek()
	st.Pos = t.Pos
	k := goKind(t.Type)
	switch k {
	case token.IF:
		st.If, err = ifParser.parse(lex)
	case token.FOR:
		st.For = &pFor{Pos: t.Pos}
		switch forKind(lex) {
		case token.RANGE:
			st.For.Range, err = forRangeParser.parse(lex)
		case token.SEMICOLON:
			st.For.Clause, err = forClauseParser.parse(lex)
		default:
			st.For.Cond, err = forCondParser.parse(lex)
		}
	case token.SWITCH:
		st.Switch, err = switchParser.parse(lex)
	case token.RETURN:
		st.Return, err = returnParser.parse(lex)
	case token.BREAK, token.CONTINUE, token.GOTO, token.FALLTHROUGH:
		st.Branch, err = branchParser.parse(lex)
	case token.DEFER:
		st.Defer, err = deferParser.parse(lex)
	case token.GO:
		st.Go, err = goParser.parse(lex)
	case token.VAR, token.CONST, token.TYPE:
		st.Decl = &localDecl{}
		err = st.Decl.Parse(lex)
	case token.LBRACE:
		st.Block, err = blockParser.parse(lex)
	case token.SELECT:
		st.Select, err = selectParser.parse(lex)
	case token.ARROW:
		st.Op, err = parseOp(lex)
		if err != nil {
			// `<-ch + 1` and the like are Go expressions.
			return st.fallback(lex, err)
		}
	case token.IDENT:
		switch {
		case t.Value == "receive" && peek2(lex) == token.LBRACE:
			st.Receive, err = receiveParser.parse(lex)
		case opWords[t.Value]:
			st.Op, err = parseOp(lex)
		case t.Value == "deadline":
			st.Deadline, err = deadlineParser.parse(lex)
		case t.Value == "send":
			st.Send, err = sendParser.parse(lex)
		case t.Value == "reply":
			st.Reply, err = replyParser.parse(lex)
		case t.Value == "kill":
			st.Kill, err = killParser.parse(lex)
		case t.Value == "quit":
			st.Quit, err = quitParser.parse(lex)
		case peek2(lex) == token.COLON:
			st.Labeled, err = labeledParser.parse(lex)
		default:
			return st.general(lex)
		}
	default:
		return st.general(lex)
	}
	return err
}

// parseOp parses an operation, chosen by its first token.
func parseOp(lex *lexer.PeekingLexer) (*pOp, error) {
	t := lex.Peek()
	op := &pOp{Pos: t.Pos}
	var err error
	switch {
	case goKind(t.Type) == token.ARROW:
		op.ChanRecv, err = chanRecvParser.parse(lex)
	case t.Value == "yield":
		op.Yield, err = yieldParser.parse(lex)
	case t.Value == "sleep":
		op.Sleep, err = sleepParser.parse(lex)
	case t.Value == "spawn":
		op.Spawn, err = spawnParser.parse(lex)
	case t.Value == "call":
		op.Call, err = callParser.parse(lex)
	case t.Value == "receive":
		op.Receive, err = recvValueParser.parse(lex)
	case t.Value == "join":
		op.Join, err = joinParser.parse(lex)
	case t.Value == "await":
		op.Await, err = awaitParser.parse(lex)
	default:
		return nil, &participle.UnexpectedTokenError{Unexpected: *t}
	}
	return op, err
}

// parseResult parses `lhs := op` and `lhs = op`, op being an operation or
// a channel send.
func parseResult(lex *lexer.PeekingLexer) (*pResult, error) {
	t := lex.Peek()
	r := &pResult{Pos: t.Pos}
	lhs, err := scanList(lex, modeFull)
	if err != nil {
		return nil, err
	}
	r.Lhs = &exprList{List: lhs}
	t = lex.Peek()
	switch goKind(t.Type) {
	case token.DEFINE:
		r.Tok = ":="
	case token.ASSIGN:
		r.Tok = "="
	default:
		return nil, &participle.UnexpectedTokenError{Unexpected: *t}
	}
	lex.Next()
	t = lex.Peek()
	if goKind(t.Type) == token.ARROW || (goKind(t.Type) == token.IDENT && opWords[t.Value]) {
		r.Op, err = parseOp(lex)
	} else {
		r.ChanSend, err = chanSendParser.parse(lex)
	}
	return r, err
}

// forKind tells the form of the for statement at lex from its header:
// token.RANGE, token.SEMICOLON (three clauses) or token.ILLEGAL (a
// condition or nothing).
func forKind(lex *lexer.PeekingLexer) token.Token {
	cp := lex.MakeCheckpoint()
	defer lex.LoadCheckpoint(cp)
	lex.Next() // for
	depth := 0
	for {
		t := lex.Next()
		switch k := goKind(t.Type); k {
		case token.EOF:
			return token.ILLEGAL
		case token.RANGE:
			if depth == 0 {
				return token.RANGE
			}
		case token.SEMICOLON, tokAutoSemi:
			if depth == 0 {
				return token.SEMICOLON
			}
		case token.LPAREN, token.LBRACK:
			depth++
		case token.RPAREN, token.RBRACK:
			depth--
		case token.LBRACE:
			if depth == 0 {
				return token.ILLEGAL
			}
			depth++
		case token.RBRACE:
			depth--
		}
	}
}

// peek2 returns the kind of the token after the next.
func peek2(lex *lexer.PeekingLexer) token.Token {
	cp := lex.MakeCheckpoint()
	lex.Next()
	k := goKind(lex.Peek().Type)
	lex.LoadCheckpoint(cp)
	return k
}

// general parses a statement that does not begin with a keyword.
func (st *pStmt) general(lex *lexer.PeekingLexer) error {
	kind := classify(lex)
	var err error
	switch kind {
	case classResult:
		cp := lex.MakeCheckpoint()
		if st.Result, err = parseResult(lex); err == nil {
			return nil
		}
		st.Result = nil
		lex.LoadCheckpoint(cp)
		return st.fallback(lex, err)
	case classSend:
		cp := lex.MakeCheckpoint()
		if st.ChanSend, err = chanSendParser.parse(lex); err == nil {
			return nil
		}
		st.ChanSend = nil
		lex.LoadCheckpoint(cp)
		return st.fallback(lex, err)
	}
	st.Simple = &simpleStmt{}
	err = st.Simple.Parse(lex)
	if err != nil {
		st.Simple = nil
	}
	return err
}

// fallback parses the statement as a Go simple statement after the
// tasklet form failed with first; if that fails too, the error that got
// further wins.
func (st *pStmt) fallback(lex *lexer.PeekingLexer, first error) error {
	start := lex.MakeCheckpoint()
	s := &simpleStmt{}
	err := s.Parse(lex)
	if err == nil && endsStmt(goKind(lex.Peek().Type)) {
		st.Simple = s
		st.Op = nil
		return nil
	}
	if err == nil || err == participle.NextMatch {
		lex.LoadCheckpoint(start)
		return first
	}
	if pe, ok := first.(participle.Error); ok {
		if pe2, ok := err.(participle.Error); ok && pe2.Position().Offset > pe.Position().Offset {
			return err
		}
	}
	lex.LoadCheckpoint(start)
	return first
}

func endsStmt(k token.Token) bool {
	return isSemi(k) || k == token.RBRACE || k == token.EOF
}

type stmtClass int

const (
	classSimple stmtClass = iota
	classResult           // lhs := op
	classSend             // ch <- v
)

// classify looks ahead, without consuming, at the statement's top-level
// tokens: an assignment whose right side begins with an operation word or
// `<-` is an operation with a result; a `<-` after an operand is a send.
func classify(lex *lexer.PeekingLexer) stmtClass {
	cp := lex.MakeCheckpoint()
	defer lex.LoadCheckpoint(cp)
	depth := 0
	first, assigned := true, false
	for {
		t := lex.Next()
		k := goKind(t.Type)
		switch k {
		case token.EOF:
			return classSimple
		case token.LPAREN, token.LBRACK, token.LBRACE:
			depth++
		case token.RPAREN, token.RBRACK, token.RBRACE:
			depth--
			if depth < 0 {
				return classSimple
			}
		case token.SEMICOLON, tokAutoSemi:
			if depth == 0 {
				return classSimple
			}
		case token.DEFINE, token.ASSIGN:
			if depth == 0 {
				n := lex.Peek()
				nk := goKind(n.Type)
				if nk == token.ARROW || (nk == token.IDENT && opWords[n.Value]) {
					return classResult
				}
				assigned = true
			}
		case token.ARROW:
			if depth == 0 && !first {
				if assigned {
					return classResult // err := ch <- v
				}
				return classSend
			}
		}
		first = false
	}
}

// Participle drops an error raised inside an optional or repeated part of
// the grammar and reports a shallower one where the enclosing production
// then fails. The errors this package raises itself (a statement that
// cannot be finished, an unclosed bracket) are recorded here per parse, and
// the one that got furthest is reported.

// parseState is the record of one run of a participle parser.
type parseState struct {
	err   participle.Error // the furthest error raised by our productions
	spans []span           // the Go expressions scanned (see builder.batch)
}

// states maps the first token of a run's token slice (shared by every
// branch of that run) to its parseState.
var states sync.Map

// track registers a parse state for the run over lex.
func track(lex *lexer.PeekingLexer) (*parseState, func()) {
	key := &lex.Range(0, 1)[0]
	st := &parseState{}
	states.Store(key, st)
	return st, func() { states.Delete(key) }
}

// stateOf returns the state of the run parsing from lex, if any.
func stateOf(lex *lexer.PeekingLexer) *parseState {
	toks := lex.Range(0, 1)
	if len(toks) == 0 {
		return nil
	}
	v, ok := states.Load(&toks[0])
	if !ok {
		return nil
	}
	return v.(*parseState)
}

// record notes err, raised while parsing from lex.
func record(lex *lexer.PeekingLexer, err error) {
	pe, ok := err.(participle.Error)
	if !ok || err == participle.NextMatch {
		return
	}
	if st := stateOf(lex); st != nil && (st.err == nil || pe.Position().Offset > st.err.Position().Offset) {
		st.err = pe
	}
}

// note records the spans of Go expressions scanned while parsing from lex.
func note(lex *lexer.PeekingLexer, spans ...span) {
	if st := stateOf(lex); st != nil {
		st.spans = append(st.spans, spans...)
	}
}

// furthest returns the error of a failed run: participle's, or the one
// recorded further on.
func (st *parseState) furthest(err error) error {
	pe, ok := err.(participle.Error)
	if st.err != nil && (!ok || st.err.Position().Offset > pe.Position().Offset) {
		return st.err
	}
	return err
}

// stmtList is the statements of a block, up to its closing brace. The
// loop over statements and semicolons is written out rather than left to
// a participle repetition: it runs once per statement of every file.
type stmtList struct {
	List []*pStmt
}

// Parse implements participle.Parseable.
func (l *stmtList) Parse(lex *lexer.PeekingLexer) error { return l.parse(lex, nil) }

func (l *stmtList) parse(lex *lexer.PeekingLexer, stop map[string]bool) error {
	for {
		t := lex.Peek()
		k := goKind(t.Type)
		switch {
		case isSemi(k):
			lex.Next()
			continue
		case k == token.RBRACE || k == token.EOF || stop[t.Value]:
			return nil
		}
		st := &pStmt{}
		err := st.Parse(lex)
		if err == participle.NextMatch {
			return nil // the enclosing production reports what is here
		}
		if err != nil {
			return err
		}
		l.List = append(l.List, st)
	}
}

// caseBody is the statements of a switch case, up to the next case.
type caseBody struct{ stmtList }

var caseStops = map[string]bool{"case": true, "default": true}

// Parse implements participle.Parseable.
func (l *caseBody) Parse(lex *lexer.PeekingLexer) error { return l.parse(lex, caseStops) }

// recvBody is the statements of a receive or select case: a statement
// starting with `after` begins the next case.
type recvBody struct{ stmtList }

var recvStops = map[string]bool{"case": true, "default": true, "after": true}

// Parse implements participle.Parseable.
func (l *recvBody) Parse(lex *lexer.PeekingLexer) error { return l.parse(lex, recvStops) }

// The clauses of switch, receive and select are parsed by loops too, so
// that an error in a clause is reported where it is rather than where
// participle would give up on the clause list.

// parseClauses parses clauses with one until the closing brace.
func parseClauses[C any](lex *lexer.PeekingLexer, one *stmtParser[C]) ([]*C, error) {
	var list []*C
	for {
		t := lex.Peek()
		k := goKind(t.Type)
		switch {
		case isSemi(k):
			lex.Next()
			continue
		case k == token.RBRACE || k == token.EOF:
			return list, nil
		}
		start := lex.MakeCheckpoint()
		c, err := one.parse(lex)
		if err != nil {
			record(lex, err)
			if pe, ok := err.(participle.Error); ok {
				lex.LoadCheckpoint(start)
				for t := lex.Peek(); t.Type != lexer.EOF && t.Pos.Offset < pe.Position().Offset; t = lex.Peek() {
					lex.Next()
				}
			}
			return list, err
		}
		list = append(list, c)
	}
}

// switchCases is the clauses of a switch.
type switchCases struct{ List []*pCase }

// Parse implements participle.Parseable.
func (l *switchCases) Parse(lex *lexer.PeekingLexer) (err error) {
	l.List, err = parseClauses(lex, &caseParser)
	return err
}

// receiveCases is the clauses of a receive.
type receiveCases struct{ List []*pReceiveCase }

// Parse implements participle.Parseable.
func (l *receiveCases) Parse(lex *lexer.PeekingLexer) (err error) {
	l.List, err = parseClauses(lex, &recvCaseParser)
	return err
}

// selectCases is the clauses of a select.
type selectCases struct{ List []*pSelectCase }

// Parse implements participle.Parseable.
func (l *selectCases) Parse(lex *lexer.PeekingLexer) (err error) {
	l.List, err = parseClauses(lex, &selCaseParser)
	return err
}
