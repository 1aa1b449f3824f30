package grammar

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/errors")

// corpus returns every .tsk file of testdata and of the repository.
func corpus(t testing.TB) []string {
	t.Helper()
	var files []string
	seen := map[string]bool{}
	for _, root := range []string{"testdata", ".."} {
		filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() && (d.Name() == "errors" || d.Name() == ".git" || d.Name() == "node_modules") {
				return filepath.SkipDir
			}
			abs, _ := filepath.Abs(path)
			if !d.IsDir() && strings.HasSuffix(path, ".tsk") && !seen[abs] {
				seen[abs] = true
				files = append(files, path)
			}
			return nil
		})
	}
	sort.Strings(files)
	return files
}

func mustParse(t testing.TB, name string, src []byte) *File {
	t.Helper()
	f, err := ParseFile(name, src)
	if err != nil {
		t.Fatalf("ParseFile(%s): %v", name, err)
	}
	return f
}

// TestCorpusParses parses every .tsk file of the repository; files under
// grammar/testdata are also in canonical layout already.
func TestCorpusParses(t *testing.T) {
	files := corpus(t)
	if len(files) < 3 {
		t.Fatalf("corpus has only %d files", len(files))
	}
	for _, name := range files {
		src, err := os.ReadFile(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue // a scratch file another test removed while we walked
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseFile(name, src); err != nil {
			if !strings.HasPrefix(name, "testdata") {
				// Other rooms' files may be mid-change; report, do not fail.
				t.Logf("%v", err)
				continue
			}
			t.Errorf("%v", err)
			continue
		}
		if strings.HasPrefix(name, "testdata") && !strings.HasPrefix(filepath.Base(name), "messy") {
			out, err := Format(name, src)
			if err != nil {
				t.Errorf("Format(%s): %v", name, err)
			} else if !bytes.Equal(out, src) {
				t.Errorf("%s is not in canonical layout; Format gives:\n%s", name, out)
			}
		}
	}
}

// TestRoundTrip checks parse → print → parse gives the same tree, that
// printing is idempotent and that every comment survives.
func TestRoundTrip(t *testing.T) {
	for _, name := range corpus(t) {
		src, _ := os.ReadFile(name)
		checkRoundTrip(t, name, src)
	}
}

func checkRoundTrip(t testing.TB, name string, src []byte) {
	t.Helper()
	f, err := ParseFile(name, src)
	if err != nil {
		return
	}
	var out1 bytes.Buffer
	if err := Fprint(&out1, f); err != nil {
		t.Fatalf("Fprint(%s): %v", name, err)
	}
	g, err := ParseFile(name, out1.Bytes())
	if err != nil {
		t.Fatalf("%s: printed output does not parse: %v\n%s", name, err, out1.Bytes())
	}
	if path, ok := sameTree(reflect.ValueOf(f), reflect.ValueOf(g), "File"); !ok {
		t.Fatalf("%s: tree changed by printing at %s\nsource:\n%s\nprinted:\n%s", name, path, src, out1.Bytes())
	}
	if a, b := commentTexts(f), commentTexts(g); !reflect.DeepEqual(a, b) {
		t.Fatalf("%s: comments changed by printing:\n%q\n%q", name, a, b)
	}
	var out2 bytes.Buffer
	if err := Fprint(&out2, g); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out1.Bytes(), out2.Bytes()) {
		t.Fatalf("%s: printing is not idempotent:\n%s\n---\n%s", name, out1.Bytes(), out2.Bytes())
	}
}

func commentTexts(f *File) []string {
	var l []string
	for _, c := range f.Comments {
		l = append(l, c.Text)
	}
	sort.Strings(l)
	return l
}

var (
	posType       = reflect.TypeFor[Pos]()
	tokPosType    = reflect.TypeFor[token.Pos]()
	fileSetType   = reflect.TypeFor[*token.FileSet]()
	commentsTyp   = reflect.TypeFor[[]*Comment]()
	fieldListType = reflect.TypeFor[*ast.FieldList]()
)

func emptyFields(v reflect.Value) bool {
	return v.IsNil() || len(v.Interface().(*ast.FieldList).List) == 0
}

// sameTree compares two syntax trees, ignoring positions, file sets and
// comments (compared separately, as printing may move them).
func sameTree(a, b reflect.Value, path string) (string, bool) {
	if a.Type() != b.Type() {
		return path + " (type " + a.Type().String() + " vs " + b.Type().String() + ")", false
	}
	switch a.Type() {
	case posType, tokPosType, fileSetType, commentsTyp:
		return "", true
	}
	if a.Type() == fieldListType && emptyFields(a) && emptyFields(b) {
		return "", true // `()` and no result list: gofmt prints both alike
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				return path + " (nil vs non-nil)", false
			}
			return "", true
		}
		return sameTree(a.Elem(), b.Elem(), path)
	case reflect.Slice:
		if a.Len() != b.Len() {
			return fmt.Sprintf("%s (len %d vs %d)", path, a.Len(), b.Len()), false
		}
		for i := 0; i < a.Len(); i++ {
			if p, ok := sameTree(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i)); !ok {
				return p, false
			}
		}
		return "", true
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			name := a.Type().Field(i).Name
			if name == "Name" && a.Type() == reflect.TypeFor[File]() {
				continue
			}
			if name == "Text" && a.Type() == reflect.TypeFor[GoDecl]() {
				continue // the source text, which formatting changes
			}
			if p, ok := sameTree(a.Field(i), b.Field(i), path+"."+name); !ok {
				return p, false
			}
		}
		return "", true
	case reflect.String:
		if a.String() != b.String() {
			return fmt.Sprintf("%s (%q vs %q)", path, a.String(), b.String()), false
		}
		return "", true
	default:
		if a.CanInterface() && !reflect.DeepEqual(a.Interface(), b.Interface()) {
			return fmt.Sprintf("%s (%v vs %v)", path, a.Interface(), b.Interface()), false
		}
		return "", true
	}
}

// TestErrors golden-tests the messages for malformed files in
// testdata/errors: each NAME.tsk has its expected messages in NAME.golden
// (go test -run TestErrors -update rewrites them).
func TestErrors(t *testing.T) {
	files, _ := filepath.Glob("testdata/errors/*.tsk")
	if len(files) < 25 {
		t.Fatalf("only %d malformed inputs", len(files))
	}
	for _, name := range files {
		src, _ := os.ReadFile(name)
		base := filepath.Base(name)
		_, err := ParseFile(base, src)
		var got strings.Builder
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		list, ok := err.(ErrorList)
		if !ok {
			t.Errorf("%s: error of type %T, want ErrorList", name, err)
			continue
		}
		for i, e := range list {
			if i > 0 && list[i-1].Pos.Offset > e.Pos.Offset {
				t.Errorf("%s: errors not sorted", name)
			}
			if !strings.HasPrefix(e.Error(), base+":") {
				t.Errorf("%s: message without position: %s", name, e)
			}
			fmt.Fprintln(&got, e)
		}
		golden := strings.TrimSuffix(name, ".tsk") + ".golden"
		if *update {
			os.WriteFile(golden, []byte(got.String()), 0o644)
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Errorf("%s: %v (run go test -update)", name, err)
			continue
		}
		if got.String() != string(want) {
			t.Errorf("%s:\ngot:\n%s\nwant:\n%s", name, got.String(), want)
		}
	}
}

// parseBody parses the statements of a tasklet body.
func parseBody(t *testing.T, body string) []Stmt {
	t.Helper()
	src := "package p\n\ntasklet T() {\n" + body + "\n}\n"
	f := mustParse(t, "t.tsk", []byte(src))
	return f.Decls[0].(*TaskletDecl).Body.List
}

func TestStatementForms(t *testing.T) {
	tests := []struct {
		src   string
		check func(s Stmt) bool
	}{
		{"yield", func(s Stmt) bool { y, ok := s.(*YieldStmt); return ok && y.Result.Lhs == nil }},
		{"err := yield", func(s Stmt) bool {
			y, ok := s.(*YieldStmt)
			return ok && len(y.Result.Lhs) == 1 && y.Result.Tok == token.DEFINE
		}},
		{"err = sleep 2s", func(s Stmt) bool { y, ok := s.(*SleepStmt); return ok && y.Result.Tok == token.ASSIGN }},
		{"t := spawn F(1)", func(s Stmt) bool { y, ok := s.(*SpawnStmt); return ok && y.Kind == SpawnPlain && len(y.Call.Args) == 1 }},
		{"spawn after 1s F()", func(s Stmt) bool { y, ok := s.(*SpawnStmt); return ok && y.Kind == SpawnAfter && y.Arg != nil }},
		{"spawn every d now F()", func(s Stmt) bool { y, ok := s.(*SpawnStmt); return ok && y.Kind == SpawnEvery && y.Now }},
		{"spawn loop F()", func(s Stmt) bool { y, ok := s.(*SpawnStmt); return ok && y.Kind == SpawnLoop }},
		{"spawn loop()", func(s Stmt) bool { y, ok := s.(*SpawnStmt); return ok && y.Kind == SpawnPlain }},
		{"spawn rate 5 F()", func(s Stmt) bool { y, ok := s.(*SpawnStmt); return ok && y.Kind == SpawnRate }},
		{"spawn receiver F()", func(s Stmt) bool { y, ok := s.(*SpawnStmt); return ok && y.Kind == SpawnReceiver }},
		{`spawn F() with {name: "x", daemon: true, mailbox: 3}`, func(s Stmt) bool {
			y, ok := s.(*SpawnStmt)
			return ok && len(y.Options) == 3 && y.Options[2].Key.Name == "mailbox"
		}},
		{"send t, M{}", func(s Stmt) bool { _, ok := s.(*SendStmt); return ok }},
		{"r, err := call t, M{} timeout 1s", func(s Stmt) bool { y, ok := s.(*CallStmt); return ok && len(y.Result.Lhs) == 2 && y.Timeout != nil }},
		{"call t, timeout", func(s Stmt) bool {
			y, ok := s.(*CallStmt)
			return ok && y.Timeout == nil && y.Msg.(*ast.Ident).Name == "timeout"
		}},
		{"reply m, 3", func(s Stmt) bool { _, ok := s.(*ReplyStmt); return ok }},
		{"m := receive", func(s Stmt) bool { y, ok := s.(*ReceiveStmt); return ok && y.Timeout == nil }},
		{"m, err := receive timeout 1s", func(s Stmt) bool { y, ok := s.(*ReceiveStmt); return ok && y.Timeout != nil }},
		{"ms := receive batch 10 timeout 1s", func(s Stmt) bool { y, ok := s.(*ReceiveBatchStmt); return ok && y.N != nil && y.Timeout != nil }},
		{"receive {\ncase x := A:\ncase B:\ndefault:\nafter 1s:\n}", func(s Stmt) bool {
			y, ok := s.(*ReceiveSwitchStmt)
			return ok && len(y.Cases) == 4 && y.Cases[0].Bind.Name == "x" && y.Cases[1].Bind == nil && y.Cases[2].Kind == ReceiveDefault && y.Cases[3].Kind == ReceiveAfter
		}},
		{"ch <- v timeout 1s", func(s Stmt) bool { y, ok := s.(*ChanSendStmt); return ok && y.Timeout != nil }},
		{"err := ch <- v", func(s Stmt) bool { y, ok := s.(*ChanSendStmt); return ok && len(y.Result.Lhs) == 1 }},
		{"v, err := <-ch timeout 1s", func(s Stmt) bool { y, ok := s.(*ChanRecvStmt); return ok && len(y.Result.Lhs) == 2 }},
		{"v := <-ch + 1", func(s Stmt) bool { _, ok := s.(*SimpleStmt); return ok }},
		{"r := join t", func(s Stmt) bool { y, ok := s.(*JoinStmt); return ok && y.Kind == JoinOne }},
		{"rs, err := join all ts timeout 1s", func(s Stmt) bool { y, ok := s.(*JoinStmt); return ok && y.Kind == JoinAll && y.Timeout != nil }},
		{"join all", func(s Stmt) bool {
			y, ok := s.(*JoinStmt)
			return ok && y.Kind == JoinOne && y.X.(*ast.Ident).Name == "all"
		}},
		{"rs := join all []Tasklet{a, b}", func(s Stmt) bool { y, ok := s.(*JoinStmt); return ok && y.Kind == JoinAll }},
		{"r := join all[1]", func(s Stmt) bool { y, ok := s.(*JoinStmt); return ok && y.Kind == JoinOne }},
		{"r := join all.x timeout 1s", func(s Stmt) bool { y, ok := s.(*JoinStmt); return ok && y.Kind == JoinOne && y.Timeout != nil }},
		{"join children", func(s Stmt) bool { y, ok := s.(*JoinStmt); return ok && y.Kind == JoinChildren }},
		{"join children[0]", func(s Stmt) bool { y, ok := s.(*JoinStmt); return ok && y.Kind == JoinOne }},
		{"v := await op timeout 1s", func(s Stmt) bool { y, ok := s.(*AwaitStmt); return ok && y.Timeout != nil }},
		{"kill t", func(s Stmt) bool { _, ok := s.(*KillStmt); return ok }},
		{"deadline 1s {\nyield\n}", func(s Stmt) bool { y, ok := s.(*DeadlineStmt); return ok && len(y.Body.List) == 1 }},
		{"quit", func(s Stmt) bool { y, ok := s.(*QuitStmt); return ok && y.Code == nil }},
		{"quit 2", func(s Stmt) bool { y, ok := s.(*QuitStmt); return ok && y.Code != nil }},
		{"select {\ncase v := <-a:\ncase b <- 1:\ncase m := receive M:\nafter 1s:\ndefault:\n}", func(s Stmt) bool {
			y, ok := s.(*SelectStmt)
			return ok && len(y.Cases) == 5 && y.Cases[0].Kind == SelectRecv && y.Cases[1].Kind == SelectSend &&
				y.Cases[2].Kind == SelectReceive && y.Cases[3].Kind == SelectAfter && y.Cases[4].Kind == SelectDefault
		}},
		{"timeout := 3", func(s Stmt) bool { _, ok := s.(*SimpleStmt); return ok }},
		{"sleep timeout", func(s Stmt) bool { y, ok := s.(*SleepStmt); return ok && y.Duration.(*ast.Ident).Name == "timeout" }},
		{"x := F(1)", func(s Stmt) bool { _, ok := s.(*SimpleStmt).S.(*ast.AssignStmt); return ok }},
		{"switch x := y.(type) {\n}", func(s Stmt) bool { y, ok := s.(*TypeSwitchStmt); return ok && y.Bind.Name == "x" }},
		{"if x := f(); x {\n} else if y {\n} else {\n}", func(s Stmt) bool { y, ok := s.(*IfStmt); return ok && y.Init != nil && y.Else.(*IfStmt).Else != nil }},
		{"for i := range xs {\n}", func(s Stmt) bool { y, ok := s.(*RangeStmt); return ok && y.Key != nil && y.Value == nil }},
		{"if (T{}) == x {\n}", func(s Stmt) bool { _, ok := s.(*IfStmt); return ok }},
		{"for _, x := range []int{1, 2} {\n}", func(s Stmt) bool { _, ok := s.(*RangeStmt); return ok }},
		{"L:\nfor {\nbreak L\n}", func(s Stmt) bool { y, ok := s.(*LabeledStmt); return ok && y.Label.Name == "L" }},
		{"defer f()", func(s Stmt) bool { _, ok := s.(*DeferStmt); return ok }},
		{"var x, y = 1, 2", func(s Stmt) bool { _, ok := s.(*DeclStmt); return ok }},
		{"f := func() (int, error) {\nreturn 1, nil\n}", func(s Stmt) bool { _, ok := s.(*SimpleStmt); return ok }},
	}
	for _, tt := range tests {
		list := parseBody(t, tt.src)
		if len(list) != 1 {
			t.Errorf("%q: %d statements", tt.src, len(list))
			continue
		}
		if !tt.check(list[0]) {
			t.Errorf("%q: unexpected %T %+v", tt.src, list[0], list[0])
		}
	}
}

func TestDurationLiterals(t *testing.T) {
	src := "package p\n\ntasklet T() {\n\tsleep 2*1.5s + 250ms\n}\n"
	f := mustParse(t, "d.tsk", []byte(src))
	if !f.UsesTime {
		t.Error("UsesTime not set")
	}
	s := f.Decls[0].(*TaskletDecl).Body.List[0].(*SleepStmt)
	sum := s.Duration.(*ast.BinaryExpr)
	ms, ok := sum.Y.(*ast.BinaryExpr)
	if !ok {
		t.Fatalf("250ms is %T", sum.Y)
	}
	if lit := ms.X.(*ast.BasicLit); lit.Value != "250" || lit.Kind != token.INT {
		t.Errorf("number %v", lit)
	}
	if sel := ms.Y.(*ast.SelectorExpr); sel.X.(*ast.Ident).Name != "time" || sel.Sel.Name != "Millisecond" {
		t.Errorf("unit %v", sel)
	}
	p := f.FileSet.Position(ms.Pos())
	if p.Filename != "d.tsk" || p.Line != 4 || p.Column != 17 {
		t.Errorf("250ms at %v, want d.tsk:4:17", p)
	}
	half := sum.X.(*ast.BinaryExpr).Y.(*ast.BinaryExpr)
	// Go rejects 1.5 * time.Second: a fraction goes to a smaller unit.
	if lit := half.X.(*ast.BasicLit); lit.Value != "1500" || lit.Kind != token.INT {
		t.Errorf("1.5s number %v", lit)
	}
	if sel := half.Y.(*ast.SelectorExpr); sel.Sel.Name != "Millisecond" {
		t.Errorf("1.5s unit %v", sel.Sel.Name)
	}
	g := mustParse(t, "n.tsk", []byte("package p\n\ntasklet T() {\n\tsleep d\n}\n"))
	if g.UsesTime {
		t.Error("UsesTime set without a duration literal")
	}
}

// TestByteColumns checks that columns count bytes, as Go's do, in .tsk
// positions and in go/ast positions resolved through File.FileSet.
func TestByteColumns(t *testing.T) {
	src := "package p\n\ntasklet T() {\n\ts := \"héllo\"; call s, wörld\n}\n"
	f := mustParse(t, "b.tsk", []byte(src))
	c := f.Decls[0].(*TaskletDecl).Body.List[1].(*CallStmt)
	if c.Pos.Line != 4 || c.Pos.Column != 17 {
		t.Errorf("call at %v, want 4:17", c.Pos)
	}
	p := f.FileSet.Position(c.Msg.Pos())
	if p.Line != 4 || p.Column != 25 || p.Offset != strings.Index(src, "wörld") {
		t.Errorf("wörld at %v, want b.tsk:4:25", p)
	}
}

// TestParallelDecls checks that a file big enough to be parsed by several
// goroutines gives its declarations in source order, every time.
func TestParallelDecls(t *testing.T) {
	src := bigFile(1500)
	f := mustParse(t, "big.tsk", src)
	if n := len(f.Decls); n < parallelMin {
		t.Fatalf("only %d declarations: the parallel path is not taken", n)
	}
	for i, d := range f.Decls {
		want := []string{"Req", "Worker", "Main"}[i%3] + fmt.Sprint(i/3)
		var got string
		switch d := d.(type) {
		case *MessageDecl:
			got = d.Name.Name
		case *TaskletDecl:
			got = d.Name.Name
		}
		if got != want {
			t.Fatalf("declaration %d is %s, want %s", i, got, want)
		}
	}
	g := mustParse(t, "big.tsk", src)
	if path, ok := sameTree(reflect.ValueOf(f), reflect.ValueOf(g), "File"); !ok {
		t.Fatalf("two parses differ at %s", path)
	}
}
