package diff

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

func TestUnifiedGolden(t *testing.T) {
	tests := []struct {
		name, old, new, want string
	}{
		{"equal", "a\nb\n", "a\nb\n", ""},
		{"create", "", "a\nb\n", "--- old\n+++ new\n@@ -0,0 +1,2 @@\n+a\n+b\n"},
		{"remove", "a\n", "", "--- old\n+++ new\n@@ -1 +0,0 @@\n-a\n"},
		{"change", "1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nfive\n6\n7\n8\n9\n",
			"--- old\n+++ new\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"},
		{"noeol", "a\nb", "a\nc", "--- old\n+++ new\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n"},
		{"two hunks", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "x\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\ny\n",
			"--- old\n+++ new\n@@ -1,4 +1,4 @@\n-1\n+x\n 2\n 3\n 4\n@@ -9,4 +9,4 @@\n 9\n 10\n 11\n-12\n+y\n"},
	}
	for _, tt := range tests {
		got := string(Unified("old", "new", []byte(tt.old), []byte(tt.new)))
		if got != tt.want {
			t.Errorf("%s: got\n%s\nwant\n%s", tt.name, got, tt.want)
		}
	}
}

// apply applies a unified diff produced by Unified to old and returns the result.
func apply(t *testing.T, old, patch string) string {
	t.Helper()
	a := splitLines([]byte(old))
	lines := strings.SplitAfter(patch, "\n")
	var out []string
	pos := 0 // next line of a to copy
	i := 2   // skip the headers
	for i < len(lines) && lines[i] != "" {
		h := lines[i]
		if !strings.HasPrefix(h, "@@ -") {
			t.Fatalf("bad hunk header %q", h)
		}
		f := strings.Fields(h)
		startStr, _, _ := strings.Cut(strings.TrimPrefix(f[1], "-"), ",")
		start, _ := strconv.Atoi(startStr)
		if strings.HasSuffix(f[1], ",0") {
			start++ // an empty range names the line before it
		}
		for pos < start-1 {
			out = append(out, a[pos])
			pos++
		}
		i++
		for i < len(lines) && lines[i] != "" && !strings.HasPrefix(lines[i], "@@") {
			l := lines[i]
			i++
			noEOL := i < len(lines) && strings.HasPrefix(lines[i], "\\")
			if noEOL {
				i++
				l = strings.TrimSuffix(l, "\n")
			}
			switch l[0] {
			case ' ':
				if a[pos] != l[1:] {
					t.Fatalf("context mismatch at old line %d: %q vs %q", pos+1, a[pos], l[1:])
				}
				out = append(out, l[1:])
				pos++
			case '-':
				if a[pos] != l[1:] {
					t.Fatalf("delete mismatch at old line %d: %q vs %q", pos+1, a[pos], l[1:])
				}
				pos++
			case '+':
				out = append(out, l[1:])
			}
		}
	}
	out = append(out, a[pos:]...)
	return strings.Join(out, "")
}

func TestUnifiedRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	randText := func() string {
		var sb strings.Builder
		n := r.IntN(30)
		for range n {
			fmt.Fprintf(&sb, "%c\n", 'a'+r.IntN(4))
		}
		if n > 0 && r.IntN(4) == 0 {
			return strings.TrimSuffix(sb.String(), "\n")
		}
		return sb.String()
	}
	for range 2000 {
		old, new := randText(), randText()
		patch := string(Unified("old", "new", []byte(old), []byte(new)))
		if old == new {
			if patch != "" {
				t.Fatalf("equal texts gave a diff:\n%s", patch)
			}
			continue
		}
		if got := apply(t, old, patch); got != new {
			t.Fatalf("patch does not reproduce new text\nold %q\nnew %q\npatch:\n%s\ngot %q", old, new, patch, got)
		}
	}
}

func TestMinimal(t *testing.T) {
	// One line changed in a long file: exactly one deletion and one insertion.
	var a, b strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&a, "line %d\n", i)
		if i == 500 {
			b.WriteString("changed\n")
		} else {
			fmt.Fprintf(&b, "line %d\n", i)
		}
	}
	ops := edits(splitLines([]byte(a.String())), splitLines([]byte(b.String())))
	var del, ins int
	for _, o := range ops {
		switch o.kind {
		case '-':
			del++
		case '+':
			ins++
		}
	}
	if del != 1 || ins != 1 {
		t.Errorf("got %d deletions, %d insertions; want 1, 1", del, ins)
	}
}

func TestFarApart(t *testing.T) {
	// Texts past maxEdit still give a correct (if not minimal) diff.
	var a, b strings.Builder
	for i := range maxEdit + 10 {
		fmt.Fprintf(&a, "a%d\n", i)
		fmt.Fprintf(&b, "b%d\n", i)
	}
	patch := string(Unified("old", "new", []byte(a.String()), []byte(b.String())))
	if got := apply(t, a.String(), patch); got != b.String() {
		t.Fatal("patch does not reproduce new text")
	}
}
