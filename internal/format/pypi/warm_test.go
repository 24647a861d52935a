package pypi

import (
	"reflect"
	"strings"
	"testing"

	"github.com/artifactapi/artifactapi/internal/format/release/releasetest"
)

func TestWarmRequirements(t *testing.T) {
	a, b := strings.Repeat("a", 64), strings.Repeat("b", 64)
	page := `{"meta":{"api-version":"1.1"},"name":"demo-pkg","files":[` +
		`{"filename":"demo_pkg-1.0-py3-none-any.whl","url":"../../packages/demo_pkg-1.0-py3-none-any.whl","hashes":{"sha256":"` + a + `"},"core-metadata":{"sha256":"` + b + `"}},` +
		`{"filename":"demo-pkg-1.0.tar.gz","url":"../../packages/demo-pkg-1.0.tar.gz","hashes":{"sha256":"` + b + `"}},` +
		`{"filename":"demo_pkg-1.1-py3-none-any.whl","url":"../../packages/demo_pkg-1.1-py3-none-any.whl","hashes":{"sha256":"` + a + `"}}]}`
	docs := map[string][]byte{"simple/demo-pkg/#json": []byte(page), "simple/other/#json": []byte(page)}
	req := "# a comment\n-i https://index.example/simple\nDemo_Pkg[extra]==1.0 \\\n    --hash=sha256:" + a + "\nother==2.0 ; python_version >= '3.8'\nloose>=1.0\n\n"
	items, err := (Type{}).Warm(nil, "requirements.txt", strings.NewReader(req))
	if err != nil {
		t.Fatal(err)
	}
	got := releasetest.WarmPaths(items, docs)
	want := map[string][]string{
		"demo-pkg==1.0": {"simple/demo-pkg/#json", "packages/demo_pkg-1.0-py3-none-any.whl", "packages/demo_pkg-1.0-py3-none-any.whl.metadata"},
		"other==2.0":    {"simple/other/#json", "error: no file of other==2.0 on its page (with the hashes given)"},
		"loose>=1.0":    {"error: not pinned: warming needs name==version"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("\n got %v\nwant %v", got, want)
	}
	// Without hashes, every file of the version.
	items, _ = (Type{}).Warm(nil, "requirements.txt", strings.NewReader("demo-pkg==1.0\n"))
	if got := releasetest.WarmPaths(items, docs)["demo-pkg==1.0"]; len(got) != 4 {
		t.Fatalf("unhashed: %v", got)
	}
	if _, err := (Type{}).Warm(nil, "requirements.txt", strings.NewReader("# nothing\n")); err == nil {
		t.Fatal("an empty file warmed")
	}
}
