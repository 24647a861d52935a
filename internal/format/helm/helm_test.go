package helm

import (
	"bytes"
	"flag"
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var base, _ = url.Parse("https://charts.example.com/repo")

func TestRewriteGolden(t *testing.T) {
	in, err := os.ReadFile("testdata/index.in.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := (Type{}).Rewrite("index.yaml", base, bytes.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	if *update {
		os.WriteFile("testdata/index.out.yaml", out.Bytes(), 0o644)
	}
	want, err := os.ReadFile("testdata/index.out.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Fatalf("rewrite differs from testdata/index.out.yaml (go test -update to accept):\n%s", out.String())
	}
	// The rewrite changes the urls and nothing else.
	var a, b map[string]any
	if err := yaml.Unmarshal(in, &a); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(out.Bytes(), &b); err != nil {
		t.Fatalf("rewritten index is not YAML: %v", err)
	}
	mapTreeURLs(a, func(u string) string { return RewriteURL(base, u) })
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("rewrite changed more than urls:\n%v\n%v", a, b)
	}
}

// mapTreeURLs applies f to every string under a "urls" key.
func mapTreeURLs(v any, f func(string) string) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if list, ok := val.([]any); ok && k == "urls" {
				for i, u := range list {
					list[i] = f(u.(string))
				}
				continue
			}
			mapTreeURLs(val, f)
		}
	case []any:
		for _, e := range x {
			mapTreeURLs(e, f)
		}
	}
}

func TestDigestsOfRewrittenIndex(t *testing.T) {
	out, err := os.ReadFile("testdata/index.out.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := (Type{}).Digests("", bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"demo-0.1.0.tgz":            strings.Repeat("1", 64),
		"charts/sub/demo-0.2.0.tgz": strings.Repeat("2", 64),
		"_ext/https/github.com/org/proj/releases/download/v1/elsewhere-1.0.0.tgz": strings.Repeat("3", 64),
		"charts/signed-1.0.0.tgz":                               strings.Repeat("4", 64),
		"_ext/https/charts.example.com/other/outside-1.0.0.tgz": strings.Repeat("5", 64),
	}
	if len(got) != len(want) {
		t.Errorf("got %d paths, want %d: %v", len(got), len(want), got)
	}
	for p, d := range want {
		if got[p].SHA256 != d {
			t.Errorf("%s: digest %q, want %q", p, got[p].SHA256, d)
		}
	}
}

func TestRewriteURL(t *testing.T) {
	cases := map[string]string{
		"x.tgz":                                 "x.tgz",
		"./a/../x.tgz":                          "x.tgz",
		"https://charts.example.com/repo/x.tgz": "x.tgz",
		"https://charts.example.com/repo/a b.tgz":   "a%20b.tgz",
		"https://charts.example.com/repository.tgz": "_ext/https/charts.example.com/repository.tgz",
		"http://charts.example.com/repo/x.tgz":      "_ext/http/charts.example.com/repo/x.tgz",
		"https://other.example/x.tgz":               "_ext/https/other.example/x.tgz",
		"https://other.example/x.tgz?sig=1":         "https://other.example/x.tgz?sig=1",
		"oci://registry/x":                          "oci://registry/x",
	}
	for in, want := range cases {
		if got := RewriteURL(base, in); got != want {
			t.Errorf("RewriteURL(%q) = %q, want %q", in, got, want)
		}
	}
	var ty Type
	if ty.UpstreamPath("_ext/https/other.example/x.tgz") != "https://other.example/x.tgz" || ty.UpstreamPath("x.tgz") != "x.tgz" {
		t.Fatal("UpstreamPath")
	}
	if !mustBeListed("_ext/https/a/b") || mustBeListed("b.tgz") || !mutable("index.yaml") || mutable("x.tgz") {
		t.Fatal("classification")
	}
}

func TestUnsupportedURLsRefused(t *testing.T) {
	in := "entries:\n  a:\n  - urls: &anchor\n    - x.tgz\n"
	if err := (Type{}).Rewrite("index.yaml", base, strings.NewReader(in), &bytes.Buffer{}); err == nil {
		t.Fatal("an anchor on urls was passed on unrewritten")
	}
}

// An empty urls item ("- " with a trailing space, or "- # comment") is
// an item, not a blank line: refused like "-", never dropped from the
// rewrite (which left YAML that no longer parsed).
func TestEmptyURLItemsRefused(t *testing.T) {
	for _, item := range []string{"-", "- ", "- # none"} {
		in := "entries:\n  a:\n  - urls:\n    - x.tgz\n    " + item + "\n"
		if err := (Type{}).Rewrite("index.yaml", base, strings.NewReader(in), &bytes.Buffer{}); err == nil {
			t.Errorf("%q: an empty urls item was accepted", item)
		}
	}
	// Outside urls such a line is passed on as it is.
	in := "entries:\n  a:\n  - \n    urls:\n    - x.tgz\n"
	var out bytes.Buffer
	if err := (Type{}).Rewrite("index.yaml", base, strings.NewReader(in), &out); err != nil || !strings.Contains(out.String(), "\n  - \n") {
		t.Fatalf("%v:\n%s", err, out.String())
	}
}

func FuzzRewrite(f *testing.F) {
	if in, err := os.ReadFile("testdata/index.in.yaml"); err == nil {
		f.Add(string(in))
	}
	f.Add("entries:\n  a:\n  - urls: [x, 'y', \"z\"]\n    digest: abc\n")
	f.Fuzz(func(t *testing.T, in string) {
		var out bytes.Buffer
		if err := (Type{}).Rewrite("index.yaml", base, strings.NewReader(in), &out); err != nil {
			return
		}
		if _, err := (Type{}).Digests("", bytes.NewReader(out.Bytes())); err != nil {
			t.Fatalf("cannot scan our own rewrite: %v", err)
		}
		var a, b any
		if yaml.Unmarshal([]byte(in), &a) == nil && yaml.Unmarshal(out.Bytes(), &b) != nil {
			t.Fatalf("valid YAML in, invalid out:\n%s", out.String())
		}
	})
}

// Generators fold long quoted descriptions over several lines; what is
// inside them is text, never a urls key to rewrite.
func TestQuotedScalarSpanningLines(t *testing.T) {
	in := "entries:\n  a:\n  - description: \"a long text that mentions\n      urls:\n      - https://elsewhere.example/evil.tgz \\\" still quoted\"\n    urls:\n    - https://other.example/a-1.0.tgz\n    digest: " + strings.Repeat("a", 64) + "\n    name: a\n    version: 1.0.0\n"
	out := rewriteYAML(t, in)
	if !strings.Contains(out, "      - https://elsewhere.example/evil.tgz \\\" still quoted\"\n") {
		t.Fatalf("text inside a quoted string was rewritten:\n%s", out)
	}
	if !strings.Contains(out, "_ext/https/other.example/a-1.0.tgz") {
		t.Fatalf("the real urls were not rewritten:\n%s", out)
	}
}

// rewriteYAML rewrites in, which must succeed, into YAML that must parse.
func rewriteYAML(t *testing.T, in string) string {
	t.Helper()
	var out bytes.Buffer
	if err := (Type{}).Rewrite("index.yaml", base, strings.NewReader(in), &out); err != nil {
		t.Fatalf("%q: %v", in, err)
	}
	var a any
	if err := yaml.Unmarshal(out.Bytes(), &a); err != nil {
		t.Fatalf("%q: rewrite is not YAML: %v\n%s", in, err, out.String())
	}
	return out.String()
}

// Text that spans lines is never rewritten or read as keys, however its
// scalar starts: a tagged or anchored quote, a block scalar (Artifact
// Hub's annotations), a document that is one block scalar.
func TestTextSpanningLinesIsNotRewritten(t *testing.T) {
	digest := strings.Repeat("a", 64)
	entry := "    urls:\n    - https://other.example/a-1.0.tgz\n    digest: " + digest + "\n    name: a\n"
	for name, text := range map[string]string{
		"tagged quote":   "  - description: !!str \"mentions\n      urls:\n      - https://elsewhere.example/evil.tgz\n      digest: " + strings.Repeat("b", 64) + "\"\n",
		"anchored quote": "  - description: &d 'mentions\n      urls:\n      - https://elsewhere.example/evil.tgz'\n",
		"block scalar":   "  - annotations:\n      changes: |\n        urls:\n        - https://elsewhere.example/evil.tgz\n\n        digest: " + strings.Repeat("b", 64) + "\n",
		"folded, kept":   "  - description: >+ # note\n      urls:\n      - https://elsewhere.example/evil.tgz\n",
	} {
		out := rewriteYAML(t, "entries:\n  a:\n"+text+entry)
		if !strings.Contains(out, "      - https://elsewhere.example/evil.tgz") {
			t.Errorf("%s: text was rewritten:\n%s", name, out)
		}
		if !strings.Contains(out, "_ext/https/other.example/a-1.0.tgz") {
			t.Errorf("%s: the real urls were not rewritten:\n%s", name, out)
		}
		got, err := (Type{}).Digests("", strings.NewReader(out))
		if err != nil || len(got) != 1 {
			t.Fatalf("%s: digests %v, %v", name, got, err)
		}
		for _, e := range got {
			if e.SHA256 != digest {
				t.Errorf("%s: the digest came from text: %s", name, e.SHA256)
			}
		}
	}
	in := "--- |\nurls:\n- https://elsewhere.example/evil.tgz\n"
	var out bytes.Buffer
	if err := (Type{}).Rewrite("index.yaml", base, strings.NewReader(in), &out); err != nil || out.String() != in {
		t.Fatalf("a document that is one block scalar was changed (%v):\n%s", err, out.String())
	}
}

// An item that is not a plain or quoted scalar would be rewritten into
// another value; it is refused.
func TestURLItemsOtherThanScalarsRefused(t *testing.T) {
	for _, item := range []string{"- *alias", "- !tag x.tgz", "- &a x.tgz", "- |", "- [x.tgz]", "- {a: b}"} {
		in := "entries:\n  a:\n  - urls:\n    " + item + "\n"
		if err := (Type{}).Rewrite("index.yaml", base, strings.NewReader(in), &bytes.Buffer{}); err == nil {
			t.Errorf("%q was accepted", item)
		}
	}
	in := "entries:\n  a:\n  - urls: [x.tgz, *alias]\n"
	if err := (Type{}).Rewrite("index.yaml", base, strings.NewReader(in), &bytes.Buffer{}); err == nil {
		t.Error("an alias in a flow sequence was accepted")
	}
}

// Generators wrap long plain descriptions at 80 columns; a wrapped line
// that begins with a quote ("'s", "\"quoted words\" ...") is still plain
// text, not a string that would hide the entry's urls.
func TestWrappedPlainTextOpensNoString(t *testing.T) {
	in := "entries:\n  a:\n  - description: A chart whose description wraps onto a line that begins with\n      's and \"an unclosed quote\n    urls:\n    - https://other.example/a-1.0.tgz\n    digest: " + strings.Repeat("a", 64) + "\n"
	var a any
	if err := yaml.Unmarshal([]byte(in), &a); err != nil {
		t.Fatalf("the test's own index is not YAML: %v", err)
	}
	if out := rewriteYAML(t, in); !strings.Contains(out, "_ext/https/other.example/a-1.0.tgz") {
		t.Fatalf("the urls after a wrapped description were not rewritten:\n%s", out)
	}
}

// A blank line after a plain value ends nothing and is no text: between
// urls items, or after the last, it is a blank line as before.
func TestBlankLinesBetweenURLItems(t *testing.T) {
	for _, in := range []string{
		"entries:\n  a:\n  - urls:\n    - x.tgz\n\n    - y.tgz\n    version: 1.0.0\n",
		"entries:\n  a:\n  - urls:\n    - x.tgz\n\n  b:\n  - urls:\n    - y.tgz\n",
	} {
		if out := rewriteYAML(t, in); !strings.Contains(out, `"x.tgz"`) || !strings.Contains(out, `"y.tgz"`) {
			t.Fatalf("%q: the urls were not both rewritten:\n%s", in, out)
		}
	}
}
