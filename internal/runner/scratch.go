package runner

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/tskc-lang/tskc/grammar"
	"github.com/tskc-lang/tskc/internal/build"
)

// scratchProg is where a scratch module holds the program, relative to the
// module's root.
const scratchProg = "tskrun/prog"

// A scratch is a temporary module for code that lives outside any module:
// a copy of the runtime's module with a copy of the program's files in
// scratchProg, so that the generator can type-check them and the go command
// can build them against the runtime this tskc carries.
type scratch struct {
	srcDir  string            // where the files really are
	modDir  string            // the temporary module's root
	progDir string            // the copies of the files
	rename  map[string]string // copy (absolute, or relative to modDir) → original
}

// newScratch makes a scratch module in tmp for files, which are in srcDir.
func newScratch(tmp, srcDir string, files []string, module fs.FS) (*scratch, error) {
	sc := &scratch{
		srcDir: srcDir,
		modDir: filepath.Join(tmp, "mod"),
		rename: make(map[string]string),
	}
	if err := extractModule(module, sc.modDir); err != nil {
		return nil, fmt.Errorf("setting up a module for the runtime: %v", err)
	}
	sc.progDir = filepath.Join(sc.modDir, filepath.FromSlash(scratchProg))
	if err := os.MkdirAll(sc.progDir, 0o755); err != nil {
		return nil, err
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		dst := filepath.Join(sc.progDir, filepath.Base(f))
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			return nil, err
		}
		sc.rename[dst] = f
		sc.rename[filepath.Join(scratchProg, filepath.Base(f))] = f
	}
	// The scratch module stands alone: no go.work may pull it into another
	// workspace, and its go.mod may be completed as needed. The generator
	// loads the package with the go command too, so the process environment
	// is where these settings must go.
	os.Setenv("GOWORK", "off")
	if flags := os.Getenv("GOFLAGS"); !strings.Contains(flags, "-mod=") {
		os.Setenv("GOFLAGS", strings.TrimSpace(flags+" -mod=mod"))
	}
	return sc, nil
}

// original maps a file name in the scratch module back to the original.
func (sc *scratch) original(name string) string {
	if orig, ok := sc.rename[name]; ok {
		return orig
	}
	if rest, ok := strings.CutPrefix(name, sc.progDir+string(filepath.Separator)); ok {
		return filepath.Join(sc.srcDir, rest)
	}
	return name
}

// replacer rewrites the scratch module's paths in text (the go command's
// output, error messages) as the original paths.
func (sc *scratch) replacer() *strings.Replacer {
	sep := string(filepath.Separator)
	return strings.NewReplacer(sc.progDir+sep, sc.srcDir+sep, scratchProg+"/", sc.srcDir+sep)
}

// generate runs gen on the copies and returns the outputs and errors as if
// gen had run on the originals.
func (sc *scratch) generate(gen build.Generator) ([]build.Output, error) {
	outs, err := gen(sc.progDir, nil)
	if err != nil {
		var list grammar.ErrorList
		if !errors.As(err, &list) {
			return nil, errors.New(sc.replacer().Replace(err.Error()))
		}
		mapped := make(grammar.ErrorList, len(list))
		for i, e := range list {
			m := *e
			m.Pos.Filename = sc.original(e.Pos.Filename)
			m.Msg = sc.replacer().Replace(e.Msg)
			mapped[i] = &m
		}
		return nil, mapped
	}
	for i, o := range outs {
		outs[i].Source = filepath.Join(sc.srcDir, filepath.Base(o.Source))
		outs[i].Path = filepath.Join(sc.srcDir, filepath.Base(o.Path))
	}
	return outs, nil
}

// OutsideModules wraps gen so that it also compiles packages outside any Go
// module: such a directory's .tsk and .go files are compiled in a scratch
// module that holds the runtime module (go.mod, go.sum, runtime/) found in
// module. Directories inside a module go to gen unchanged.
func OutsideModules(gen build.Generator, module fs.FS) build.Generator {
	return func(dir string, overlay map[string][]byte) ([]build.Output, error) {
		root, err := moduleRoot(dir)
		if err != nil {
			return nil, err
		}
		if root != "" {
			return gen(dir, overlay)
		}
		files, err := programFiles(dir)
		if err != nil {
			return nil, err
		}
		tmp, err := os.MkdirTemp("", "tskc-build-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		sc, err := newScratch(tmp, dir, files, module)
		if err != nil {
			return nil, err
		}
		return sc.generate(gen)
	}
}
