package docker

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	d := "sha256:" + strings.Repeat("a", 64)
	good := map[string]Ref{
		"library/redis/manifests/7":       {Repo: "library/redis", Kind: Manifest, Ref: "7"},
		"a/b/c/manifests/" + d:            {Repo: "a/b/c", Kind: Manifest, Ref: d, Digest: strings.Repeat("a", 64)},
		"team/app/blobs/" + d:             {Repo: "team/app", Kind: Blob, Ref: d, Digest: strings.Repeat("a", 64)},
		"team/app/tags/list":              {Repo: "team/app", Kind: Tags},
		"x/manifests/v1.2.3-rc_1":         {Repo: "x", Kind: Manifest, Ref: "v1.2.3-rc_1"},
		"my-org/my__app/manifests/latest": {Repo: "my-org/my__app", Kind: Manifest, Ref: "latest"},
	}
	for p, want := range good {
		got, err := Parse(p)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", p, got, err, want)
		}
		if err == nil && got.Path() != p {
			t.Errorf("Path() = %q, want %q", got.Path(), p)
		}
	}
	bad := map[string]string{
		"Upper/manifests/1":     "NAME_INVALID",
		"a/blobs/latest":        "DIGEST_INVALID",
		"a/blobs/sha512:abcd":   "DIGEST_INVALID",
		"a/manifests/-bad":      "MANIFEST_UNKNOWN",
		"a/uploads/x":           "UNSUPPORTED",
		"manifests":             "NAME_INVALID",
		"a//b/manifests/1":      "NAME_INVALID",
		"a/manifests/" + d[:20]: "MANIFEST_UNKNOWN",
	}
	for p, code := range bad {
		if _, err := Parse(p); err == nil || err.Code != code {
			t.Errorf("Parse(%q) err = %v, want %s", p, err, code)
		}
	}
}

func TestMutableAndExpect(t *testing.T) {
	var ty Type
	d := strings.Repeat("b", 64)
	if !mutable("a/manifests/1") || !mutable("a/tags/list") || mutable("a/manifests/sha256:"+d) || mutable("a/blobs/sha256:"+d) {
		t.Fatal("tags and tag lists are mutable, digests are not")
	}
	if e, ok := ty.Expect("a/blobs/sha256:"+d, nil); !ok || e.SHA256 != d {
		t.Fatal("blob digest not expected")
	}
	h := http.Header{"Docker-Content-Digest": {"sha256:" + d}}
	if e, ok := ty.Expect("a/manifests/1", h); !ok || e.SHA256 != d {
		t.Fatal("a tag's Docker-Content-Digest not expected")
	}
	if _, ok := ty.Expect("a/manifests/1", http.Header{}); ok {
		t.Fatal("expectation without a digest")
	}
}

func TestParseChallenge(t *testing.T) {
	s, p := parseChallenge(`Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"`)
	if s != "bearer" || p["realm"] != "https://auth.example/token" || p["service"] != "registry.example" || p["scope"] != "repository:a/b:pull,push" {
		t.Fatalf("%s %v", s, p)
	}
	if s, p := parseChallenge(`Basic realm="x"`); s != "basic" || p["realm"] != "x" {
		t.Fatalf("%s %v", s, p)
	}
	if scopeOf("/v2/library/redis/manifests/7") != "repository:library/redis:pull" {
		t.Fatal(scopeOf("/v2/library/redis/manifests/7"))
	}
}

func TestAccepts(t *testing.T) {
	if !Accepts(nil, "x") || !Accepts([]string{"a/b, c/d;q=0.5"}, "c/d") || Accepts([]string{"a/b"}, "c/d") || !Accepts([]string{"*/*"}, "c/d") {
		t.Fatal("Accepts")
	}
	if !IsHub("registry-1.docker.io") || IsHub("127.0.0.1:5000") {
		t.Fatal("IsHub")
	}
}

func TestTagPages(t *testing.T) {
	tags := []string{"b", "a", "d", "c"}
	for q, want := range map[string]string{
		"":            "a,b,c,d|",
		"n=2":         "a,b|last=b&n=2",
		"n=2&last=b":  "c,d|",
		"last=b":      "c,d|",
		"n=0":         "|",
		"n=9":         "a,b,c,d|",
		"last=zz":     "|",
		"n=1&last=a0": "b|last=b&n=1",
	} {
		v, _ := url.ParseQuery(q)
		got, next := page(tags, v)
		if s := strings.Join(got, ",") + "|" + next; s != want {
			t.Errorf("%q: %s, want %s", q, s, want)
		}
	}
}
