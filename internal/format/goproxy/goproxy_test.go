package goproxy

import (
	"slices"
	"testing"
)

func TestMutableAndCheck(t *testing.T) {
	cases := map[string]bool{ // path -> mutable
		"golang.org/x/mod/@v/list":                                    true,
		"golang.org/x/mod/@latest":                                    true,
		"golang.org/x/mod/@v/v0.20.0.info":                            false,
		"golang.org/x/mod/@v/v0.20.0.mod":                             false,
		"golang.org/x/mod/@v/v0.20.0.zip":                             false,
		"golang.org/x/mod/@v/master.info":                             true,
		"golang.org/x/mod/@v/v0.20.info":                              true, // not canonical: a query
		"golang.org/x/mod/@v/v0.0.0-20240101000000-abcdefabcdef.info": false,
		"github.com/!burnt!sushi/toml/@v/v1.3.2.zip":                  false,
		"github.com/x/y/@v/v2.0.0+incompatible.info":                  false,
		"sumdb/sum.golang.org/supported":                              true,
		"sumdb/sum.golang.org/latest":                                 true,
		"sumdb/sum.golang.org/lookup/golang.org/x/mod@v0.20.0":        false,
		"sumdb/sum.golang.org/tile/8/0/001":                           false,
	}
	for p, want := range cases {
		if err := check(p); err != nil {
			t.Errorf("Check(%q): %v", p, err)
		}
		if got := mutable(p); got != want {
			t.Errorf("Mutable(%q) = %v, want %v", p, got, want)
		}
	}
	for _, p := range []string{
		"golang.org/x/mod",                   // no operation
		"golang.org/x/mod/@v/",               // no file
		"golang.org/x/mod/@v/v1.0.0.tar",     // unknown file
		"Golang.org/x/mod/@v/list",           // upper case must be escaped
		"sumdb/evil.example.com:8080/latest", // not a database name
		"sumdb/sum.golang.org/other",
		"index.html",
	} {
		if err := check(p); err == nil {
			t.Errorf("Check(%q) accepted", p)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("golang.org/x/mod/@v/v0.20.0.zip")
	f.Add("sumdb/sum.golang.org/lookup/a.b/c@v1.0.0")
	f.Fuzz(func(t *testing.T, p string) {
		kind, version, err := Parse(p)
		if err == nil && kind == 0 {
			t.Fatalf("Parse(%q) accepted with no kind", p)
		}
		if err == nil && (kind == Info || kind == Mod || kind == Zip) && version == "" {
			t.Fatalf("Parse(%q): file without a version", p)
		}
	})
}

// Next names a canonical version's .mod and .zip after its .info, and
// nothing after any other path (a .mod alone names no .zip).
func TestNext(t *testing.T) {
	for path, want := range map[string]string{
		"golang.org/x/mod/@v/v0.20.0.info":                         "golang.org/x/mod/@v/v0.20.0",
		"github.com/!burnt!sushi/toml/@v/v1.4.0.info":              "github.com/!burnt!sushi/toml/@v/v1.4.0",
		"example.com/m/@v/v0.0.0-20240101000000-abcdefabcdef.info": "example.com/m/@v/v0.0.0-20240101000000-abcdefabcdef",
		"example.com/m/@v/master.info":                             "",
		"example.com/m/@v/v1.2.info":                               "",
		"golang.org/x/mod/@v/v0.20.0.mod":                          "",
		"golang.org/x/mod/@v/v0.20.0.zip":                          "",
		"golang.org/x/mod/@v/list":                                 "",
		"golang.org/x/mod/@latest":                                 "",
		"sumdb/sum.golang.org/lookup/golang.org/x/mod@v0.20.0":     "",
	} {
		got := Type{}.Next(path)
		if want == "" && len(got) != 0 || want != "" && !slices.Equal(got, []string{want + ".mod", want + ".zip"}) {
			t.Errorf("Next(%q) = %q, want %q", path, got, want+".mod and .zip")
		}
	}
}
