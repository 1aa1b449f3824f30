package grammar

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedCorpus adds every .tsk file of the repository, the malformed inputs
// of testdata/errors and a few fragments to a fuzz target's corpus.
func seedCorpus(f *testing.F) {
	files := corpus(f)
	bad, _ := filepath.Glob("testdata/errors/*.tsk")
	for _, name := range append(files, bad...) {
		src, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	for _, s := range []string{
		"", "package p", "package p\ntasklet T() {\n\tyield\n}\n",
		"package p\ntasklet T() { x := func() { receive { case A: } } }\n",
		"package p\nmessage M { A int } reply []int\n",
		"package p\ntasklet T() {\n\tspawn every 1s now F() with {name: \"x\"}\n}\n",
	} {
		f.Add([]byte(s))
	}
}

// FuzzParse checks that no input makes ParseFile panic or hang, and that
// every error it reports has a position in the file.
func FuzzParse(f *testing.F) {
	seedCorpus(f)
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := ParseFile("fuzz.tsk", src)
		if err == nil {
			if file == nil {
				t.Fatal("nil File without error")
			}
			return
		}
		list, ok := err.(ErrorList)
		if !ok || len(list) == 0 {
			t.Fatalf("error %T %v is not a non-empty ErrorList", err, err)
		}
		for _, e := range list {
			if !e.Pos.IsValid() || e.Pos.Offset > len(src) || !strings.HasPrefix(e.Error(), "fuzz.tsk:") {
				t.Fatalf("bad error position: %v (len %d)", e, len(src))
			}
		}
	})
}

// FuzzRoundTrip checks, for every input that parses, that printing gives
// source that parses to the same tree and prints the same again.
func FuzzRoundTrip(f *testing.F) {
	seedCorpus(f)
	f.Fuzz(func(t *testing.T, src []byte) {
		checkRoundTrip(t, "fuzz.tsk", src)
	})
}
