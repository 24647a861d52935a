package pypi

import (
	"regexp"
	"strings"
	"testing"
)

// The regular expressions page and Normalize were written with, before
// their hand-written fast paths: the two must agree on every input.
var (
	refProject    = regexp.MustCompile(`^simple/([A-Za-z0-9._-]+)/$`)
	refNormalizer = regexp.MustCompile(`[-_.]+`)
)

func refPage(p string) (string, bool) {
	p = strings.TrimSuffix(strings.TrimSuffix(p, asJSON), asHTML)
	if m := refProject.FindStringSubmatch(p); m != nil {
		return strings.ToLower(refNormalizer.ReplaceAllString(m[1], "-")), true
	}
	return "", false
}

func FuzzPage(f *testing.F) {
	for _, s := range []string{"simple/requests/", "simple/Django_REST.framework/#json", "simple/a--b/#html",
		"simple/-x-/", "simple//", "simple/a/b/", "simple/zope.interface", "packages/x.whl", "simple/ÄB/", "simple/a-_-b/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got, ok := page(p)
		want, wantOK := refPage(p)
		if got != want || ok != wantOK {
			t.Fatalf("page(%q) = %q, %v; the regular expressions say %q, %v", p, got, ok, want, wantOK)
		}
	})
}
