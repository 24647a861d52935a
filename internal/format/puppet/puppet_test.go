package puppet

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

const list = `{"pagination":{"next":"/v3/releases?module=demo-hello&offset=1"},"results":[` +
	`{"version":"1.0.0","file_uri":"/v3/files/demo-hello-1.0.0.tar.gz","metadata":{"name":"demo-hello","dependencies":[]},"file_md5":"00","file_sha256":"AB"},` +
	`{"version":"0.9.0","file_uri":"https://cdn.example/demo-hello-0.9.0.tar.gz","file_md5":"11"},` +
	`{"version":"0.8.0","file_md5":"22","file_uri":"/v3/files/demo-hello-0.8.0.tar.gz"}]}`

func TestListsAndFiles(t *testing.T) {
	r := &http.Request{URL: &url.URL{RawQuery: "sort_by=version&module=demo-hello"}}
	doc := Type{}.Variant("v3/releases", r)
	if doc != "v3/releases#q=module=demo-hello&sort_by=version" || (Type{}).UpstreamPath(doc) != "v3/releases?module=demo-hello&sort_by=version" {
		t.Fatalf("variant %q, upstream %q", doc, (Type{}).UpstreamPath(doc))
	}
	var out bytes.Buffer
	if err := (Type{}).Rewrite(doc, nil, strings.NewReader(list), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"next":"/v3/releases?module=demo-hello&offset=1"`) || !strings.Contains(out.String(), `"https://cdn.example/demo-hello-0.9.0.tar.gz"`) {
		t.Fatalf("next or an absolute URI changed: %s", out.String())
	}
	d, err := Type{}.Digests(doc, bytes.NewReader(out.Bytes()))
	if err != nil || len(d) != 2 {
		t.Fatalf("digests: %v %v", d, err)
	}
	for file, e := range d {
		c, err := Type{}.Classify(file)
		if err != nil || len(c.ListedIn) != 1 || c.ListedIn[0] != doc || c.Mutable {
			t.Fatalf("classify %s: %+v %v", file, c, err)
		}
		name := file[strings.LastIndex(file, "/")+1:]
		if got := (Type{}).UpstreamPath(file); got != "v3/files/"+name {
			t.Errorf("upstream path of %s: %s", file, got)
		}
		switch name {
		case "demo-hello-1.0.0.tar.gz":
			if e.SHA256 != "ab" {
				t.Errorf("1.0.0: %+v", e)
			}
		case "demo-hello-0.8.0.tar.gz":
			if e.SHA256 != "" || len(e.Sums) != 1 || e.Sums[0].Alg != "md5" {
				t.Errorf("0.8.0 (md5 only): %+v", e)
			}
		}
	}
	for _, bad := range []string{"v3/users", "v3/files/x.zip", "v3/files/_in/!!/x.tar.gz", "index.html"} {
		if _, err := (Type{}).Classify(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func FuzzDigests(f *testing.F) {
	f.Add(list)
	f.Fuzz(func(t *testing.T, s string) {
		var out bytes.Buffer
		if err := (Type{}).Rewrite("v3/releases#q=module=a", nil, strings.NewReader(s), &out); err != nil {
			return
		}
		d, err := Type{}.Digests("v3/releases#q=module=a", bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatalf("cannot read our own rewrite: %v", err)
		}
		for p := range d {
			if _, err := (Type{}).Classify(p); err != nil {
				t.Fatalf("a listed file %q is not a path we serve: %v", p, err)
			}
		}
	})
}
