package npm

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var base, _ = url.Parse("https://registry.example.com")

func TestRewriteAndPresentGolden(t *testing.T) {
	in, _ := os.ReadFile("testdata/packument.in.json")
	var stored, served bytes.Buffer
	if err := (Type{}).Rewrite("@scope/demo#abbreviated", base, bytes.NewReader(in), &stored); err != nil {
		t.Fatal(err)
	}
	if err := (Type{}).Present("@scope/demo#abbreviated", "http://proxy:8000/api/v1/remote/npm", bytes.NewReader(stored.Bytes()), &served); err != nil {
		t.Fatal(err)
	}
	if *update {
		os.WriteFile("testdata/packument.stored.json", stored.Bytes(), 0o644)
		os.WriteFile("testdata/packument.served.json", served.Bytes(), 0o644)
	}
	for file, got := range map[string][]byte{"testdata/packument.stored.json": stored.Bytes(), "testdata/packument.served.json": served.Bytes()} {
		want, _ := os.ReadFile(file)
		if !bytes.Equal(got, want) {
			t.Fatalf("%s differs (go test -update to accept):\n%s", file, got)
		}
	}
	// Only tarball URLs change; everything else (numbers, escapes) is kept.
	var a, b map[string]any
	dec := json.NewDecoder(bytes.NewReader(in))
	dec.UseNumber()
	dec.Decode(&a)
	dec = json.NewDecoder(bytes.NewReader(served.Bytes()))
	dec.UseNumber()
	if err := dec.Decode(&b); err != nil {
		t.Fatalf("served document is not JSON: %v", err)
	}
	for _, v := range a["versions"].(map[string]any) {
		d := v.(map[string]any)["dist"].(map[string]any)
		d["tarball"] = "x"
	}
	for _, v := range b["versions"].(map[string]any) {
		d := v.(map[string]any)["dist"].(map[string]any)
		if tb := d["tarball"].(string); !strings.HasPrefix(tb, "http://proxy:8000/api/v1/remote/npm/") && !strings.Contains(tb, "?sig=") {
			t.Errorf("tarball not through the proxy: %s", tb)
		}
		d["tarball"] = "x"
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatal("rewrite changed more than tarball URLs")
	}
}

func TestDigests(t *testing.T) {
	stored, _ := os.ReadFile("testdata/packument.stored.json")
	d, err := (Type{}).Digests("", bytes.NewReader(stored))
	if err != nil {
		t.Fatal(err)
	}
	if d["@scope/demo/-/demo-1.0.0.tgz"].Integrity != "sha512-AAAA" {
		t.Errorf("integrity wins over shasum: %+v", d)
	}
	if got := d["@scope/demo/-/_ext/https/cdn.other.example/files/demo-1.1.0.tgz"].Integrity; !strings.HasPrefix(got, "sha1-") {
		t.Errorf("shasum as sha1 integrity: %q", got)
	}
	if len(d) != 2 {
		t.Errorf("pre-signed URLs are not listed as proxy paths: %v", d)
	}
}

func TestPathsAndVariants(t *testing.T) {
	var ty Type
	abbrev := http.Header{"Accept": {AbbreviatedType + "; q=1.0, application/json; q=0.8"}}
	if ty.Variant("lodash", withHeader(abbrev)) != "lodash#abbreviated" || ty.Variant("@types/node", withHeader(http.Header{})) != "@types/node#full" ||
		ty.Variant("lodash/-/lodash-4.17.21.tgz", withHeader(abbrev)) != "lodash/-/lodash-4.17.21.tgz" {
		t.Fatal("Variant")
	}
	for _, p := range []string{"lodash#full", "@types/node#abbreviated", "lodash/-/lodash-4.17.21.tgz", "@types/node/-/node-20.0.0.tgz", "lodash/-/_ext/https/cdn/x.tgz", "JSONStream#abbreviated", "JSONStream/-/JSONStream-1.3.5.tgz"} {
		if err := check(p); err != nil {
			t.Errorf("Check(%q): %v", p, err)
		}
	}
	for _, p := range []string{"-/npm/v1/security/advisories/bulk", "-/v1/search", "lodash/-/x/y.tgz", "lodash/../x", "_ext/https/cdn/x.tgz", "x/-/_ext/https/cdn/x.exe"} {
		if err := check(p); err == nil {
			t.Errorf("Check(%q) accepted", p)
		}
	}
	if !mutable("lodash#full") || mutable("lodash/-/lodash-1.0.0.tgz") {
		t.Fatal("Mutable")
	}
	if ty.UpstreamPath("x/-/_ext/https/cdn/x.tgz") != "https://cdn/x.tgz" || !mustBeListed("x/-/_ext/https/cdn/x.tgz") || mustBeListed("x/-/x-1.tgz") {
		t.Fatal("_ext tarballs")
	}
	if ty.UpstreamPath("@types/node#abbreviated") != "@types/node" || !reflect.DeepEqual(listedIn("@types/node/-/node-20.0.0.tgz"), []string{"@types/node#abbreviated", "@types/node#full"}) {
		t.Fatal("UpstreamPath / IndexFor")
	}
}

func FuzzWalk(f *testing.F) {
	in, _ := os.ReadFile("testdata/packument.in.json")
	f.Add(string(in))
	f.Fuzz(func(t *testing.T, doc string) {
		var out bytes.Buffer
		if err := (Type{}).Rewrite("x#full", base, strings.NewReader(doc), &out); err != nil {
			return
		}
		var a, b any
		if json.Unmarshal([]byte(doc), &a) == nil && json.Unmarshal(out.Bytes(), &b) != nil {
			t.Fatalf("valid JSON in, invalid out: %s", out.String())
		}
	})
}
