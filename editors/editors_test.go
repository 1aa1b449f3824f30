// Package editors holds editor support files for .tsk; this test keeps them
// well-formed and in step with each other.
package editors

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// goRegexp compiles a TextMate (Oniguruma) pattern with Go's regexp after
// removing its lookahead groups, (?=...) and (?!...), which Go lacks.
func goRegexp(re string) (*regexp.Regexp, error) {
	var sb strings.Builder
	for i := 0; i < len(re); i++ {
		if strings.HasPrefix(re[i:], "(?=") || strings.HasPrefix(re[i:], "(?!") {
			depth := 0
			for ; i < len(re); i++ {
				switch re[i] {
				case '\\':
					i++
				case '(':
					depth++
				case ')':
					depth--
				}
				if depth == 0 {
					break
				}
			}
			continue
		}
		if re[i] == '\\' && i+1 < len(re) {
			sb.WriteString(re[i : i+2])
			i++
			continue
		}
		sb.WriteByte(re[i])
	}
	return regexp.Compile(sb.String())
}

// grammar is the part of a TextMate grammar the test reads.
type pattern struct {
	Name     string    `json:"name"`
	Match    string    `json:"match"`
	Begin    string    `json:"begin"`
	End      string    `json:"end"`
	Include  string    `json:"include"`
	Patterns []pattern `json:"patterns"`
}

type grammar struct {
	ScopeName  string             `json:"scopeName"`
	FileTypes  []string           `json:"fileTypes"`
	Patterns   []pattern          `json:"patterns"`
	Repository map[string]pattern `json:"repository"`
}

func loadGrammar(t *testing.T) grammar {
	t.Helper()
	data, err := os.ReadFile("textmate/tsk.tmLanguage.json")
	if err != nil {
		t.Fatal(err)
	}
	var g grammar
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatalf("tsk.tmLanguage.json: %v", err)
	}
	return g
}

// each calls f on every pattern of the grammar.
func (g grammar) each(f func(pattern)) {
	var walk func(p pattern)
	walk = func(p pattern) {
		f(p)
		for _, q := range p.Patterns {
			walk(q)
		}
	}
	for _, p := range g.Patterns {
		walk(p)
	}
	for _, p := range g.Repository {
		walk(p)
	}
}

func TestTextMateGrammar(t *testing.T) {
	g := loadGrammar(t)
	if g.ScopeName != "source.tsk" || !slices.Equal(g.FileTypes, []string{"tsk"}) {
		t.Errorf("scope %q, file types %v", g.ScopeName, g.FileTypes)
	}
	g.each(func(p pattern) {
		for _, re := range []string{p.Match, p.Begin, p.End} {
			if re == "" {
				continue
			}
			if _, err := goRegexp(re); err != nil {
				t.Errorf("pattern %q: %v", re, err)
			}
		}
		if name, ok := strings.CutPrefix(p.Include, "#"); ok {
			if _, ok := g.Repository[name]; !ok {
				t.Errorf("include %q names no repository entry", p.Include)
			}
		}
	})
}

// scopeOf returns the scope name the grammar gives word in line, trying
// the grammar's match patterns in order as an editor would (captures
// count as the pattern's own scope).
func scopeOf(g grammar, line, word string) string {
	var found string
	var try func(p pattern) bool
	try = func(p pattern) bool {
		if p.Include != "" {
			return try(g.Repository[strings.TrimPrefix(p.Include, "#")])
		}
		if p.Match != "" {
			re, err := goRegexp(p.Match)
			if err != nil {
				return false
			}
			for _, m := range re.FindAllStringIndex(line, -1) {
				if strings.Contains(line[m[0]:m[1]], word) {
					found = p.Name
					if found == "" {
						found = "(captures)"
					}
					return true
				}
			}
		}
		for _, q := range p.Patterns {
			if try(q) {
				return true
			}
		}
		return false
	}
	for _, p := range g.Patterns {
		if try(p) {
			break
		}
	}
	return found
}

func TestTextMateScopes(t *testing.T) {
	g := loadGrammar(t)
	tests := []struct{ line, word, want string }{
		{"\tsleep 250ms", "sleep", "keyword.control.tasklet.tsk"},
		{"\tsleep 250ms", "250ms", "constant.numeric.duration.tsk"},
		{"\tr := call p, Add{A: 1} timeout 1s", "call", "keyword.control.tasklet.tsk"},
		{"\tspawn every 1s now Tick()", "every", "(captures)"},
		{"tasklet Main() {", "Main", "(captures)"},
		{"\tvar t Tasklet", "Tasklet", "support.type.tasklet.tsk"},
		{"// spawn in a comment", "spawn", "comment.line.double-slash.tsk"},
		{"\tx := 42", "42", "constant.numeric.integer.tsk"},
	}
	for _, tt := range tests {
		if got := scopeOf(g, tt.line, tt.word); got != tt.want {
			t.Errorf("%q in %q: scope %q, want %q", tt.word, tt.line, got, tt.want)
		}
	}
}

// TestKeywordsInStep checks that the TextMate grammar and the Vim syntax
// know the same tasklet keywords.
func TestKeywordsInStep(t *testing.T) {
	keywords := []string{
		"tasklet", "message", "reply", "spawn", "send", "call", "receive", "yield", "sleep",
		"join", "kill", "deadline", "quit", "await", "timeout", "after", "every", "loop",
		"rate", "receiver", "batch", "all", "children", "now", "with",
		"Tasklet", "Mailbox", "Channel", "JoinError", "TimeoutError", "TaskletExit",
		"self", "ErrTimeout", "ErrKilled",
	}
	tm, err := os.ReadFile("textmate/tsk.tmLanguage.json")
	if err != nil {
		t.Fatal(err)
	}
	vim, err := os.ReadFile("vim/syntax/tsk.vim")
	if err != nil {
		t.Fatal(err)
	}
	word := func(w string) *regexp.Regexp {
		return regexp.MustCompile(`(^|[^A-Za-z_]|\\b)` + w + `([^A-Za-z_0-9]|$)`)
	}
	for _, k := range keywords {
		if !word(k).Match(tm) {
			t.Errorf("%s: missing from tsk.tmLanguage.json", k)
		}
		if !word(k).Match(vim) {
			t.Errorf("%s: missing from vim/syntax/tsk.vim", k)
		}
	}
}
