package grammar

import (
	"fmt"
	"go/ast"
	"go/token"
)

// This file declares the syntax tree that the parser produces and that codegen
// consumes. It is the contract between the two: change it only together with
// both sides.
//
// Go expressions, types and function signatures are go/ast nodes. Their
// token.Pos values resolve, through the File's FileSet, to positions in the
// .tsk file itself (file name, line and byte column), so a go/types error on
// such a node can be reported at the .tsk position unchanged.
//
// Duration literals (250ms, 1.5s, ...) inside Go expressions are represented
// as the Go expression they mean: &ast.BinaryExpr{X: <number literal>,
// Op: token.MUL, Y: <time.Millisecond selector>}, with every node positioned
// at the literal. The number is always an integer literal (Go rejects
// 1.5 * time.Second): a fraction is expressed in a smaller unit, so 1.5s is
// 1500 * time.Millisecond. Since every node sits at the literal's start, the
// End() of the expression lies past the literal's end. A File whose
// expressions contain one has UsesTime set.

// Pos is a position in a .tsk source file. Column counts bytes, as Go's do.
type Pos struct {
	Filename string
	Offset   int // byte offset, starting at 0
	Line     int // starting at 1
	Column   int // byte column, starting at 1
}

// String formats the position as file:line:col.
func (p Pos) String() string {
	return fmt.Sprintf("%s:%d:%d", p.Filename, p.Line, p.Column)
}

// IsValid reports whether the position is set.
func (p Pos) IsValid() bool { return p.Line > 0 }

// Error is a syntax error at a position in a .tsk file.
type Error struct {
	Pos Pos
	Msg string
}

// Error formats the error as file:line:col: message.
func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// ErrorList is a list of errors sorted by position; it is the error type
// ParseFile returns.
type ErrorList []*Error

// Error formats the first error and says how many more there are.
func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	return fmt.Sprintf("%s (and %d more errors)", l[0], len(l)-1)
}

// Ident is a name with its position.
type Ident struct {
	Pos  Pos
	Name string
}

// Comment is one // or /* */ comment, kept so the printer can reproduce it.
type Comment struct {
	Pos  Pos
	Text string // including the comment markers
}

// File is one parsed .tsk file.
type File struct {
	Pos      Pos
	Name     string         // file name as given to the parser
	FileSet  *token.FileSet // resolves the token.Pos of every go/ast node below
	Package  *Ident
	Imports  []*Import
	Decls    []Decl // in source order
	Comments []*Comment
	UsesTime bool // a duration literal occurs somewhere in the file

	durations map[token.Pos]string // duration literals as written, for the printer
}

// Import is one import spec.
type Import struct {
	Pos     Pos
	Name    *Ident // alias, "_" or "."; nil when absent
	Path    string // unquoted import path
	Keyword Pos    // the `import` keyword of the declaration holding the spec
}

// Decl is a top-level declaration: *MessageDecl, *TaskletDecl or *GoDecl.
type Decl interface {
	Node
	declNode()
}

// Node is any node of the syntax tree.
type Node interface {
	Position() Pos
}

// MessageDecl is `message Name { fields } [reply T]`.
type MessageDecl struct {
	Pos    Pos
	Doc    []*Comment // comments directly above the declaration
	Name   *Ident
	Fields *ast.FieldList // the struct's fields, Go field syntax
	Reply  ast.Expr       // the reply type; nil when absent
}

// TaskletDecl is `tasklet Name(params) [results] { body }`.
type TaskletDecl struct {
	Pos  Pos
	Doc  []*Comment
	Name *Ident
	Type *ast.FuncType // parameters and results; Func is token.NoPos
	Body *BlockStmt
}

// GoDecl is a plain Go top-level declaration (func, type, var, const) kept
// verbatim.
type GoDecl struct {
	Pos  Pos
	Doc  []*Comment
	Decl ast.Decl
	Text string // the original source text of the declaration
}

func (d *MessageDecl) Position() Pos { return d.Pos }
func (d *TaskletDecl) Position() Pos { return d.Pos }
func (d *GoDecl) Position() Pos      { return d.Pos }
func (*MessageDecl) declNode()       {}
func (*TaskletDecl) declNode()       {}
func (*GoDecl) declNode()            {}

// Stmt is a statement inside a tasklet body.
type Stmt interface {
	Node
	stmtNode()
}

// Result is the optional left-hand side of a tasklet statement that produces
// values: `v := op`, `v, err := op`, `err = op`. Tok is token.DEFINE or
// token.ASSIGN; a Result with no Lhs means the statement's values are
// dropped (and a failure not taken fails the tasklet).
//
// Which Lhs arities an operation accepts is fixed by the operation: for
// operations with a value (call, receive, <-ch, join, await) one Lhs is the
// value and two are value and error; for operations with none (yield, sleep,
// ch <- v, kill-free waits) the single Lhs is the error.
type Result struct {
	Lhs []ast.Expr
	Tok token.Token
}

// Timeout is the optional `timeout D` of a blocking operation; nil when absent.
type Timeout = ast.Expr

// --- Go statements -------------------------------------------------------

// SimpleStmt is a Go simple statement: expression statement, assignment
// (plain, op-assign or :=) and inc/dec. S is *ast.ExprStmt, *ast.AssignStmt
// or *ast.IncDecStmt. Codegen recognises calls of tasklets in it
// (`x := F(args)`, `F(args)`).
type SimpleStmt struct {
	Pos Pos
	S   ast.Stmt
}

// DeclStmt is a var, const or type declaration inside a body.
type DeclStmt struct {
	Pos  Pos
	Decl *ast.GenDecl
}

// ReturnStmt is `return [results]`.
type ReturnStmt struct {
	Pos     Pos
	Results []ast.Expr
}

// BranchStmt is break, continue, goto or fallthrough, with an optional label.
type BranchStmt struct {
	Pos   Pos
	Tok   token.Token
	Label *Ident
}

// DeferStmt is `defer call`.
type DeferStmt struct {
	Pos  Pos
	Call *ast.CallExpr
}

// GoStmt is `go call`. The parser reports it as an error (spawn is the
// tasklet form), so it only occurs in the partial File returned with errors.
type GoStmt struct {
	Pos  Pos
	Call *ast.CallExpr
}

// BlockStmt is `{ list }`.
type BlockStmt struct {
	Pos    Pos
	List   []Stmt
	Rbrace Pos
}

// IfStmt is `if [init;] cond { } [else ...]`. Else is nil, *IfStmt or *BlockStmt.
type IfStmt struct {
	Pos  Pos
	Init Stmt // nil or a *SimpleStmt
	Cond ast.Expr
	Then *BlockStmt
	Else Stmt
}

// ForStmt is `for [init]; [cond]; [post] { }`, `for cond { }` and `for { }`.
type ForStmt struct {
	Pos  Pos
	Init Stmt // nil or *SimpleStmt
	Cond ast.Expr
	Post Stmt // nil or *SimpleStmt
	Body *BlockStmt
}

// RangeStmt is `for [k [, v] (:=|=)] range x { }`.
type RangeStmt struct {
	Pos   Pos
	Key   ast.Expr // nil when absent
	Value ast.Expr // nil when absent
	Tok   token.Token
	X     ast.Expr
	Body  *BlockStmt
}

// SwitchStmt is an expression switch.
type SwitchStmt struct {
	Pos    Pos
	Init   Stmt     // nil or *SimpleStmt
	Tag    ast.Expr // nil for `switch { }`
	Cases  []*CaseClause
	Rbrace Pos // the closing brace
}

// TypeSwitchStmt is `switch [init;] [x :=] y.(type) { }`.
type TypeSwitchStmt struct {
	Pos    Pos
	Init   Stmt
	Bind   *Ident   // x in `x := y.(type)`; nil when absent
	X      ast.Expr // y
	Cases  []*CaseClause
	Rbrace Pos // the closing brace
}

// CaseClause is one `case list:` or `default:` of a switch (List nil for default).
type CaseClause struct {
	Pos  Pos
	List []ast.Expr // expressions, or types in a type switch
	Body []Stmt
}

// LabeledStmt is `label: stmt`.
type LabeledStmt struct {
	Pos   Pos
	Label *Ident
	Stmt  Stmt
}

// EmptyStmt is an empty statement (a lone `;`).
type EmptyStmt struct {
	Pos Pos
}

// --- tasklet statements --------------------------------------------------

// YieldStmt is `[err :=] yield`.
type YieldStmt struct {
	Pos    Pos
	Result Result
}

// SleepStmt is `[err :=] sleep D`.
type SleepStmt struct {
	Pos      Pos
	Result   Result
	Duration ast.Expr
}

// SpawnKind says which form of spawn a SpawnStmt is.
type SpawnKind int

const (
	SpawnPlain    SpawnKind = iota // spawn F(args)
	SpawnAfter                     // spawn after D F(args)
	SpawnLoop                      // spawn loop F(args)
	SpawnEvery                     // spawn every D [now] F(args)
	SpawnRate                      // spawn rate N F(args)
	SpawnReceiver                  // spawn receiver F(args)
)

// SpawnStmt is `[t :=] spawn [after D | loop | every D [now] | rate N | receiver] F(args) [with {opts}]`.
type SpawnStmt struct {
	Pos     Pos
	Result  Result // at most one Lhs: the Tasklet handle
	Kind    SpawnKind
	Arg     ast.Expr // D for after and every, N for rate; nil otherwise
	Now     bool     // `every D now`
	Call    *ast.CallExpr
	Options []*SpawnOption
	Rbrace  Pos // the brace closing `with { }`; zero without options
}

// SpawnOption is one `key: value` of a spawn's `with { }`. Key is name,
// daemon or mailbox; the parser rejects any other.
type SpawnOption struct {
	Pos   Pos
	Key   *Ident
	Value ast.Expr
}

// SendStmt is `send T, M`.
type SendStmt struct {
	Pos    Pos
	Target ast.Expr
	Msg    ast.Expr
}

// CallStmt is `[r [, err] :=] call T, M [timeout D]`.
type CallStmt struct {
	Pos     Pos
	Result  Result
	Target  ast.Expr
	Msg     ast.Expr
	Timeout Timeout
}

// ReplyStmt is `reply M, V`.
type ReplyStmt struct {
	Pos   Pos
	Msg   *Ident // the name a receive case bound
	Value ast.Expr
}

// ReceiveStmt is `[m [, err] :=] receive [timeout D]`.
type ReceiveStmt struct {
	Pos     Pos
	Result  Result
	Timeout Timeout
}

// ReceiveBatchStmt is `[ms [, err] :=] receive batch N [timeout D]`.
type ReceiveBatchStmt struct {
	Pos     Pos
	Result  Result
	N       ast.Expr
	Timeout Timeout
}

// ReceiveCaseKind says which kind of clause a ReceiveCase is.
type ReceiveCaseKind int

const (
	ReceiveType    ReceiveCaseKind = iota // case [x :=] Type:
	ReceiveDefault                        // default:
	ReceiveAfter                          // after D:
)

// ReceiveSwitchStmt is `receive { case x := T: ... default: ... after D: ... }`.
type ReceiveSwitchStmt struct {
	Pos    Pos
	Cases  []*ReceiveCase
	Rbrace Pos
}

// ReceiveCase is one clause of a ReceiveSwitchStmt.
type ReceiveCase struct {
	Pos   Pos
	Kind  ReceiveCaseKind
	Bind  *Ident   // x in `case x := T:`; nil when absent (also for default)
	Type  ast.Expr // T for ReceiveType
	After ast.Expr // D for ReceiveAfter
	Body  []Stmt
}

// ChanSendStmt is `[err :=] ch <- v [timeout D]` on a Channel[T].
type ChanSendStmt struct {
	Pos     Pos
	Result  Result
	Chan    ast.Expr
	Value   ast.Expr
	Timeout Timeout
}

// ChanRecvStmt is `[v [, err] :=] <-ch [timeout D]` on a Channel[T].
type ChanRecvStmt struct {
	Pos     Pos
	Result  Result
	Chan    ast.Expr
	Timeout Timeout
}

// JoinKind says which form of join a JoinStmt is.
type JoinKind int

const (
	JoinOne      JoinKind = iota // join T
	JoinAll                      // join all TS
	JoinChildren                 // join children
)

// JoinStmt is `[r [, err] :=] join (T | all TS | children) [timeout D]`.
type JoinStmt struct {
	Pos     Pos
	Result  Result
	Kind    JoinKind
	X       ast.Expr // T or TS; nil for JoinChildren
	Timeout Timeout
}

// AwaitStmt is `[v [, err] :=] await OP [timeout D]`.
type AwaitStmt struct {
	Pos     Pos
	Result  Result
	Op      ast.Expr
	Timeout Timeout
}

// KillStmt is `kill T`.
type KillStmt struct {
	Pos Pos
	X   ast.Expr
}

// DeadlineStmt is `deadline D { body }`.
type DeadlineStmt struct {
	Pos      Pos
	Duration ast.Expr
	Body     *BlockStmt
}

// QuitStmt is `quit [CODE]`.
type QuitStmt struct {
	Pos  Pos
	Code ast.Expr // nil means 0
}

// SelectCaseKind says which kind of clause a SelectCase is.
type SelectCaseKind int

const (
	SelectRecv    SelectCaseKind = iota // case [v [, err] :=] <-ch:
	SelectSend                          // case ch <- v:
	SelectReceive                       // case [m :=] receive Type:
	SelectAfter                         // after D:
	SelectDefault                       // default:
)

// SelectStmt is `select { case ...: ... after D: ... }` over tasklet channels
// and the mailbox.
type SelectStmt struct {
	Pos    Pos
	Cases  []*SelectCase
	Rbrace Pos
}

// SelectCase is one clause of a SelectStmt.
type SelectCase struct {
	Pos    Pos
	Kind   SelectCaseKind
	Result Result   // SelectRecv: v [, err]; SelectReceive: m
	Chan   ast.Expr // SelectRecv, SelectSend
	Value  ast.Expr // SelectSend
	Type   ast.Expr // SelectReceive
	After  ast.Expr // SelectAfter
	Body   []Stmt
}

func (s *SimpleStmt) Position() Pos        { return s.Pos }
func (s *DeclStmt) Position() Pos          { return s.Pos }
func (s *ReturnStmt) Position() Pos        { return s.Pos }
func (s *BranchStmt) Position() Pos        { return s.Pos }
func (s *DeferStmt) Position() Pos         { return s.Pos }
func (s *GoStmt) Position() Pos            { return s.Pos }
func (s *BlockStmt) Position() Pos         { return s.Pos }
func (s *IfStmt) Position() Pos            { return s.Pos }
func (s *ForStmt) Position() Pos           { return s.Pos }
func (s *RangeStmt) Position() Pos         { return s.Pos }
func (s *SwitchStmt) Position() Pos        { return s.Pos }
func (s *TypeSwitchStmt) Position() Pos    { return s.Pos }
func (s *CaseClause) Position() Pos        { return s.Pos }
func (s *LabeledStmt) Position() Pos       { return s.Pos }
func (s *EmptyStmt) Position() Pos         { return s.Pos }
func (s *YieldStmt) Position() Pos         { return s.Pos }
func (s *SleepStmt) Position() Pos         { return s.Pos }
func (s *SpawnStmt) Position() Pos         { return s.Pos }
func (s *SpawnOption) Position() Pos       { return s.Pos }
func (s *SendStmt) Position() Pos          { return s.Pos }
func (s *CallStmt) Position() Pos          { return s.Pos }
func (s *ReplyStmt) Position() Pos         { return s.Pos }
func (s *ReceiveStmt) Position() Pos       { return s.Pos }
func (s *ReceiveBatchStmt) Position() Pos  { return s.Pos }
func (s *ReceiveSwitchStmt) Position() Pos { return s.Pos }
func (s *ReceiveCase) Position() Pos       { return s.Pos }
func (s *ChanSendStmt) Position() Pos      { return s.Pos }
func (s *ChanRecvStmt) Position() Pos      { return s.Pos }
func (s *JoinStmt) Position() Pos          { return s.Pos }
func (s *AwaitStmt) Position() Pos         { return s.Pos }
func (s *KillStmt) Position() Pos          { return s.Pos }
func (s *DeadlineStmt) Position() Pos      { return s.Pos }
func (s *QuitStmt) Position() Pos          { return s.Pos }
func (s *SelectStmt) Position() Pos        { return s.Pos }
func (s *SelectCase) Position() Pos        { return s.Pos }

func (*SimpleStmt) stmtNode()        {}
func (*DeclStmt) stmtNode()          {}
func (*ReturnStmt) stmtNode()        {}
func (*BranchStmt) stmtNode()        {}
func (*DeferStmt) stmtNode()         {}
func (*GoStmt) stmtNode()            {}
func (*BlockStmt) stmtNode()         {}
func (*IfStmt) stmtNode()            {}
func (*ForStmt) stmtNode()           {}
func (*RangeStmt) stmtNode()         {}
func (*SwitchStmt) stmtNode()        {}
func (*TypeSwitchStmt) stmtNode()    {}
func (*LabeledStmt) stmtNode()       {}
func (*EmptyStmt) stmtNode()         {}
func (*YieldStmt) stmtNode()         {}
func (*SleepStmt) stmtNode()         {}
func (*SpawnStmt) stmtNode()         {}
func (*SendStmt) stmtNode()          {}
func (*CallStmt) stmtNode()          {}
func (*ReplyStmt) stmtNode()         {}
func (*ReceiveStmt) stmtNode()       {}
func (*ReceiveBatchStmt) stmtNode()  {}
func (*ReceiveSwitchStmt) stmtNode() {}
func (*ChanSendStmt) stmtNode()      {}
func (*ChanRecvStmt) stmtNode()      {}
func (*JoinStmt) stmtNode()          {}
func (*AwaitStmt) stmtNode()         {}
func (*KillStmt) stmtNode()          {}
func (*DeadlineStmt) stmtNode()      {}
func (*QuitStmt) stmtNode()          {}
func (*SelectStmt) stmtNode()        {}
