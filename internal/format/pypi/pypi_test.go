package pypi

import (
	"bytes"
	"flag"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var base, _ = url.Parse("https://pypi.example.com")

func rewrite(t *testing.T, in string) []byte {
	t.Helper()
	src, err := os.ReadFile("testdata/" + in)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := (Type{}).Rewrite("simple/demo-pkg/#html", base, bytes.NewReader(src), &out); err != nil {
		t.Fatal(err)
	}
	golden := "testdata/" + strings.Replace(in, ".in.", ".out.", 1)
	if *update {
		os.WriteFile(golden, out.Bytes(), 0o644)
	}
	want, _ := os.ReadFile(golden)
	if !bytes.Equal(out.Bytes(), want) {
		t.Fatalf("%s differs (go test -update to accept):\n%s", golden, out.String())
	}
	return out.Bytes()
}

func TestRewriteAndDigestsHTML(t *testing.T) {
	out := rewrite(t, "page.in.html")
	d, err := (Type{}).Digests("", bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"packages/demo_pkg-1.0.0-py3-none-any.whl":                        strings.Repeat("1", 64),
		"packages/demo_pkg-1.0.0-py3-none-any.whl.metadata":               strings.Repeat("2", 64),
		"_ext/https/files.example.org/packages/ab/cd/demo-pkg-0.9.tar.gz": strings.Repeat("3", 64),
		"other/root/demo_pkg-0.8-py3-none-any.whl":                        strings.Repeat("4", 64),
	}
	got := map[string]string{}
	for k, v := range d {
		got[k] = v.SHA256
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("digests:\n%v\nwant\n%v", got, want)
	}
	if !bytes.Contains(out, []byte(`data-requires-python="&gt;=3.8"`)) || !bytes.Contains(out, []byte(`?sig=1`)) {
		t.Fatal("attributes or a pre-signed link were not kept")
	}
}

func TestRewriteAndDigestsJSON(t *testing.T) {
	out := rewrite(t, "page.in.json")
	d, err := (Type{}).Digests("", bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if d["_ext/https/files.example.org/packages/ab/demo_pkg-1.0.0-py3-none-any.whl"].SHA256 != strings.Repeat("1", 64) ||
		d["_ext/https/files.example.org/packages/ab/demo_pkg-1.0.0-py3-none-any.whl.metadata"].SHA256 != strings.Repeat("2", 64) ||
		d["packages/demo-pkg-0.9.tar.gz"].SHA256 != strings.Repeat("3", 64) {
		t.Fatalf("digests: %v", d)
	}
}

func TestPathsVariantsIndexes(t *testing.T) {
	var ty Type
	js := http.Header{"Accept": {JSONType + ", text/html; q=0.01"}}
	if ty.Variant("simple/Demo_Pkg/", withHeader(js)) != "simple/demo-pkg/#json" || ty.Variant("simple/demo.pkg/", withHeader(http.Header{})) != "simple/demo-pkg/#html" ||
		ty.Variant("packages/x.whl", withHeader(js)) != "packages/x.whl" {
		t.Fatal("Variant")
	}
	if ty.UpstreamPath("simple/demo-pkg/#json") != "simple/demo-pkg/" || !mutable("simple/demo-pkg/#html") || mutable("packages/x.whl") {
		t.Fatal("UpstreamPath / Mutable")
	}
	want := []string{"simple/demo-pkg/#json", "simple/demo-pkg/#html"}
	if got := listedIn("packages/demo_pkg-1.0-py3-none-any.whl.metadata"); !reflect.DeepEqual(got, want) {
		t.Fatalf("IndexFor wheel: %v", got)
	}
	if got := listedIn("x/demo-pkg-2.0.tar.gz"); !reflect.DeepEqual(got, want) {
		t.Fatalf("IndexFor sdist: %v", got)
	}
	for _, p := range []string{"simple/", "simple/a/b/", "index.html", "packages/x.exe"} {
		if check(p) == nil {
			t.Errorf("Check(%q) accepted", p)
		}
	}
}

func FuzzRewriteHTML(f *testing.F) {
	src, _ := os.ReadFile("testdata/page.in.html")
	f.Add(string(src))
	f.Fuzz(func(t *testing.T, in string) {
		var out bytes.Buffer
		if err := (Type{}).Rewrite("simple/x/#html", base, strings.NewReader(in), &out); err == nil {
			(Type{}).Digests("", bytes.NewReader(out.Bytes()))
		}
	})
}

func TestNext(t *testing.T) {
	for p, want := range map[string]string{
		"packages/demo_pkg-1.0-py3-none-any.whl.metadata":          "packages/demo_pkg-1.0-py3-none-any.whl",
		"_ext/files.example/p/demo_pkg-1.0.tar.gz.metadata":        "_ext/files.example/p/demo_pkg-1.0.tar.gz",
		"packages/demo_pkg-1.0-py3-none-any.whl":                   "",
		"packages/notes.metadata":                                  "",
		"packages/demo_pkg-1.0-py3-none-any.whl.metadata.metadata": "",
		"simple/demo-pkg/#html":                                    "",
	} {
		got := Type{}.Next(p)
		if want == "" && len(got) != 0 || want != "" && (len(got) != 1 || got[0] != want) {
			t.Errorf("Next(%q) = %q, want %q", p, got, want)
		}
	}
}
