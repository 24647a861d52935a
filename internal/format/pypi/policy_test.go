package pypi

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/artifactapi/artifactapi/internal/format/release/releasetest"
)

const policyPage = `{"meta":{"api-version":"1.1"},"name":"demo-pkg","versions":["1.0","1.1","2.0"],"files":[` +
	`{"filename":"demo_pkg-1.0-py3-none-any.whl","url":"../../packages/demo_pkg-1.0-py3-none-any.whl","hashes":{},"upload-time":"2020-01-01T00:00:00.000000Z"},` +
	`{"filename":"demo-pkg-1.0.tar.gz","url":"../../packages/demo-pkg-1.0.tar.gz","hashes":{},"upload-time":"2020-01-01T00:00:00Z"},` +
	`{"filename":"demo_pkg-1.1-py3-none-any.whl","url":"../../packages/demo_pkg-1.1-py3-none-any.whl","hashes":{},"upload-time":"2026-11-28T00:00:00Z"},` +
	`{"filename":"demo_pkg-2.0-py3-none-any.whl","url":"../../packages/demo_pkg-2.0-py3-none-any.whl","hashes":{},"upload-time":"2026-11-28T00:00:00Z"}]}`

const policyHTML = `<!DOCTYPE html><html><body>
<a href="../../packages/demo_pkg-1.0-py3-none-any.whl#sha256=aa">demo_pkg-1.0-py3-none-any.whl</a><br/>
<a href="../../packages/demo_pkg-2.0-py3-none-any.whl#sha256=bb" data-requires-python="&gt;=3.8">demo_pkg-2.0-py3-none-any.whl</a><br/>
</body></html>`

func TestFilterJSONAndHTML(t *testing.T) {
	j := &releasetest.Judge{Refuse: map[string]bool{"demo-pkg@2.0": true, "demo-pkg@1.1": true}}
	var out bytes.Buffer
	if err := (Type{}).Filter("simple/demo-pkg/#json", releasetest.Doc([]byte(policyPage)), &out, j); err != nil {
		t.Fatal(err)
	}
	var page struct {
		Name     string
		Versions []string
		Files    []struct{ Filename string }
	}
	if err := json.Unmarshal(out.Bytes(), &page); err != nil {
		t.Fatalf("%v: %s", err, out.Bytes())
	}
	if page.Name != "demo-pkg" || strings.Join(page.Versions, ",") != "1.0" || len(page.Files) != 2 {
		t.Errorf("filtered page: %s", out.Bytes())
	}
	out.Reset()
	if err := (Type{}).Filter("simple/demo-pkg/#html", releasetest.Doc([]byte(policyHTML)), &out, j); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "2.0") || !strings.Contains(out.String(), `demo_pkg-1.0-py3-none-any.whl</a>`) || !strings.Contains(out.String(), "</body></html>") {
		t.Errorf("filtered HTML: %s", out.String())
	}
	for _, r := range j.Asked {
		if r.Package != "demo-pkg" || r.DatedIn[0] != "simple/demo-pkg/#json" {
			t.Errorf("asked %+v", r)
		}
	}
}

func TestReleaseAndDates(t *testing.T) {
	for p, want := range map[string]string{
		"packages/Demo_Pkg-1.0-py3-none-any.whl":            "demo-pkg@1.0",
		"packages/demo-pkg-1.0.tar.gz":                      "demo-pkg@1.0",
		"packages/demo_pkg-1.0-py3-none-any.whl.metadata":   "demo-pkg@1.0",
		"_ext/https/files.example/x/zope.interface-6.0.zip": "zope-interface@6.0",
	} {
		r, ok := (Type{}).Release(p)
		if !ok || r.Package+"@"+r.Version != want {
			t.Errorf("Release(%s) = %+v, want %s", p, r, want)
		}
	}
	if _, ok := (Type{}).Release("simple/demo-pkg/#json"); ok {
		t.Error("a page is no release")
	}
	dates, err := (Type{}).Dates("simple/demo-pkg/#json", strings.NewReader(policyPage))
	if err != nil || !dates["demo_pkg-1.1-py3-none-any.whl"].Equal(time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)) || len(dates) != 4 {
		t.Errorf("dates: %v %v", dates, err)
	}
	if dates, _ := (Type{}).Dates("simple/demo-pkg/#html", strings.NewReader(policyHTML)); len(dates) != 0 {
		t.Error("an HTML page dates nothing")
	}
}
