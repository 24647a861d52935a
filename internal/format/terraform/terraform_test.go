package terraform

import (
	"bytes"
	"flag"
	"net/url"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

const doc = "v1/providers/demo/hello/1.0.0/download/linux/amd64"

var base, _ = url.Parse("https://registry.example/")

func TestRewriteAndDigestsGolden(t *testing.T) {
	in, _ := os.ReadFile("testdata/download.in.json")
	var out bytes.Buffer
	if err := (Type{}).Rewrite(doc, base, bytes.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	if *update {
		os.WriteFile("testdata/download.out.json", out.Bytes(), 0o644)
	}
	want, _ := os.ReadFile("testdata/download.out.json")
	if !bytes.Equal(out.Bytes(), want) {
		t.Fatalf("rewrite differs from testdata/download.out.json (go test -update to accept):\n%s", out.String())
	}
	// The archive and SHA256SUMS come back through the proxy; a signed URL
	// and anything inside signing_keys stay as they were.
	s := out.String()
	for _, frag := range []string{`"download_url":"` + doc + `/_ext/https/github.example/releases/download/v1.0.0/terraform-provider-hello_1.0.0_linux_amd64.zip"`,
		`"shasums_url":"` + doc + `/_ext/https/registry.example/v1/providers/demo/SHA256SUMS"`,
		`?X-Signed=1"`, `"download_url":"https://not.a.link/inside/keys"`} {
		if !strings.Contains(s, frag) {
			t.Errorf("rewrite lacks %s", frag)
		}
	}
	d, err := Type{}.Digests(doc, bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	zip := doc + "/_ext/https/github.example/releases/download/v1.0.0/terraform-provider-hello_1.0.0_linux_amd64.zip"
	if d[zip].SHA256 != "f638e9e8ea9d22c4ef0c5b6f4473b9c097b2975ccd5b44ab737a1629c4d7f0ab" || len(d) != 3 {
		t.Fatalf("digests: %v", d)
	}
	c, err := Type{}.Classify(zip)
	if err != nil || !c.MustBeListed || c.ListedIn[0] != doc || c.Mutable {
		t.Fatalf("classify archive: %+v %v", c, err)
	}
	if got := (Type{}).UpstreamPath(zip); got != "https://github.example/releases/download/v1.0.0/terraform-provider-hello_1.0.0_linux_amd64.zip" {
		t.Fatalf("UpstreamPath: %s", got)
	}
	var pres bytes.Buffer
	Type{}.Present(doc, "http://proxy:8000/api/v1/remote/tf", bytes.NewReader(out.Bytes()), &pres)
	if !strings.Contains(pres.String(), `"download_url":"http://proxy:8000/api/v1/remote/tf/`+zip+`"`) {
		t.Fatalf("present: %s", pres.String())
	}
}

func TestClassifyRefusesOtherPaths(t *testing.T) {
	for _, p := range []string{"v1/modules/a/b/c/versions", "v1/providers/a/versions", "index.html", "v1/providers/a/b/1.0/download/linux", "x/_ext/https/h/p"} {
		if _, err := (Type{}).Classify(p); err == nil {
			t.Errorf("%s accepted", p)
		}
	}
	if c, err := (Type{}).Classify("v1/providers/demo/hello/versions"); err != nil || !c.Mutable {
		t.Errorf("versions: %+v %v", c, err)
	}
}

func FuzzRewrite(f *testing.F) {
	in, _ := os.ReadFile("testdata/download.in.json")
	f.Add(string(in))
	f.Fuzz(func(t *testing.T, s string) {
		var out bytes.Buffer
		if err := (Type{}).Rewrite(doc, base, strings.NewReader(s), &out); err != nil {
			return
		}
		d, err := Type{}.Digests(doc, bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatalf("cannot read our own rewrite: %v", err)
		}
		for p := range d {
			if strings.HasPrefix(p, doc+ext) {
				if _, err := (Type{}).Classify(p); err != nil {
					t.Fatalf("a rewritten link %q is not a path we serve: %v", p, err)
				}
			}
		}
	})
}
