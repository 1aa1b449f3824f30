package grammar

import (
	"fmt"
	"go/token"
	"sort"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"
)

// This file words syntax errors. Participle knows which token it could not
// take, but rarely what would have fitted; explain looks at the tokens
// around the error to say what was expected, in the user's terms.

// declWords begin top-level declarations.
var declWords = []string{"message", "tasklet", "func", "type", "var", "const", "import"}

// explain returns the message for an unexpected token at toks[i].
func explain(toks []lexer.Token, i int) string {
	t := &toks[i]
	what := "unexpected " + describe(t)
	var prev *lexer.Token
	if i > 0 {
		prev = &toks[i-1]
	}
	k := goKind(t.Type)

	// The file must start with the package clause.
	if i == 0 || (i == 1 && toks[0].Value == "package") {
		if i == 0 {
			return what + " (expected package clause: package name)"
		}
		return what + " (expected the package name)"
	}
	if k == token.EOF {
		if open := unclosed(toks[:i]); open != nil {
			return fmt.Sprintf("%s (expected %s to close the %s at %d:%d)", what, closer(goKind(open.Type)), open.Value, open.Pos.Line, open.Pos.Column)
		}
	}
	if t.Value == "else" {
		return what + " (else must follow the closing brace on the same line: } else {)"
	}
	if t.Value == "timeout" && i+1 < len(toks) && endsStmt(goKind(toks[i+1].Type)) {
		return "timeout needs a duration (expected timeout D)"
	}
	if t.Value == "with" && i+1 < len(toks) && goKind(toks[i+1].Type) == token.LBRACE {
		return "malformed spawn options (expected with {name: N, daemon: B, mailbox: M})"
	}
	if prev.Value == "timeout" {
		return what + " (expected a duration after timeout)"
	}
	if prev.Value == "import" || (i > 1 && toks[i-2].Value == "import" && goKind(prev.Type) == token.IDENT) {
		return what + " (expected an import path string, like \"fmt\")"
	}

	if msg := explainClause(toks, i, what); msg != "" {
		return msg
	}
	head, headIdx, depth := stmtHead(toks, i)
	if depth == 0 {
		// Top level: a declaration should start here.
		if headIdx == i {
			msg := what + " (expected a declaration: message, tasklet, func, type, var or const)"
			if g := guess(t.Value, declWords); g != "" {
				msg += "; did you mean " + g + "?"
			}
			return msg
		}
		switch head {
		case "message":
			if i == headIdx+2 {
				return what + " (expected { fields } after the message name)"
			}
		case "tasklet":
			if i == headIdx+2 {
				return what + " (expected ( after the tasklet name)"
			}
		}
		if k == tokAutoSemi || k == token.SEMICOLON {
			return what + " (expected { on the same line)"
		}
		return what + " (expected end of declaration)"
	}
	if head == "receive" && k == token.LBRACE && headIdx > 0 && goKind(toks[headIdx-1].Type) != token.LBRACE && !isSemi(goKind(toks[headIdx-1].Type)) {
		return what + " (receive { } stands alone; a result goes with receive [batch N] [timeout D])"
	}
	if headIdx == i-1 && stmtUsage[head] != "" && prev.Value == head {
		return fmt.Sprintf("%s (expected %s)", what, stmtUsage[head])
	}
	if k == tokAutoSemi && blockHeads[head] {
		return what + " (expected { on the same line)"
	}
	hasComma := false
	for j := headIdx; j < i; j++ {
		if goKind(toks[j].Type) == token.COMMA {
			hasComma = true
		}
	}
	if inWith(toks, headIdx, i) {
		return what + " (expected key: value, with key name, daemon or mailbox)"
	}
	switch head {
	case "call", "send":
		if !hasComma {
			return fmt.Sprintf("%s (expected a comma between target and message: %s T, M)", what, head)
		}
	case "reply":
		if !hasComma {
			return what + " (expected a comma after the message name: reply m, v)"
		}
	case "receive", "join", "await", "sleep", "yield", "spawn":
		if headIdx > 0 && goKind(t.Type) == token.LBRACE && head == "receive" {
			return what + " (receive { } stands alone; a result goes with receive [batch N] [timeout D])"
		}
	}
	msg := what + " after the statement (expected newline or ;)"
	if headIdx == i-1 && goKind(prev.Type) == token.IDENT && !stmtWords[prev.Value] {
		words := make([]string, 0, len(stmtWords))
		for w := range stmtWords {
			words = append(words, w)
		}
		sort.Strings(words)
		if g := guess(prev.Value, words); g != "" {
			msg += "; did you mean " + g + "?"
		}
	}
	return msg
}

// explainClause explains an error in the head of a case clause.
func explainClause(toks []lexer.Token, i int, what string) string {
	j := i - 1
	for j >= 0 {
		k := goKind(toks[j].Type)
		if isSemi(k) || k == token.LBRACE || k == token.RBRACE || k == token.COLON {
			break
		}
		j--
	}
	if j+1 >= i || (toks[j+1].Value != "case" && toks[j+1].Value != "after") {
		return ""
	}
	clause := toks[j+1].Value
	if k := goKind(toks[i].Type); isSemi(k) || k == token.EOF {
		return what + " (expected : to end the " + clause + " clause)"
	}
	if clause == "case" && enclosing(toks, i) == "select" {
		return what + " (expected case v := <-ch:, case ch <- v: or case m := receive T:)"
	}
	return ""
}

// enclosing returns the word that opened the innermost brace around toks[i]:
// select, receive, switch, ...
func enclosing(toks []lexer.Token, i int) string {
	depth := 0
	for j := i - 1; j >= 0; j-- {
		switch goKind(toks[j].Type) {
		case token.RBRACE:
			depth++
		case token.LBRACE:
			if depth == 0 {
				// The statement of this brace: back to its start.
				k := j - 1
				for k >= 0 {
					kk := goKind(toks[k].Type)
					if isSemi(kk) || kk == token.LBRACE || kk == token.RBRACE || kk == token.COLON {
						break
					}
					k--
				}
				if k+1 < j {
					return toks[k+1].Value
				}
				return ""
			}
			depth--
		}
	}
	return ""
}

// stmtUsage shows the form of each tasklet statement.
var stmtUsage = map[string]string{
	"sleep":    "sleep D",
	"deadline": "deadline D { ... }",
	"kill":     "kill T",
	"send":     "send T, M",
	"call":     "call T, M [timeout D]",
	"reply":    "reply m, V",
	"await":    "await OP [timeout D]",
	"join":     "join T, join all TS or join children, [timeout D]",
	"spawn":    "spawn [after D | loop | every D [now] | rate N | receiver] F(args) [with {...}]",
	"receive":  "receive { cases }, or receive [batch N] [timeout D]",
	"select":   "select { cases }",
}

// blockHeads are the words whose statement continues with `{` on its line.
var blockHeads = map[string]bool{
	"if": true, "for": true, "switch": true, "select": true, "receive": true,
	"deadline": true, "else": true, "tasklet": true, "func": true,
}

// unclosed returns the innermost opening bracket never closed in toks.
func unclosed(toks []lexer.Token) *lexer.Token {
	var stack []*lexer.Token
	for j := range toks {
		switch goKind(toks[j].Type) {
		case token.LPAREN, token.LBRACK, token.LBRACE:
			stack = append(stack, &toks[j])
		case token.RPAREN, token.RBRACK, token.RBRACE:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		}
	}
	if len(stack) == 0 {
		return nil
	}
	return stack[len(stack)-1]
}

// stmtHead finds the first token of the statement or declaration holding
// toks[i]: its value, index, and the brace depth there.
func stmtHead(toks []lexer.Token, i int) (string, int, int) {
	depth := 0
	for j := 0; j < i; j++ {
		switch goKind(toks[j].Type) {
		case token.LBRACE:
			depth++
		case token.RBRACE:
			depth--
		}
	}
	nest := 0
	j := i - 1
	for ; j >= 0; j-- {
		k := goKind(toks[j].Type)
		if nest == 0 && (isSemi(k) || k == token.LBRACE || k == token.RBRACE || k == token.COLON) {
			break
		}
		switch k {
		case token.RPAREN, token.RBRACK, token.RBRACE:
			nest++
		case token.LPAREN, token.LBRACK, token.LBRACE:
			nest--
		}
	}
	h := j + 1
	// Skip a result list: `a, b := op`.
	for m := h; m < i; m++ {
		if k := goKind(toks[m].Type); k == token.DEFINE || k == token.ASSIGN {
			if m+1 <= i {
				h = m + 1
			}
			break
		}
	}
	if h > i {
		h = i
	}
	if h == i && (goKind(toks[h].Type) == token.RBRACE || toks[h].Type == lexer.EOF) && depth > 0 {
		return "", h, depth
	}
	if depth < 0 {
		depth = 0
	}
	return toks[h].Value, h, depth
}

// inWith reports whether toks[i] is inside the braces of a spawn's with.
func inWith(toks []lexer.Token, from, i int) bool {
	if from >= 2 && goKind(toks[from-1].Type) == token.LBRACE && toks[from-2].Value == "with" {
		return true
	}
	for j := from; j+1 < i; j++ {
		if toks[j].Value == "with" && goKind(toks[j+1].Type) == token.LBRACE {
			return true
		}
	}
	return false
}

// guess returns the word of words closest to w, if it is close.
func guess(w string, words []string) string {
	best, bestD := "", 3
	for _, c := range words {
		if d := distance(strings.ToLower(w), c); d < bestD && d < len(c)/2+1 {
			best, bestD = c, d
		}
	}
	return best
}

// distance is the Levenshtein distance of a and b (with transpositions).
func distance(a, b string) int {
	if len(a) > 32 || len(b) > 32 {
		return 99
	}
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := 0; j <= len(b); j++ {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
