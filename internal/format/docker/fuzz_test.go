package docker

import (
	"net/url"
	"strings"
	"testing"
)

// A parsed reference round-trips through its cache path, and its digest,
// when it has one, is 64 hex characters.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"library/redis/manifests/7", "a/b/blobs/sha256:" + strings.Repeat("a", 64), "x/tags/list",
		"UPPER/manifests/1", "a/manifests/sha512:00", "a//b/manifests/1", "a/blobs/latest", "/manifests/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		r, err := Parse(p)
		if err != nil {
			return
		}
		if again, err := Parse(r.Path()); err != nil || again != r {
			t.Fatalf("%q parsed to %+v, whose path %q parses to %+v (%v)", p, r, r.Path(), again, err)
		}
		if r.Digest != "" && (len(r.Digest) != 64 || strings.Trim(r.Digest, "0123456789abcdef") != "") {
			t.Fatalf("digest %q", r.Digest)
		}
		if strings.Contains(r.Repo, "..") || strings.HasPrefix(r.Repo, "/") {
			t.Fatalf("repository %q", r.Repo)
		}
	})
}

// The challenge parser never panics, and every realm it returns is what
// the header quoted or listed.
func FuzzParseChallenge(f *testing.F) {
	for _, s := range []string{`Bearer realm="https://auth.example/token",service="registry",scope="repository:a:pull"`,
		`Basic realm="x"`, `Bearer realm=unquoted, service=s`, `Bearer realm="unterminated`, `bearer`, ``, `Bearer ,,,=,"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		scheme, params := parseChallenge(h)
		if scheme != strings.ToLower(scheme) {
			t.Fatalf("scheme %q not lower case", scheme)
		}
		if r, ok := params["realm"]; ok && !strings.Contains(h, r) {
			t.Fatalf("realm %q is not in %q", r, h)
		}
	})
}

// A rewritten Link header points back at this server's path, with the
// upstream's query, or is dropped.
func FuzzRewriteLink(f *testing.F) {
	for _, s := range []string{`</v2/a/tags/list?last=b&n=2>; rel="next"`, `<https://other/v2/a/tags/list?n=1>; rel="next"`, `<`, `>;<`, `<%zz>`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, link string) {
		out := rewriteLink(link, "hub/a/tags/list")
		if out == "" {
			return
		}
		if !strings.HasPrefix(out, "</v2/hub/a/tags/list?") {
			t.Fatalf("%q rewritten to %q", link, out)
		}
		u, err := url.Parse(out[1:strings.Index(out, ">")])
		if err != nil || u.Host != "" {
			t.Fatalf("%q rewritten to another host: %q", link, out)
		}
	})
}
