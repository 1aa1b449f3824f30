package grammar

import (
	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// This file holds the participle grammar of .tsk declarations and
// statements. Go expressions, types, signatures and declarations inside it
// are token spans (see span.go) that build.go hands to go/parser.
//
// Statements end at a semicolon, which Go's rules insert at line ends, or
// before a closing brace.

type pFile struct {
	Pos     lexer.Position
	Package *pIdent        `parser:"'package' @@ ';'"`
	Imports []*pImportDecl `parser:"( @@ ';' )*"`
	Decls   []*pDecl       `parser:"( @@ ';' | ';' )*"`
}

// pDeclChunk is one top-level declaration, parsed on its own (see
// splitDecls).
type pDeclChunk struct {
	Decl *pDecl `parser:"@@ ';'?"`
}

type pIdent struct {
	Pos  lexer.Position
	Name string `parser:"@Ident"`
}

type pImportDecl struct {
	Pos   lexer.Position
	Specs []*pImport `parser:"'import' ( @@ | '(' ( @@ ( ';' @@ )* ';'? )? ')' )"`
}

type pImport struct {
	Pos     lexer.Position
	keyword lexer.Position
	Name    string `parser:"@(Ident | '.')?"`
	Path    string `parser:"@String"`
}

type pDecl struct {
	Message *pMessage `parser:"  @@"`
	Tasklet *pTasklet `parser:"| @@"`
	Go      *topDecl  `parser:"| @@"`
}

type pMessage struct {
	Pos    lexer.Position
	Name   *pIdent `parser:"'message' @@"`
	Fields *braces `parser:"@@"`
	Reply  *expr   `parser:"( 'reply' @@ )?"`
}

type pTasklet struct {
	Pos  lexer.Position
	Name *pIdent    `parser:"'tasklet' @@"`
	Sig  *signature `parser:"@@"`
	Body *pBlock    `parser:"@@"`
}

type pBlock struct {
	Pos   lexer.Position
	Stmts *stmtList `parser:"'{' @@"`
	Close *pClose   `parser:"@@"`
}

type pClose struct {
	Pos lexer.Position
	Tok string `parser:"@'}'"`
}

// pStmt is one statement. It is parsed by pStmt.Parse (stmt.go), which
// picks the production from the first tokens and runs its parser, rather
// than trying every alternative in turn.
type pStmt struct {
	Pos      lexer.Position
	If       *pIf
	For      *pFor
	Switch   *pSwitch
	Return   *pReturn
	Branch   *pBranch
	Defer    *pDefer
	Go       *pGo
	Decl     *localDecl
	Block    *pBlock
	Select   *pSelect
	Receive  *pReceive
	Deadline *pDeadline
	Send     *pSend
	Reply    *pReply
	Kill     *pKill
	Quit     *pQuit
	Op       *pOp
	Labeled  *pLabeled
	Result   *pResult
	ChanSend *pChanSend
	Simple   *simpleStmt
}

// pOp is an operation that may stand alone or after `parser:"lhs :="` / `parser:"lhs ="`.
type pOp struct {
	Pos      lexer.Position
	ChanRecv *pChanRecv     `parser:"  @@"`
	Yield    *pYield        `parser:"| @@"`
	Sleep    *pSleep        `parser:"| @@"`
	Spawn    *pSpawn        `parser:"| @@"`
	Call     *pCall         `parser:"| @@"`
	Receive  *pReceiveValue `parser:"| @@"`
	Join     *pJoin         `parser:"| @@"`
	Await    *pAwait        `parser:"| @@"`
}

type pResult struct {
	Pos      lexer.Position
	Lhs      *exprList  `parser:"@@"`
	Tok      string     `parser:"@(':=' | '=')"`
	Op       *pOp       `parser:"( @@"`
	ChanSend *pChanSend `parser:"| @@ )"`
}

type pLabeled struct {
	Pos   lexer.Position
	Label *pIdent `parser:"@@ ':'"`
	Stmt  *pStmt  `parser:"@@?"`
}

type pIf struct {
	Pos    lexer.Position
	Init   *hsimple `parser:"'if' ( @@ ';' )?"`
	Cond   *hexpr   `parser:"@@"`
	Then   *pBlock  `parser:"@@"`
	ElseIf *pIf     `parser:"( 'else' ( @@"`
	Else   *pBlock  `parser:"| @@ ) )?"`
}

// pFor is one of the three forms of for, told apart by stmt.go from the
// tokens of the header.
type pFor struct {
	Pos    lexer.Position
	Range  *pForRange
	Clause *pForClause
	Cond   *pForCond
}

type pForRange struct {
	Pos   lexer.Position
	Range *pRange `parser:"'for' @@"`
	Body  *pBlock `parser:"@@"`
}

type pForCond struct {
	Pos  lexer.Position
	Cond *hexpr  `parser:"'for' @@?"`
	Body *pBlock `parser:"@@"`
}

type pRange struct {
	Pos   lexer.Position
	Key   *expr  `parser:"( @@"`
	Value *expr  `parser:"( ',' @@ )?"`
	Tok   string `parser:"@(':=' | '=') )?"`
	X     *hexpr `parser:"'range' @@"`
}

type pForClause struct {
	Pos  lexer.Position
	Init *hsimple `parser:"'for' @@? ';'"`
	Cond *hexpr   `parser:"@@? ';'"`
	Post *hsimple `parser:"@@?"`
	Body *pBlock  `parser:"@@"`
}

type pSwitch struct {
	Pos   lexer.Position
	Init  *hsimple     `parser:"'switch' ( @@ ';' )?"`
	Tag   *hsimple     `parser:"@@? '{'"`
	Cases *switchCases `parser:"@@"`
	Close *pClose      `parser:"@@"`
}

type pCase struct {
	Pos     lexer.Position
	List    *exprList `parser:"( 'case' @@"`
	Default bool      `parser:"| @'default' ) ':'"`
	Body    *caseBody `parser:"@@"`
}

type pReturn struct {
	Pos     lexer.Position
	Kw      bool      `parser:"@'return'"`
	Results *exprList `parser:"@@?"`
}

type pBranch struct {
	Pos   lexer.Position
	Tok   string  `parser:"@('break' | 'continue' | 'goto' | 'fallthrough')"`
	Label *pIdent `parser:"@@?"`
}

type pDefer struct {
	Pos  lexer.Position
	Call *expr `parser:"'defer' @@"`
}

type pGo struct {
	Pos  lexer.Position
	Call *expr `parser:"'go' @@"`
}

type pYield struct {
	Pos lexer.Position
	Kw  bool `parser:"@'yield'"`
}

type pSleep struct {
	Pos      lexer.Position
	Duration *expr `parser:"'sleep' @@"`
}

// pSpawn: a modifier word directly followed by "(" or "." is the name of
// the tasklet being spawned, not a modifier.
type pSpawn struct {
	Pos     lexer.Position
	Kind    string     `parser:"'spawn' ( @('after' | 'every' | 'rate') (?! '(' | '.')"`
	Arg     *expr      `parser:"@@"`
	Now     bool       `parser:"( @'now' (?! '(' | '.') )?"`
	Kind2   string     `parser:"| @('loop' | 'receiver') (?! '(' | '.') )?"`
	Call    *expr      `parser:"@@"`
	With    bool       `parser:"( @'with' '{'"`
	Options []*pOption `parser:"( @@ ( ',' @@ )* ','? )? ';'?"`
	Close   *pClose    `parser:"@@ )?"`
}

type pOption struct {
	Pos   lexer.Position
	Key   *pIdent `parser:"@@ ':'"`
	Value *expr   `parser:"@@"`
}

type pSend struct {
	Pos    lexer.Position
	Target *expr `parser:"'send' @@ ','"`
	Msg    *expr `parser:"@@"`
}

type pCall struct {
	Pos     lexer.Position
	Target  *expr `parser:"'call' @@ ','"`
	Msg     *expr `parser:"@@"`
	Timeout *expr `parser:"( 'timeout' @@ )?"`
}

type pReply struct {
	Pos   lexer.Position
	Msg   *pIdent `parser:"'reply' @@ ','"`
	Value *expr   `parser:"@@"`
}

// pReceive is a receive statement on its own: the case form, or a plain
// or batch receive whose value is dropped.
type pReceive struct {
	Pos    lexer.Position
	Switch *pReceiveSwitch `parser:"'receive' @@"`
}

type pReceiveSwitch struct {
	Pos   lexer.Position
	Cases *receiveCases `parser:"'{' @@"`
	Close *pClose       `parser:"@@"`
}

type pReceiveCase struct {
	Pos     lexer.Position
	Bind    *pIdent   `parser:"( 'case' ( @@ ':=' )?"`
	Type    *expr     `parser:"@@"`
	Default bool      `parser:"| @'default'"`
	After   *expr     `parser:"| 'after' @@ ) ':'"`
	Body    *recvBody `parser:"@@"`
}

// pReceiveValue is `parser:"receive [timeout D]"` or `parser:"receive batch N [timeout D]"`.
type pReceiveValue struct {
	Pos     lexer.Position
	Kw      bool  `parser:"@'receive'"`
	Batch   *expr `parser:"( 'batch' @@ )?"`
	Timeout *expr `parser:"( 'timeout' @@ )?"`
}

type pChanRecv struct {
	Pos     lexer.Position
	Chan    *pexpr `parser:"'<-' @@"`
	Timeout *expr  `parser:"( 'timeout' @@ )? (?= ';' | '}')"`
}

type pChanSend struct {
	Pos     lexer.Position
	Chan    *expr `parser:"@@ '<-'"`
	Value   *expr `parser:"@@"`
	Timeout *expr `parser:"( 'timeout' @@ )?"`
}

// pJoin: for when "all" is a modifier see allWord; "children" is one when
// the statement ends or a timeout follows.
type pJoin struct {
	Pos      lexer.Position
	All      *allWord `parser:"'join' ( @@"`
	X        *expr    `parser:"@@"`
	Children bool     `parser:"| @'children' (?= ';' | '}' | 'timeout')"`
	Target   *expr    `parser:"| @@ )"`
	Timeout  *expr    `parser:"( 'timeout' @@ )?"`
}

type pAwait struct {
	Pos     lexer.Position
	Op      *expr `parser:"'await' @@"`
	Timeout *expr `parser:"( 'timeout' @@ )?"`
}

type pKill struct {
	Pos    lexer.Position
	Target *expr `parser:"'kill' @@"`
}

type pDeadline struct {
	Pos      lexer.Position
	Duration *hexpr  `parser:"'deadline' @@"`
	Body     *pBlock `parser:"@@"`
}

type pQuit struct {
	Pos  lexer.Position
	Kw   bool  `parser:"@'quit'"`
	Code *expr `parser:"@@?"`
}

type pSelect struct {
	Pos   lexer.Position
	Cases *selectCases `parser:"'select' '{' @@"`
	Close *pClose      `parser:"@@"`
}

type pSelectCase struct {
	Pos     lexer.Position
	Head    *pSelectHead `parser:"( 'case' @@"`
	Default bool         `parser:"| @'default'"`
	After   *expr        `parser:"| 'after' @@ ) ':'"`
	Body    *recvBody    `parser:"@@"`
}

type pSelectHead struct {
	Pos     lexer.Position
	Recv    *pSelectRecv    `parser:"  @@"`
	Receive *pSelectReceive `parser:"| @@"`
	Send    *pSelectSend    `parser:"| @@"`
}

type pSelectRecv struct {
	Pos  lexer.Position
	Lhs  *exprList `parser:"( @@"`
	Tok  string    `parser:"@(':=' | '=') )?"`
	Chan *pexpr    `parser:"'<-' @@"`
}

type pSelectReceive struct {
	Pos  lexer.Position
	Lhs  *exprList `parser:"( @@"`
	Tok  string    `parser:"@(':=' | '=') )?"`
	Type *expr     `parser:"'receive' @@"`
}

type pSelectSend struct {
	Pos   lexer.Position
	Chan  *expr `parser:"@@ '<-'"`
	Value *expr `parser:"@@"`
}

// tskParser parses a whole file, or its header (package and imports).
var tskParser = participle.MustBuild[pFile](
	participle.Lexer(tskLexer{}),
	participle.UseLookahead(participle.MaxLookahead),
)

// declParser parses one top-level declaration.
var declParser = participle.MustBuild[pDeclChunk](
	participle.Lexer(tskLexer{}),
	participle.UseLookahead(participle.MaxLookahead),
)
