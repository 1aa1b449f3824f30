package grammar

import (
	"testing"
)

// TestCompositeResultTypes checks that a `{` after a tasklet's result type
// opens the body, even where the type could start a composite literal.
func TestCompositeResultTypes(t *testing.T) {
	src := `package p

tasklet A() []string {
	return nil
}

tasklet B() map[string]int {
	return nil
}

tasklet C() *int {
	return nil
}

tasklet D() struct{ X int } {
	return struct{ X int }{}
}

tasklet E() (int, error) {
	return 1, nil
}
`
	f := mustParse(t, "r.tsk", []byte(src))
	want := []string{"[]string", "map[string]int", "*int", "struct{ X int }", "(int, error)"}
	var got []*TaskletDecl
	for _, d := range f.Decls {
		if td, ok := d.(*TaskletDecl); ok {
			got = append(got, td)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("got %d tasklets, want %d", len(got), len(want))
	}
	for i, td := range got {
		if td.Type.Results == nil || len(td.Type.Results.List) == 0 {
			t.Errorf("%s: no result type, want %s", td.Name.Name, want[i])
			continue
		}
		if len(td.Body.List) != 1 {
			t.Errorf("%s: body has %d statements, want 1", td.Name.Name, len(td.Body.List))
		}
		if _, ok := td.Body.List[0].(*ReturnStmt); !ok {
			t.Errorf("%s: body statement is %T, want *ReturnStmt", td.Name.Name, td.Body.List[0])
		}
	}
}
