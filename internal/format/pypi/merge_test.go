package pypi

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/artifactapi/artifactapi/internal/format"
)

func member(name, doc string) format.MergeInput {
	return format.MergeInput{Name: name, Root: "remote/" + name + "/", Open: func() (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader(doc)), nil
	}}
}

var (
	h64 = strings.Repeat("a", 64)
	m64 = strings.Repeat("b", 64)
	// Stored pages: links already relative to their page.
	htmlA = `<html><body><a href="../../packages/demo-1.0.tar.gz#sha256=` + h64 + `" data-requires-python="&gt;=3.8">demo-1.0.tar.gz</a>
<a href="../../_ext/https/files.example/demo-1.1-py3-none-any.whl#sha256=` + h64 + `" data-dist-info-metadata="sha256=` + m64 + `">demo-1.1-py3-none-any.whl</a></body></html>`
	jsonA = `{"meta":{"api-version":"1.1"},"name":"demo","versions":["1.0"],"files":[{"filename":"demo-1.0.tar.gz","url":"../../packages/demo-1.0.tar.gz","hashes":{"sha256":"` + h64 + `"}}]}`
	jsonB = `{"meta":{"api-version":"1.1"},"name":"demo","versions":["1.0","2.0"],"files":[{"filename":"demo-1.0.tar.gz","url":"../../other/demo-1.0.tar.gz","hashes":{"sha256":"` + m64 + `"}},{"filename":"demo-2.0.tar.gz","url":"../../p/demo-2.0.tar.gz","hashes":{"sha256":"` + h64 + `"},"yanked":"broken"}]}`
)

func TestMergeJSONPages(t *testing.T) {
	var out bytes.Buffer
	ct, err := (Type{}).Merge(&out, "simple/demo/#json", []format.MergeInput{member("a", jsonA), member("b", jsonB)})
	if err != nil || ct != JSONType {
		t.Fatal(ct, err)
	}
	var page struct {
		Files []struct {
			Filename, URL string
			Hashes        map[string]string
			Yanked        any
		}
		Versions []string
	}
	if err := json.Unmarshal(out.Bytes(), &page); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if len(page.Files) != 2 || page.Files[0].URL != "../../../../remote/a/packages/demo-1.0.tar.gz" || page.Files[0].Hashes["sha256"] != h64 ||
		page.Files[1].URL != "../../../../remote/b/p/demo-2.0.tar.gz" || page.Files[1].Yanked != "broken" {
		t.Fatalf("files: %+v", page.Files)
	}
	if strings.Join(page.Versions, ",") != "1.0,2.0" {
		t.Fatalf("versions: %v", page.Versions)
	}
}

func TestMergeMixedPagesAsHTML(t *testing.T) {
	var out bytes.Buffer
	ct, err := (Type{}).Merge(&out, "simple/demo/#json", []format.MergeInput{member("a", htmlA), member("b", jsonB)})
	if err != nil || !strings.HasPrefix(ct, "text/html") {
		t.Fatal(ct, err)
	}
	got := out.String()
	for _, want := range []string{
		`href="../../../../remote/a/packages/demo-1.0.tar.gz#sha256=` + h64 + `" data-requires-python="&gt;=3.8"`,
		`href="../../../../remote/a/_ext/https/files.example/demo-1.1-py3-none-any.whl#sha256=` + h64 + `" data-dist-info-metadata="sha256=` + m64,
		`href="../../../../remote/b/p/demo-2.0.tar.gz#sha256=` + h64 + `" data-yanked="broken"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("merged page lacks %s:\n%s", want, got)
		}
	}
	if strings.Contains(got, "remote/b/other/demo-1.0.tar.gz") {
		t.Fatal("the second member's copy of a file won")
	}
}

func FuzzMerge(f *testing.F) {
	f.Add(htmlA, jsonB)
	f.Fuzz(func(t *testing.T, a, b string) {
		var out bytes.Buffer
		(Type{}).Merge(&out, "simple/x/#json", []format.MergeInput{member("a", a), member("b", b)})
	})
}
