package codegen

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// TestMutants compiles every behaviour and golden program with one line
// deleted (every 7th line, in turn): the compiler must answer with
// diagnostics or with code that go vet accepts, never panic. It takes
// minutes, so it runs only with TSKC_MUTANTS=1.
func TestMutants(t *testing.T) {
	if os.Getenv("TSKC_MUTANTS") == "" {
		t.Skip("set TSKC_MUTANTS=1 to compile the mutants")
	}
	files, _ := filepath.Glob("testdata/behavior/*.txtar")
	golden, _ := filepath.Glob("testdata/golden/*.txtar")
	files = append(files, golden...)
	if err := os.MkdirAll("testdata/tmp", 0o755); err != nil {
		t.Fatal(err)
	}
	root, err := os.MkdirTemp("testdata/tmp", "mutants")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(root)
	n, built := 0, 0
	for _, file := range files {
		ar, err := txtar.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range ar.Files {
			if !strings.HasSuffix(f.Name, ".tsk") {
				continue
			}
			lines := strings.Split(string(f.Data), "\n")
			for i := 3; i < len(lines); i += 7 {
				overlay := map[string][]byte{}
				for _, g := range ar.Files {
					if strings.HasSuffix(g.Name, ".tsk") || strings.HasSuffix(g.Name, ".go") && !strings.HasPrefix(g.Name, "want/") {
						overlay[filepath.Join(pkgDir, g.Name)] = g.Data
					}
				}
				mut := append(append([]string(nil), lines[:i]...), lines[i+1:]...)
				overlay[filepath.Join(pkgDir, f.Name)] = []byte(strings.Join(mut, "\n"))
				outs, err := Generate(pkgDir, Config{Overlay: overlay})
				n++
				if err != nil {
					if strings.Contains(err.Error(), "internal error") {
						t.Errorf("%s without line %d: %v", file, i+1, err)
					}
					continue
				}
				dir := filepath.Join(root, fmt.Sprintf("m%d", n))
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				for p, c := range overlay {
					os.WriteFile(filepath.Join(dir, filepath.Base(p)), c, 0o644)
				}
				for _, o := range outs {
					os.WriteFile(filepath.Join(dir, filepath.Base(o.Path)), o.Content, 0o644)
				}
				built++
			}
		}
	}
	t.Logf("%d mutants, %d compiled", n, built)
	out, _ := exec.Command("go", "vet", "./"+root+"/...").CombinedOutput()
	for _, ln := range strings.Split(string(out), "\n") {
		// Unreachable code the deletion itself made is the user's; any
		// other report (a compile error above all) is the compiler's.
		if ln == "" || strings.HasPrefix(ln, "#") || strings.HasSuffix(ln, "unreachable code") && !strings.Contains(ln, "_tsk.go:") {
			continue
		}
		t.Errorf("go vet: %s", ln)
	}
}
