package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/artifactapi/artifactapi/internal/format/types"
)

// The core asks package types only through the format interfaces: it
// imports no concrete type and names none. The server may import the type
// list (format/types) to wire it in; nothing in the core may import a type.
var core = []string{"internal/server", "internal/api", "internal/fetch", "internal/registry"}

const module = "github.com/artifactapi/artifactapi/"

// concreteTypes are the packages under internal/format that implement a
// type (everything but the interfaces, the list and shared helpers).
func concreteTypes(t *testing.T) map[string]bool {
	out, err := exec.Command("go", "list", "../format/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	shared := map[string]bool{"internal/format": true, "internal/format/types": true, "internal/format/jsonstream": true, "internal/format/compress": true, "internal/format/release": true}
	m := map[string]bool{}
	for _, p := range strings.Fields(string(out)) {
		if rel := strings.TrimPrefix(p, module); !shared[rel] {
			m[p] = true
		}
	}
	if len(m) < len(types.All().Names()) {
		t.Fatalf("found %d type packages for %d types: %v", len(m), len(types.All().Names()), m)
	}
	return m
}

func TestCoreImportsNoConcreteType(t *testing.T) {
	concrete := concreteTypes(t)
	for _, pkg := range core {
		// Direct imports for the server (it wires the list in), every
		// dependency for the others.
		tmpl, flag := "{{join .Imports \"\\n\"}}", []string{}
		if pkg != "internal/server" {
			tmpl, flag = "{{.ImportPath}}", []string{"-deps"}
		}
		args := append(append([]string{"list"}, flag...), "-f", tmpl, "../"+strings.TrimPrefix(pkg, "internal/"))
		out, err := exec.Command("go", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if concrete[dep] {
				t.Errorf("%s imports package type %s: ask through the format interfaces", pkg, dep)
			}
			if pkg != "internal/server" && dep == module+"internal/format/types" {
				t.Errorf("%s imports the type list", pkg)
			}
		}
	}
}

func TestCoreNamesNoType(t *testing.T) {
	names := map[string]bool{}
	for _, n := range types.All().Names() {
		names[n] = true
	}
	for _, pkg := range core {
		files, _ := filepath.Glob(filepath.Join("..", strings.TrimPrefix(pkg, "internal/"), "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			fset := token.NewFileSet()
			file, err := parser.ParseFile(fset, f, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(file, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil && names[s] {
						t.Errorf("%s names package type %q: a type's own behaviour belongs in its package", fset.Position(lit.Pos()), s)
					}
				}
				return true
			})
		}
	}
}
