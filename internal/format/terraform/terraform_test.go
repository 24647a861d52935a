package terraform

import (
	"bytes"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/artifactapi/artifactapi/internal/format"
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
	for _, p := range []string{"v1/modules/a/b/versions", "v1/providers/a/versions", "index.html", "v1/providers/a/b/1.0/download/linux", "x/_ext/https/h/p"} {
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

// A module's download answer (204 + X-Terraform-Get) becomes a document
// whose plain archive URL comes back through the proxy; go-getter sources
// stay the client's.
func TestModuleLocation(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Terraform-Get", "./archives/net-1.0.0.tar.gz")
		w.WriteHeader(http.StatusNoContent)
	}))
	defer up.Close()
	client := &http.Client{Transport: Type{}.Transport(http.DefaultTransport, format.Credentials{})}
	resp, err := client.Get(up.URL + "/v1/modules/demo/net/aws/1.0.0/download")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != `{"location":"./archives/net-1.0.0.tar.gz"}` {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	mdoc := "v1/modules/demo/net/aws/1.0.0/download"
	for in, want := range map[string]string{
		`{"location":"./archives/net-1.0.0.tar.gz"}`:         `{"location":"` + mdoc + `/_ext/https/registry.example/v1/modules/demo/net/aws/1.0.0/archives/net-1.0.0.tar.gz"}`,
		`{"location":"https://files.example/net.zip"}`:       `{"location":"` + mdoc + `/_ext/https/files.example/net.zip"}`,
		`{"location":"git::https://git.example/net?ref=v1"}`: `{"location":"git::https://git.example/net?ref=v1"}`,
		`{"location":"https://files.example/net.tgz//sub"}`:  `{"location":"https://files.example/net.tgz//sub"}`,
	} {
		var out bytes.Buffer
		if err := (Type{}).Rewrite(mdoc, base, strings.NewReader(in), &out); err != nil || out.String() != want {
			t.Errorf("%s: %s (%v), want %s", in, out.String(), err, want)
		}
	}
	if c, err := (Type{}).Classify(mdoc + "/_ext/https/files.example/net.zip"); err != nil || c.ListedIn[0] != mdoc {
		t.Errorf("module archive: %+v %v", c, err)
	}
}
