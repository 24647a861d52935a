// Package archtest enforces the import rules of DESIGN.md: package types and
// the fetch path never import a concrete backend.
package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

var concrete = []string{
	"internal/blob/fs", "internal/meta/sqlite", "internal/state/memory",
	"internal/blob/s3", "internal/meta/postgres", "internal/state/redis",
}

func TestLayersImportDownwardOnly(t *testing.T) {
	for _, pkg := range []string{"./internal/format/...", "./internal/fetch", "./internal/api", "./internal/registry"} {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "../../"+strings.TrimPrefix(pkg, "./")).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, c := range concrete {
				if strings.HasSuffix(dep, c) {
					t.Errorf("%s depends on concrete backend %s", pkg, dep)
				}
			}
		}
	}
}
