package grammar

import (
	"github.com/alecthomas/participle/v2/lexer"
	"go/ast"
	"go/token"
	"strings"
)

// This file converts participle statements into the statements of ast.go.

func (b *builder) block(p *pBlock) *BlockStmt {
	if p == nil {
		return nil
	}
	return &BlockStmt{Pos: b.lpos(p.Pos), List: b.stmts(p.Stmts), Rbrace: b.lpos(p.Close.Pos)}
}

func (b *builder) stmts(l *stmtList) []Stmt {
	if l == nil {
		return nil
	}
	list := l.List
	out := make([]Stmt, 0, len(list))
	for _, p := range list {
		if s := b.stmt(p); s != nil {
			out = append(out, s)
		}
	}
	return out
}

func (b *builder) stmt(p *pStmt) Stmt {
	switch {
	case p.If != nil:
		return b.ifStmt(p.If)
	case p.For != nil:
		return b.forStmt(p.For)
	case p.Switch != nil:
		return b.switchStmt(p.Switch)
	case p.Return != nil:
		s := &ReturnStmt{Pos: b.lpos(p.Return.Pos)}
		if p.Return.Results != nil {
			s.Results = b.exprs(p.Return.Results.List)
		}
		return s
	case p.Branch != nil:
		s := &BranchStmt{Pos: b.lpos(p.Branch.Pos), Label: b.ident(p.Branch.Label)}
		switch p.Branch.Tok {
		case "break":
			s.Tok = token.BREAK
		case "continue":
			s.Tok = token.CONTINUE
		case "goto":
			s.Tok = token.GOTO
			if s.Label == nil {
				b.errorf(p.Branch.Pos.Offset, "goto needs a label (expected goto Label)")
			}
		case "fallthrough":
			s.Tok = token.FALLTHROUGH
		}
		return s
	case p.Defer != nil:
		return &DeferStmt{Pos: b.lpos(p.Defer.Pos), Call: b.call(p.Defer.Call.span, "defer")}
	case p.Go != nil:
		b.errorf(p.Go.Pos.Offset, "go statement in a .tsk file: a goroutine would escape the dispatcher (use spawn %s to start a tasklet)", strings.TrimSpace(string(b.src[p.Go.Call.Off:p.Go.Call.End])))
		return &GoStmt{Pos: b.lpos(p.Go.Pos), Call: b.call(p.Go.Call.span, "go")}
	case p.Decl != nil:
		d := b.goDecl(p.Decl.span)
		gd, _ := d.(*ast.GenDecl)
		if gd == nil {
			return nil
		}
		return &DeclStmt{Pos: b.lpos(p.Decl.Pos), Decl: gd}
	case p.Block != nil:
		return b.block(p.Block)
	case p.Select != nil:
		return b.selectStmt(p.Select)
	case p.Receive != nil:
		return b.receiveSwitch(p.Receive)
	case p.Deadline != nil:
		return &DeadlineStmt{Pos: b.lpos(p.Deadline.Pos), Duration: b.expr(p.Deadline.Duration.span), Body: b.block(p.Deadline.Body)}
	case p.Send != nil:
		return &SendStmt{Pos: b.lpos(p.Send.Pos), Target: b.expr(p.Send.Target.span), Msg: b.expr(p.Send.Msg.span)}
	case p.Reply != nil:
		return &ReplyStmt{Pos: b.lpos(p.Reply.Pos), Msg: b.ident(p.Reply.Msg), Value: b.expr(p.Reply.Value.span)}
	case p.Kill != nil:
		return &KillStmt{Pos: b.lpos(p.Kill.Pos), X: b.expr(p.Kill.Target.span)}
	case p.Quit != nil:
		s := &QuitStmt{Pos: b.lpos(p.Quit.Pos)}
		if p.Quit.Code != nil {
			s.Code = b.expr(p.Quit.Code.span)
		}
		return s
	case p.Op != nil:
		return b.op(p.Op, Result{}, p.Op.Pos)
	case p.Labeled != nil:
		s := &LabeledStmt{Pos: b.lpos(p.Labeled.Pos), Label: b.ident(p.Labeled.Label)}
		if p.Labeled.Stmt != nil {
			s.Stmt = b.stmt(p.Labeled.Stmt)
		}
		if s.Stmt == nil {
			s.Stmt = &EmptyStmt{Pos: s.Pos}
		}
		return s
	case p.Result != nil:
		r := Result{Lhs: b.exprs(p.Result.Lhs.List), Tok: token.DEFINE}
		if p.Result.Tok == "=" {
			r.Tok = token.ASSIGN
		}
		if p.Result.ChanSend != nil {
			return b.chanSend(p.Result.ChanSend, r, p.Result.Pos)
		}
		return b.op(p.Result.Op, r, p.Result.Pos)
	case p.ChanSend != nil:
		return b.chanSend(p.ChanSend, Result{}, p.ChanSend.Pos)
	case p.Simple != nil:
		return b.simple(p.Simple)
	}
	return nil
}

// call parses the operand of defer, go or spawn, which must be a call.
func (b *builder) call(sp span, what string) *ast.CallExpr {
	x := b.expr(sp)
	if c, ok := x.(*ast.CallExpr); ok {
		return c
	}
	if _, bad := x.(*ast.BadExpr); !bad {
		b.errorf(sp.Off, "%s needs a function call, found %s (expected %s F(args))", what, strings.TrimSpace(string(b.src[sp.Off:sp.End])), what)
	}
	return &ast.CallExpr{Fun: x, Lparen: b.gpos(sp.End), Rparen: b.gpos(sp.End)}
}

func (b *builder) simple(p *simpleStmt) Stmt {
	s := &SimpleStmt{Pos: b.lpos(p.Pos)}
	switch p.Op {
	case token.ILLEGAL:
		s.S = &ast.ExprStmt{X: b.expr(p.Lhs[0])}
	case token.INC, token.DEC:
		lhs := b.exprs(p.Lhs)
		if len(lhs) != 1 {
			b.errorf(p.OpPos.Offset, "%s applies to one operand (expected x%s)", p.Op, p.Op)
		}
		var x ast.Expr
		if len(lhs) > 0 {
			x = lhs[0]
		}
		s.S = &ast.IncDecStmt{X: x, TokPos: b.gpos(p.OpPos.Offset), Tok: p.Op}
	default:
		a := &ast.AssignStmt{Lhs: b.exprs(p.Lhs), TokPos: b.gpos(p.OpPos.Offset), Tok: p.Op, Rhs: b.exprs(p.Rhs)}
		if p.Op != token.ASSIGN && p.Op != token.DEFINE && (len(a.Lhs) != 1 || len(a.Rhs) != 1) {
			b.errorf(p.OpPos.Offset, "%s takes one operand on each side", p.Op)
		}
		if p.Op == token.DEFINE {
			for _, l := range a.Lhs {
				if _, ok := l.(*ast.Ident); !ok {
					if _, bad := l.(*ast.BadExpr); !bad {
						b.errorf(int(l.Pos())-b.base, "non-name on the left of := (expected identifiers)")
						break
					}
				}
			}
		}
		s.S = a
	}
	return s
}

func (b *builder) simpleOpt(p *hsimple) Stmt {
	if p == nil {
		return nil
	}
	return b.simple(&p.simpleStmt)
}

func (b *builder) ifStmt(p *pIf) *IfStmt {
	s := &IfStmt{Pos: b.lpos(p.Pos), Init: b.simpleOpt(p.Init), Cond: b.expr(p.Cond.span), Then: b.block(p.Then)}
	switch {
	case p.ElseIf != nil:
		s.Else = b.ifStmt(p.ElseIf)
	case p.Else != nil:
		s.Else = b.block(p.Else)
	}
	return s
}

func (b *builder) forStmt(p *pFor) Stmt {
	pos := b.lpos(p.Pos)
	switch {
	case p.Range != nil:
		rg := p.Range.Range
		r := &RangeStmt{Pos: pos, X: b.expr(rg.X.span)}
		if rg.Key != nil {
			r.Key = b.expr(rg.Key.span)
			r.Tok = token.DEFINE
			if rg.Tok == "=" {
				r.Tok = token.ASSIGN
			}
		}
		if rg.Value != nil {
			r.Value = b.expr(rg.Value.span)
		}
		r.Body = b.block(p.Range.Body)
		return r
	case p.Clause != nil:
		c := p.Clause
		s := &ForStmt{Pos: pos, Init: b.simpleOpt(c.Init)}
		if c.Cond != nil {
			s.Cond = b.expr(c.Cond.span)
		}
		s.Post = b.simpleOpt(c.Post)
		if ss, ok := s.Post.(*SimpleStmt); ok {
			if a, ok := ss.S.(*ast.AssignStmt); ok && a.Tok == token.DEFINE {
				b.errorf(ss.Pos.Offset, "cannot declare in the for post statement (expected = or ++)")
			}
		}
		s.Body = b.block(c.Body)
		return s
	}
	s := &ForStmt{Pos: pos}
	if p.Cond.Cond != nil {
		s.Cond = b.expr(p.Cond.Cond.span)
	}
	s.Body = b.block(p.Cond.Body)
	return s
}

func (b *builder) switchStmt(p *pSwitch) Stmt {
	pos := b.lpos(p.Pos)
	init := b.simpleOpt(p.Init)
	var (
		tag   ast.Expr
		bind  *Ident
		guard ast.Expr // y in y.(type)
	)
	if p.Tag != nil {
		ts := b.simple(&p.Tag.simpleStmt).(*SimpleStmt)
		switch s := ts.S.(type) {
		case *ast.ExprStmt:
			if ta, ok := s.X.(*ast.TypeAssertExpr); ok && ta.Type == nil {
				guard = ta.X
			} else {
				tag = s.X
			}
		case *ast.AssignStmt:
			var ta *ast.TypeAssertExpr
			if len(s.Rhs) == 1 {
				ta, _ = s.Rhs[0].(*ast.TypeAssertExpr)
			}
			id, _ := firstExpr(s.Lhs).(*ast.Ident)
			if s.Tok == token.DEFINE && len(s.Lhs) == 1 && id != nil && ta != nil && ta.Type == nil {
				guard = ta.X
				bind = &Ident{Pos: b.posOf(int(id.Pos()) - b.base), Name: id.Name}
			} else {
				b.errorf(ts.Pos.Offset, "switch header is an assignment (expected an expression, or x := y.(type))")
			}
		default:
			b.errorf(ts.Pos.Offset, "switch header is a statement (expected an expression)")
		}
	}
	cases := make([]*CaseClause, 0, len(p.Cases.List))
	for _, c := range p.Cases.List {
		cc := &CaseClause{Pos: b.lpos(c.Pos), Body: b.stmts(&c.Body.stmtList)}
		if !c.Default {
			cc.List = b.exprs(c.List.List)
		}
		cases = append(cases, cc)
	}
	b.checkDefaults(cases)
	if guard != nil {
		return &TypeSwitchStmt{Pos: pos, Init: init, Bind: bind, X: guard, Cases: cases, Rbrace: b.lpos(p.Close.Pos)}
	}
	return &SwitchStmt{Pos: pos, Init: init, Tag: tag, Cases: cases, Rbrace: b.lpos(p.Close.Pos)}
}

func firstExpr(l []ast.Expr) ast.Expr {
	if len(l) == 0 {
		return nil
	}
	return l[0]
}

func (b *builder) checkDefaults(cases []*CaseClause) {
	seen := false
	for _, c := range cases {
		if c.List == nil {
			if seen {
				b.errorf(c.Pos.Offset, "multiple defaults in switch (expected at most one)")
			}
			seen = true
		}
	}
}

// --- tasklet statements ---------------------------------------------------

// Arities of the left-hand side of each operation.
const (
	errOnly   = 1 // err := op
	valueErr  = 2 // v, err := op
	handleOne = 3 // t := spawn ...
)

func (b *builder) checkResult(r Result, pos Pos, op string, kind int) {
	n := len(r.Lhs)
	switch {
	case kind == errOnly && n > 1:
		b.errorf(pos.Offset, "%s gives only an error (expected err := %s)", op, op)
	case kind == valueErr && n > 2:
		b.errorf(pos.Offset, "%s gives a value and an error (expected v, err := %s)", op, op)
	case kind == handleOne && n > 1:
		b.errorf(pos.Offset, "spawn gives one tasklet handle (expected t := spawn F(args))")
	}
	if r.Tok == token.DEFINE {
		for _, l := range r.Lhs {
			if _, ok := l.(*ast.Ident); !ok {
				if _, bad := l.(*ast.BadExpr); !bad {
					b.errorf(int(l.Pos())-b.base, "non-name on the left of := (expected identifiers)")
					return
				}
			}
		}
	}
}

func (b *builder) timeout(e *expr) Timeout {
	if e == nil {
		return nil
	}
	return b.expr(e.span)
}

func (b *builder) op(p *pOp, r Result, at lexer.Position) Stmt {
	pos := b.lpos(at)
	switch {
	case p.ChanRecv != nil:
		b.checkResult(r, pos, "<-ch", valueErr)
		return &ChanRecvStmt{Pos: pos, Result: r, Chan: b.expr(p.ChanRecv.Chan.span), Timeout: b.timeout(p.ChanRecv.Timeout)}
	case p.Yield != nil:
		b.checkResult(r, pos, "yield", errOnly)
		return &YieldStmt{Pos: pos, Result: r}
	case p.Sleep != nil:
		b.checkResult(r, pos, "sleep", errOnly)
		return &SleepStmt{Pos: pos, Result: r, Duration: b.expr(p.Sleep.Duration.span)}
	case p.Spawn != nil:
		b.checkResult(r, pos, "spawn", handleOne)
		return b.spawn(p.Spawn, r, pos)
	case p.Call != nil:
		b.checkResult(r, pos, "call", valueErr)
		return &CallStmt{Pos: pos, Result: r, Target: b.expr(p.Call.Target.span), Msg: b.expr(p.Call.Msg.span), Timeout: b.timeout(p.Call.Timeout)}
	case p.Receive != nil:
		b.checkResult(r, pos, "receive", valueErr)
		if p.Receive.Batch != nil {
			return &ReceiveBatchStmt{Pos: pos, Result: r, N: b.expr(p.Receive.Batch.span), Timeout: b.timeout(p.Receive.Timeout)}
		}
		return &ReceiveStmt{Pos: pos, Result: r, Timeout: b.timeout(p.Receive.Timeout)}
	case p.Join != nil:
		b.checkResult(r, pos, "join", valueErr)
		j := &JoinStmt{Pos: pos, Result: r, Timeout: b.timeout(p.Join.Timeout)}
		switch {
		case p.Join.All != nil:
			j.Kind, j.X = JoinAll, b.expr(p.Join.X.span)
		case p.Join.Children:
			j.Kind = JoinChildren
		default:
			j.X = b.expr(p.Join.Target.span)
		}
		return j
	case p.Await != nil:
		b.checkResult(r, pos, "await", valueErr)
		return &AwaitStmt{Pos: pos, Result: r, Op: b.expr(p.Await.Op.span), Timeout: b.timeout(p.Await.Timeout)}
	}
	return nil
}

func (b *builder) chanSend(p *pChanSend, r Result, at lexer.Position) Stmt {
	pos := b.lpos(at)
	b.checkResult(r, pos, "ch <- v", errOnly)
	return &ChanSendStmt{Pos: pos, Result: r, Chan: b.expr(p.Chan.span), Value: b.expr(p.Value.span), Timeout: b.timeout(p.Timeout)}
}

// spawnOptions are the keys a spawn's `with { }` accepts.
var spawnOptions = map[string]bool{"name": true, "daemon": true, "mailbox": true}

func (b *builder) spawn(p *pSpawn, r Result, pos Pos) *SpawnStmt {
	s := &SpawnStmt{Pos: pos, Result: r, Now: p.Now}
	switch p.Kind + p.Kind2 {
	case "after":
		s.Kind = SpawnAfter
	case "every":
		s.Kind = SpawnEvery
	case "rate":
		s.Kind = SpawnRate
	case "loop":
		s.Kind = SpawnLoop
	case "receiver":
		s.Kind = SpawnReceiver
	}
	if p.Now && s.Kind != SpawnEvery {
		b.errorf(p.Arg.End, "now goes only with spawn every (expected spawn every D now F(args))")
	}
	if p.Arg != nil {
		s.Arg = b.expr(p.Arg.span)
	}
	s.Call = b.call(p.Call.span, "spawn")
	seen := map[string]bool{}
	for _, o := range p.Options {
		opt := &SpawnOption{Pos: b.lpos(o.Pos), Key: b.ident(o.Key), Value: b.expr(o.Value.span)}
		switch {
		case !spawnOptions[o.Key.Name]:
			b.errorf(o.Key.Pos.Offset, "unknown spawn option %s (expected name, daemon or mailbox)", o.Key.Name)
		case seen[o.Key.Name]:
			b.errorf(o.Key.Pos.Offset, "spawn option %s given twice (expected each option at most once)", o.Key.Name)
		}
		seen[o.Key.Name] = true
		s.Options = append(s.Options, opt)
	}
	if p.Close != nil {
		s.Rbrace = b.lpos(p.Close.Pos)
	}
	if p.With && len(p.Options) == 0 {
		b.errorf(p.Call.End, "empty with { } (expected name, daemon or mailbox options, or no with)")
	}
	return s
}

func (b *builder) receiveSwitch(p *pReceive) *ReceiveSwitchStmt {
	sw := p.Switch
	s := &ReceiveSwitchStmt{Pos: b.lpos(p.Pos), Rbrace: b.lpos(sw.Close.Pos)}
	defaults, afters := 0, 0
	for _, c := range sw.Cases.List {
		rc := &ReceiveCase{Pos: b.lpos(c.Pos), Body: b.stmts(&c.Body.stmtList)}
		switch {
		case c.Default:
			rc.Kind = ReceiveDefault
			defaults++
			if defaults == 2 {
				b.errorf(c.Pos.Offset, "multiple defaults in receive (expected at most one)")
			}
		case c.After != nil:
			rc.Kind = ReceiveAfter
			rc.After = b.expr(c.After.span)
			afters++
			if afters == 2 {
				b.errorf(c.Pos.Offset, "multiple after cases in receive (expected at most one)")
			}
		default:
			rc.Kind = ReceiveType
			rc.Bind = b.ident(c.Bind)
			rc.Type = b.receiveType(c.Type.span)
		}
		s.Cases = append(s.Cases, rc)
	}
	return s
}

// receiveType parses the type of a receive case.
func (b *builder) receiveType(sp span) ast.Expr {
	x := b.expr(sp)
	if _, bad := x.(*ast.BadExpr); bad || isType(x) {
		return x
	}
	b.errorf(sp.Off, "receive case needs a message type, found the value %s (expected case m := Type:)", strings.TrimSpace(string(b.src[sp.Off:sp.End])))
	return x
}

func (b *builder) selectStmt(p *pSelect) *SelectStmt {
	s := &SelectStmt{Pos: b.lpos(p.Pos), Rbrace: b.lpos(p.Close.Pos)}
	defaults, afters := 0, 0
	for _, c := range p.Cases.List {
		sc := &SelectCase{Pos: b.lpos(c.Pos), Body: b.stmts(&c.Body.stmtList)}
		switch {
		case c.Default:
			sc.Kind = SelectDefault
			defaults++
			if defaults == 2 {
				b.errorf(c.Pos.Offset, "multiple defaults in select (expected at most one)")
			}
		case c.After != nil:
			sc.Kind = SelectAfter
			sc.After = b.expr(c.After.span)
			afters++
			if afters == 2 {
				b.errorf(c.Pos.Offset, "multiple after cases in select (expected at most one)")
			}
		case c.Head.Recv != nil:
			h := c.Head.Recv
			sc.Kind = SelectRecv
			sc.Result = b.caseResult(h.Lhs, h.Tok)
			b.checkResult(sc.Result, sc.Pos, "<-ch", valueErr)
			sc.Chan = b.expr(h.Chan.span)
		case c.Head.Receive != nil:
			h := c.Head.Receive
			sc.Kind = SelectReceive
			sc.Result = b.caseResult(h.Lhs, h.Tok)
			if len(sc.Result.Lhs) > 1 {
				b.errorf(c.Pos.Offset, "a select receive case binds one message (expected case m := receive Type:)")
			}
			sc.Type = b.receiveType(h.Type.span)
		case c.Head.Send != nil:
			sc.Kind = SelectSend
			sc.Chan = b.expr(c.Head.Send.Chan.span)
			sc.Value = b.expr(c.Head.Send.Value.span)
		}
		s.Cases = append(s.Cases, sc)
	}
	return s
}

func (b *builder) caseResult(l *exprList, tok string) Result {
	if l == nil {
		return Result{}
	}
	r := Result{Lhs: b.exprs(l.List), Tok: token.DEFINE}
	if tok == "=" {
		r.Tok = token.ASSIGN
	}
	return r
}
