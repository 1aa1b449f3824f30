package codegen

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/tskc-lang/tskc/grammar"
)

var update = flag.Bool("update", false, "rewrite the expected output of golden and error tests")

// pkgDir is the directory golden and error tests compile in, through the
// overlay: it lies inside the module, so the runtime import resolves.
const pkgDir = "testdata/pkg"

// generateArchive compiles the .tsk and .go files of an archive as the
// package in pkgDir.
func generateArchive(t *testing.T, ar *txtar.Archive) ([]Output, error) {
	t.Helper()
	overlay := map[string][]byte{}
	for _, f := range ar.Files {
		if strings.HasSuffix(f.Name, ".tsk") || strings.HasSuffix(f.Name, ".go") && !strings.HasPrefix(f.Name, "want/") {
			overlay[filepath.Join(pkgDir, f.Name)] = f.Data
		}
	}
	return Generate(pkgDir, Config{Overlay: overlay})
}

// TestGolden compiles each testdata/golden/NAME.txtar (.tsk files in) and
// compares the generated files with the archive's want/NAME_tsk.go files.
// With -update it rewrites them. A second compilation must give the same
// bytes.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/golden/*.txtar")
	if len(files) == 0 {
		t.Fatal("no golden tests")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			t.Parallel()
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			outs, err := generateArchive(t, ar)
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			got := map[string][]byte{}
			for _, o := range outs {
				got["want/"+filepath.Base(o.Path)] = o.Content
			}
			if *update {
				var kept []txtar.File
				for _, f := range ar.Files {
					if !strings.HasPrefix(f.Name, "want/") {
						kept = append(kept, f)
					}
				}
				var names []string
				for n := range got {
					names = append(names, n)
				}
				sort.Strings(names)
				for _, n := range names {
					kept = append(kept, txtar.File{Name: n, Data: got[n]})
				}
				ar.Files = kept
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			n := 0
			for _, f := range ar.Files {
				if !strings.HasPrefix(f.Name, "want/") {
					continue
				}
				n++
				if g, ok := got[f.Name]; !ok {
					t.Errorf("%s: not generated", f.Name)
				} else if !bytes.Equal(g, f.Data) {
					t.Errorf("%s differs from the golden file (run go test -update):\n%s", f.Name, lineDiff(string(f.Data), string(g)))
				}
			}
			if n != len(got) {
				t.Errorf("generated %d files, the archive expects %d", len(got), n)
			}
			again, err := generateArchive(t, ar)
			if err != nil {
				t.Fatal(err)
			}
			for i := range again {
				if !bytes.Equal(again[i].Content, outs[i].Content) {
					t.Errorf("%s: a second compilation gave different bytes", outs[i].Path)
				}
			}
		})
	}
}

// TestErrors compiles each testdata/errors/NAME.txtar, which must fail, and
// compares the diagnostics with the archive's errors file.
func TestErrors(t *testing.T) {
	files, _ := filepath.Glob("testdata/errors/*.txtar")
	if len(files) == 0 {
		t.Fatal("no error tests")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			t.Parallel()
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			outs, err := generateArchive(t, ar)
			if err == nil {
				t.Fatalf("Generate succeeded (%d files), want errors", len(outs))
			}
			if outs != nil {
				t.Errorf("Generate returned outputs with its errors")
			}
			list, ok := err.(grammar.ErrorList)
			if !ok {
				t.Fatalf("error of type %T, want grammar.ErrorList: %v", err, err)
			}
			var b strings.Builder
			for _, e := range list {
				b.WriteString(strings.TrimPrefix(e.Error(), pkgDir+"/") + "\n")
			}
			got := b.String()
			for i, f := range ar.Files {
				if f.Name != "errors" {
					continue
				}
				if *update {
					ar.Files[i].Data = []byte(got)
					if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				if string(f.Data) != got {
					t.Errorf("diagnostics differ (run go test -update):\n%s", lineDiff(string(f.Data), got))
				}
				return
			}
			t.Fatalf("archive has no errors file; got:\n%s", got)
		})
	}
}

// lineDiff shows the lines of want and got that differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, c string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			c = g[i]
		}
		if a != c {
			b.WriteString("- " + a + "\n+ " + c + "\n")
		}
	}
	return b.String()
}

// TestSample checks that internal/sample/sample_tsk.go, which the frame
// size test and the benchmarks compile, is what the compiler generates now
// (-update rewrites it).
func TestSample(t *testing.T) {
	outs, err := Generate("internal/sample", Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range outs {
		if *update {
			if err := os.WriteFile(o.Path, o.Content, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		old, err := os.ReadFile(o.Path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(old, o.Content) {
			t.Errorf("%s is stale (run go test ./codegen -run TestSample -update):\n%s", o.Path, lineDiff(string(old), string(o.Content)))
		}
	}
}

// TestGoldenVet writes each golden package with its generated files into a
// directory of the module and runs go vet on it: generated code must
// compile and be vet clean.
func TestGoldenVet(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go vet")
	}
	files, _ := filepath.Glob("testdata/golden/*.txtar")
	if err := os.MkdirAll("testdata/tmp", 0o755); err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, file := range files {
		ar, err := txtar.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		dir, err := os.MkdirTemp("testdata/tmp", "vet")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		for _, f := range ar.Files {
			name := strings.TrimPrefix(f.Name, "want/")
			if err := os.WriteFile(filepath.Join(dir, name), f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		dirs = append(dirs, "./"+dir)
	}
	out, err := exec.Command("go", append([]string{"vet"}, dirs...)...).CombinedOutput()
	if err != nil {
		t.Errorf("go vet of the golden packages: %v\n%s", err, out)
	}
}
