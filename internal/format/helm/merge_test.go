package helm

import (
	"bytes"
	"io"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/artifactapi/artifactapi/internal/format"
)

func fileInput(t *testing.T, name, prefix, file string) format.MergeInput {
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return stringInput(name, prefix, string(b))
}

func stringInput(name, prefix, doc string) format.MergeInput {
	return format.MergeInput{Name: name, Root: prefix, Open: func() (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader(doc)), nil
	}}
}

var generated = regexp.MustCompile(`(?m)^generated: .*\n`)

func mergeDocs(t *testing.T, in ...format.MergeInput) string {
	t.Helper()
	var out bytes.Buffer
	if _, err := (Type{}).Merge(&out, "index.yaml", in); err != nil {
		t.Fatal(err)
	}
	return generated.ReplaceAllString(out.String(), "")
}

func TestMergeGolden(t *testing.T) {
	got := mergeDocs(t, fileInput(t, "a", "remote/a/", "testdata/merge.a.yaml"), fileInput(t, "b", "remote/b/", "testdata/merge.b.yaml"))
	if *update {
		os.WriteFile("testdata/merge.out.yaml", []byte(got), 0o644)
	}
	want, _ := os.ReadFile("testdata/merge.out.yaml")
	if got != string(want) {
		t.Fatalf("merge differs from testdata/merge.out.yaml (go test -update to accept):\n%s", got)
	}
	// The first member wins a version both list; digests follow the URLs.
	d, err := (Type{}).Digests("", strings.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := d["../../remote/b/demo-0.2.0.tgz"]; ok {
		t.Fatal("the second member's copy of demo 0.2.0 survived the merge")
	}
}

func TestMergeUnsortedMemberSameResult(t *testing.T) {
	a, _ := os.ReadFile("testdata/merge.a.yaml")
	// The same index with its charts out of order.
	parts := strings.SplitN(string(a), "  demo:\n", 2)
	head, alpha := strings.SplitN(parts[0], "  alpha:\n", 2)[0], strings.SplitN(parts[0], "  alpha:\n", 2)[1]
	demo, tail := strings.SplitN(parts[1], "generated:", 2)[0], "generated:"+strings.SplitN(parts[1], "generated:", 2)[1]
	unsorted := head + "  demo:\n" + demo + "  alpha:\n" + alpha + tail
	b := fileInput(t, "b", "remote/b/", "testdata/merge.b.yaml")
	want := mergeDocs(t, fileInput(t, "a", "remote/a/", "testdata/merge.a.yaml"), b)
	if got := mergeDocs(t, stringInput("a", "remote/a/", unsorted), b); got != want {
		t.Fatalf("unsorted member merged differently:\n%s\nwant:\n%s", got, want)
	}
}

func FuzzMerge(f *testing.F) {
	a, _ := os.ReadFile("testdata/merge.a.yaml")
	b, _ := os.ReadFile("testdata/merge.b.yaml")
	f.Add(string(a), string(b))
	f.Fuzz(func(t *testing.T, a, b string) {
		var out bytes.Buffer
		_, err := (Type{}).Merge(&out, "index.yaml", []format.MergeInput{stringInput("a", "remote/a/", a), stringInput("b", "remote/b/", b)})
		var x any
		if err == nil && yaml.Unmarshal([]byte(a), &x) == nil && yaml.Unmarshal([]byte(b), &x) == nil && yaml.Unmarshal(out.Bytes(), &x) != nil {
			t.Fatalf("valid YAML in, invalid out:\n%s", out.String())
		}
	})
}

// An item's text that spans lines is merged as it is: a block scalar's
// blank lines are its content, and neither its lines nor those of a
// quoted string continued at its key's indentation are the item's keys.
func TestMergeKeepsTextSpanningLines(t *testing.T) {
	doc := "apiVersion: v1\nentries:\n  a:\n  - annotations:\n      changes: |\n        first paragraph\n\n        version: 9.9.9\n" +
		"    name: a\n    urls:\n    - charts/a-1.0.0.tgz\n    version: 1.0.0\n    description: \"quoted text\n    version: 8.8.8\"\n" +
		"  - name: a\n    urls:\n    - charts/a-0.9.0.tgz\n    version: 0.9.0\n"
	type entry struct {
		Annotations map[string]string
		Description string
		Version     string
	}
	var in struct{ Entries map[string][]entry }
	if err := yaml.Unmarshal([]byte(doc), &in); err != nil {
		t.Fatalf("the test's own index is not YAML: %v", err)
	}
	got := mergeDocs(t, stringInput("m", "remote/m/", doc), stringInput("n", "remote/n/", "apiVersion: v1\nentries: {}\n"))
	var out struct{ Entries map[string][]entry }
	if err := yaml.Unmarshal([]byte(got), &out); err != nil {
		t.Fatalf("merge is not YAML: %v\n%s", err, got)
	}
	if !reflect.DeepEqual(out.Entries["a"], in.Entries["a"]) {
		t.Fatalf("merged %+v, want %+v:\n%s", out.Entries["a"], in.Entries["a"], got)
	}
}
