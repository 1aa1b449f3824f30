package build

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tskc-lang/tskc/grammar"
)

// fakeGen stands in for the code generator: it turns each foo.tsk into a
// foo_tsk.go whose body quotes the source, and fails on sources containing
// "ERROR" with a positioned error.
func fakeGen() Generator {
	return func(dir string, overlay map[string][]byte) ([]Output, error) {
		matches, _ := filepath.Glob(filepath.Join(dir, "*.tsk"))
		var outs []Output
		var errs grammar.ErrorList
		for _, m := range matches {
			src, err := os.ReadFile(m)
			if err != nil {
				return nil, err
			}
			if i := strings.Index(string(src), "ERROR"); i >= 0 {
				errs = append(errs, &grammar.Error{Pos: grammar.Pos{Filename: m, Line: 1, Column: i + 1}, Msg: "bad"})
				continue
			}
			outs = append(outs, Output{Source: m, Path: GeneratedName(m),
				Content: []byte(Marker + "\n\npackage p\n\n// " + strings.TrimSpace(string(src)) + "\n")})
		}
		if len(errs) > 0 {
			return nil, errs
		}
		return outs, nil
	}
}

// tree writes files (path → content) below a new temporary directory and
// changes into it for the rest of the test.
func tree(t *testing.T, files map[string]string) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
}

func dirs(pkgs []*Package) []string {
	var ds []string
	for _, p := range pkgs {
		ds = append(ds, p.Dir)
	}
	return ds
}

func TestExpand(t *testing.T) {
	tree(t, map[string]string{
		"a.tsk":                 "a",
		"sub/b.tsk":             "b",
		"sub/deep/c.tsk":        "c",
		"sub/testdata/d.tsk":    "skipped",
		"sub/_hidden/e.tsk":     "skipped",
		"sub/.git/f.tsk":        "skipped",
		"nested/go.mod":         "module nested",
		"nested/g.tsk":          "skipped",
		"gen/old_tsk.go":        Marker + "\n\npackage gen\n",
		"plain/x.go":            "package plain",
		"sub/deep/_ignored.tsk": "ignored",
	})
	pkgs, err := Expand([]string{"./..."})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := dirs(pkgs), []string{".", "gen", "sub", "sub/deep"}; !reflect.DeepEqual(got, want) {
		t.Errorf("./...: got %v, want %v", got, want)
	}
	if got := pkgs[3].Sources; !reflect.DeepEqual(got, []string{"sub/deep/c.tsk"}) {
		t.Errorf("sources of sub/deep: %v", got)
	}
	if got := pkgs[1].Generated; !reflect.DeepEqual(got, []string{"gen/old_tsk.go"}) {
		t.Errorf("generated of gen: %v", got)
	}

	pkgs, err = Expand(nil)
	if err != nil || !reflect.DeepEqual(dirs(pkgs), []string{"."}) {
		t.Errorf("no args: %v, %v", dirs(pkgs), err)
	}

	pkgs, err = Expand([]string{"sub/b.tsk"})
	if err != nil || len(pkgs) != 1 || !reflect.DeepEqual(pkgs[0].Only, []string{"sub/b.tsk"}) {
		t.Errorf("file arg: %+v, %v", pkgs, err)
	}
	pkgs, err = Expand([]string{"sub/b.tsk", "sub/"})
	if err != nil || len(pkgs) != 1 || pkgs[0].Only != nil || pkgs[0].Dir != "sub" {
		t.Errorf("file and its dir: %+v, %v", pkgs[0], err)
	}

	_, err = Expand([]string{"missing", "plain/x.go", "plain/..."})
	want := "missing: no such file or directory\nplain/x.go: not a .tsk file or a directory\nplain/...: pattern matched no .tsk files"
	if err == nil || err.Error() != want {
		t.Errorf("bad args: got %v, want %s", err, want)
	}
}

func TestPlanAndApply(t *testing.T) {
	tree(t, map[string]string{
		"p/a.tsk":           "alpha",
		"p/b.tsk":           "beta",
		"p/b_tsk.go":        Marker + "\n\npackage p\n\n// old beta\n",
		"p/gone_tsk.go":     Marker + "\n\npackage p\n",
		"p/mine_tsk.go":     "package p // hand-written, no marker\n",
		"q/ok.tsk":          "fine",
		"q/ok_tsk.go":       Marker + "\n\npackage p\n\n// fine\n",
		"broken/x.tsk":      "x ERROR",
		"broken/y.tsk":      "ERROR y",
		"broken/old_tsk.go": Marker + "\n\npackage broken\n",
	})
	pkgs, err := Expand([]string{"./..."})
	if err != nil {
		t.Fatal(err)
	}
	changes, diags := Plan(pkgs, fakeGen())
	wantDiags := []string{"broken/x.tsk:1:3: bad", "broken/y.tsk:1:1: bad"}
	var gotDiags []string
	for _, d := range diags {
		gotDiags = append(gotDiags, d.String())
	}
	if !reflect.DeepEqual(gotDiags, wantDiags) {
		t.Errorf("diagnostics: got %q, want %q", gotDiags, wantDiags)
	}
	var got []string
	for _, c := range changes {
		got = append(got, c.Kind.String()+" "+c.Path)
	}
	want := []string{"missing p/a_tsk.go", "stale p/b_tsk.go", "orphaned p/gone_tsk.go"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("changes: got %q, want %q", got, want)
	}

	// q/ok_tsk.go is up to date: Apply must leave it alone, mtime and all.
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes("q/ok_tsk.go", old, old); err != nil {
		t.Fatal(err)
	}
	if err := Apply(changes); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat("q/ok_tsk.go"); err != nil || !fi.ModTime().Equal(old) {
		t.Errorf("unchanged file was touched: %v %v", fi.ModTime(), err)
	}
	if b, _ := os.ReadFile("p/b_tsk.go"); !strings.Contains(string(b), "// beta") {
		t.Errorf("stale file not rewritten: %s", b)
	}
	if _, err := os.Stat("p/gone_tsk.go"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("orphan not removed: %v", err)
	}
	if _, err := os.Stat("p/mine_tsk.go"); err != nil {
		t.Errorf("hand-written _tsk.go removed: %v", err)
	}
	if _, err := os.Stat("broken/old_tsk.go"); err != nil {
		t.Errorf("a package with errors must not be touched: %v", err)
	}
	entries, _ := os.ReadDir("p")
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}

	// A second plan finds nothing to do.
	pkgs, _ = Expand([]string{"p", "q"})
	if changes, diags := Plan(pkgs, fakeGen()); len(changes) != 0 || len(diags) != 0 {
		t.Errorf("second plan: %v %v", changes, diags)
	}
}

func TestPlanRefusesHandWritten(t *testing.T) {
	tree(t, map[string]string{
		"a.tsk":    "alpha",
		"a_tsk.go": "package p\n\nfunc Mine() {}\n",
	})
	pkgs, _ := Expand(nil)
	changes, diags := Plan(pkgs, fakeGen())
	if len(changes) != 0 || len(diags) != 1 || !strings.Contains(diags[0].String(), "a_tsk.go: exists and was not generated by tskc") {
		t.Errorf("got %v %v", changes, diags)
	}
}

func TestPlanOnlyNamedFiles(t *testing.T) {
	tree(t, map[string]string{
		"a.tsk":       "alpha",
		"b.tsk":       "beta",
		"gone_tsk.go": Marker + "\npackage p\n",
	})
	pkgs, _ := Expand([]string{"a.tsk"})
	changes, diags := Plan(pkgs, fakeGen())
	if len(diags) != 0 || len(changes) != 1 || changes[0].Path != "a_tsk.go" {
		t.Errorf("got %v %v", changes, diags)
	}
}

func TestHideOrphans(t *testing.T) {
	tree(t, map[string]string{
		"p/gone_tsk.go": Marker + "\n\npackage things\n\nfunc Old() {}\n",
	})
	pkgs, _ := Expand([]string{"p"})
	var overlay map[string][]byte
	gen := func(dir string, ov map[string][]byte) ([]Output, error) { overlay = ov; return nil, nil }
	pkgs[0].Sources = []string{"p/new.tsk"} // pretend a source exists
	Plan(pkgs, gen)
	abs, _ := filepath.Abs("p/gone_tsk.go")
	if got := string(overlay[abs]); got != Marker+"\n\npackage things\n" {
		t.Errorf("overlay: %q", got)
	}
}

func TestChangeDiff(t *testing.T) {
	c := Change{Kind: Missing, Path: "x_tsk.go", New: []byte("a\n")}
	if got := string(c.Diff()); got != "--- /dev/null\n+++ b/x_tsk.go\n@@ -0,0 +1 @@\n+a\n" {
		t.Errorf("missing: %q", got)
	}
	c = Change{Kind: Orphaned, Path: "x_tsk.go", Old: []byte("a\n")}
	if got := string(c.Diff()); got != "--- a/x_tsk.go\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n" {
		t.Errorf("orphaned: %q", got)
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.go")
	if err := WriteFile(path, []byte("one"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("two"), 0o640); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	fi, _ := os.Stat(path)
	if string(b) != "two" || fi.Mode().Perm() != 0o640 {
		t.Errorf("got %q %v", b, fi.Mode())
	}
	// A failed write leaves neither a temporary file nor a changed target.
	if err := WriteFile(filepath.Join(dir, "nodir", "g.go"), []byte("x"), 0o644); err == nil {
		t.Error("write into a missing directory succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want 1", len(entries))
	}
}

func TestDiagnostics(t *testing.T) {
	ds := Diagnostics("dir", errors.New("go: cannot find main module\nsecond line"))
	if len(ds) != 2 || ds[0].String() != "dir: go: cannot find main module" {
		t.Errorf("got %v", ds)
	}
	list := grammar.ErrorList{
		{Pos: grammar.Pos{Filename: "b.tsk", Line: 2, Column: 1}, Msg: "y"},
		{Pos: grammar.Pos{Filename: "a.tsk", Line: 9, Column: 4}, Msg: "x"},
		{Pos: grammar.Pos{Filename: "a.tsk", Line: 9, Column: 4}, Msg: "x"},
	}
	ds = SortDiagnostics(Diagnostics("dir", list))
	if d := Diagnostics("dir", grammar.ErrorList{{Msg: "no position"}}); d[0].String() != "dir: no position" {
		t.Errorf("error without a file: %v", d)
	}
	if len(ds) != 2 || ds[0].String() != "a.tsk:9:4: x" || ds[1].String() != "b.tsk:2:1: y" {
		t.Errorf("got %v", ds)
	}
}
