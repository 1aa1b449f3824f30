package codegen

import (
	"go/scanner"
	"go/token"
	"path"
	"sort"
	"strconv"
	"strings"
)

// runtimePath is the import path of the tasklet runtime.
const runtimePath = "github.com/tskc-lang/tskc/runtime"

// importSet tracks the imports of one generated file: the user's, and the
// ones the generator adds (the runtime, time, os, packages of types it
// spells out), each with a local name that collides with nothing.
type importSet struct {
	idents  map[string]bool   // every identifier of the .tsk source
	byPath  map[string]string // import path -> local name
	taken   map[string]bool   // local names in use
	added   map[string]string // path -> name, for the imports the generator adds
	rtName  string
	addTime bool
	time    string
}

func newImportSet(f *srcFile) *importSet {
	s := &importSet{
		idents: identifiers(f.src),
		byPath: map[string]string{},
		taken:  map[string]bool{},
		added:  map[string]string{},
	}
	for _, im := range f.file.Imports {
		name := ""
		if im.Name != nil {
			name = im.Name.Name
		} else {
			name = guessName(im.Path)
		}
		if name == "_" || name == "." {
			continue
		}
		if _, ok := s.byPath[im.Path]; !ok {
			s.byPath[im.Path] = name
		}
		s.taken[name] = true
	}
	if n, ok := s.byPath[runtimePath]; ok {
		s.rtName = n
	} else {
		s.rtName = s.add(runtimePath, "tskrt")
	}
	return s
}

// guessName is the package name an import path most likely declares.
func guessName(p string) string {
	base := path.Base(p)
	if len(base) > 1 && base[0] == 'v' {
		if _, err := strconv.Atoi(base[1:]); err == nil {
			base = path.Base(path.Dir(p))
		}
	}
	base = strings.TrimPrefix(base, "go-")
	base = strings.TrimSuffix(base, ".go")
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '.' {
			return '_'
		}
		return r
	}, base)
}

// add imports p (if not imported yet) and returns its local name, prefer
// when it is free.
func (s *importSet) add(p, prefer string) string {
	if n, ok := s.byPath[p]; ok {
		return n
	}
	name := prefer
	for i := 2; s.taken[name] || s.idents[name]; i++ {
		name = prefer + strconv.Itoa(i)
	}
	s.byPath[p] = name
	s.taken[name] = true
	s.added[p] = name
	return name
}

// timeName returns the local name of package time, importing it when
// needed is set and the file does not import it.
func (s *importSet) timeName(needed bool) string {
	if s.time != "" {
		return s.time
	}
	if n, ok := s.byPath["time"]; ok {
		s.time = n
		return n
	}
	if !needed {
		return "time"
	}
	s.time = s.add("time", "time")
	s.addTime = true
	return s.time
}

// sortedAdded returns the added imports sorted by path.
func (s *importSet) sortedAdded() []string {
	var ps []string
	for p := range s.added {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	return ps
}

// identifiers returns every identifier in src (a .tsk file lexes as Go
// closely enough for this).
func identifiers(src []byte) map[string]bool {
	ids := map[string]bool{}
	fset := token.NewFileSet()
	f := fset.AddFile("", -1, len(src))
	var sc scanner.Scanner
	sc.Init(f, src, func(token.Position, string) {}, 0)
	for {
		_, tok, lit := sc.Scan()
		if tok == token.EOF {
			break
		}
		if tok == token.IDENT {
			ids[lit] = true
		}
	}
	return ids
}
