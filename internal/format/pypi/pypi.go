// Package pypi is the Python package index type (PEP 503 simple pages,
// PEP 691 JSON, PEP 658 metadata): project pages are mutable, kept apart
// per representation and rewritten so every file link comes back through
// the proxy; files are verified against the page's sha256.
package pypi

import (
	"net/http"
	"path"
	"regexp"
	"strings"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/format"
)

// Type is the pypi package type.
type Type struct{}

// Name implements format.Type.
func (Type) Name() string { return "pypi" }

// JSONType is PEP 691's media type.
const JSONType = "application/vnd.pypi.simple.v1+json"

const (
	asJSON = "#json"
	asHTML = "#html"
)

var (
	normalizer = regexp.MustCompile(`[-_.]+`)
	distExts   = []string{".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz", ".egg", ".metadata"}
)

// Normalize is PEP 503's project name normalisation. A name that is
// normalised already (as pip asks for them) is returned without the
// regular expression: page runs on every request of a pypi remote, twice.
func Normalize(name string) string {
	if normalized(name) {
		return name
	}
	return strings.ToLower(normalizer.ReplaceAllString(name, "-"))
}

func normalized(name string) bool {
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '-' && (i == 0 || name[i-1] != '-'):
		default:
			return false
		}
	}
	return true
}

// page returns the project whose page p ("simple/{name}/", with its
// representation's suffix) is.
func page(p string) (project string, ok bool) {
	p = strings.TrimSuffix(strings.TrimSuffix(p, asJSON), asHTML)
	name, ok := strings.CutPrefix(p, "simple/")
	if !ok {
		return "", false
	}
	if name, ok = strings.CutSuffix(name, "/"); !ok || name == "" {
		return "", false
	}
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
		default:
			return "", false
		}
	}
	return Normalize(name), true
}

func isPage(p string) bool { return strings.HasSuffix(p, asJSON) || strings.HasSuffix(p, asHTML) }

func isDist(p string) bool {
	for _, ext := range distExts {
		if strings.HasSuffix(p, ext) {
			return true
		}
	}
	return false
}

// Next implements format.Prefetcher. pip reads the PEP 658 metadata of
// the version it settles on for each requirement while it resolves, and
// downloads that version's file only once every requirement is resolved,
// one file after another: through a cold remote each download waited for
// its own upstream round trip. A backtracking resolver reads metadata of
// versions it then drops; a large file of those that no client joins is
// abandoned as any fill its clients left.
func (Type) Next(p string) []string {
	if f, ok := strings.CutSuffix(p, ".metadata"); ok && isDist(f) && !strings.HasSuffix(f, ".metadata") {
		return []string{f}
	}
	return nil
}

// Classify implements format.Type: project pages are indexes that change
// (stored per representation); distribution files do not change and are
// listed on their project's page; a file on another host is fetched only
// when a page lists it. Nothing else (the root index, uploads) reaches the
// upstream.
func (Type) Classify(p string) (format.Class, error) {
	if _, ok := page(p); ok {
		if !isPage(p) {
			return format.Class{Kind: format.Other}, nil // no representation (Variant) applied: not a stored page
		}
		return format.Class{Kind: format.Index, Mutable: true}, nil
	}
	if isDist(p) {
		return format.Class{Kind: format.Artifact, ListedIn: listedIn(p), MustBeListed: strings.HasPrefix(p, format.ExtPrefix)}, nil
	}
	return format.Class{}, apierr.New(apierr.ErrNotFound, "pypi: %s is not a project page (simple/{project}/) or a distribution file", p)
}

// Variant implements format.Negotiator: HTML and JSON pages are cached
// apart, under the normalised project name.
func (Type) Variant(p string, r *http.Request) string {
	h := r.Header
	project, ok := page(p)
	if !ok {
		return p
	}
	if strings.Contains(h.Get("Accept"), JSONType) {
		return "simple/" + project + "/" + asJSON
	}
	return "simple/" + project + "/" + asHTML
}

// UpstreamPath implements format.Upstream.
func (Type) UpstreamPath(p string) string {
	if project, ok := page(p); ok {
		return "simple/" + project + "/"
	}
	return format.ExtURL(p)
}

// Prepare implements format.Upstream: the representation being filled,
// with HTML as the fallback every index serves.
func (Type) Prepare(req *http.Request, p string) {
	switch {
	case strings.HasSuffix(p, asJSON):
		req.Header.Set("Accept", JSONType+", application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01")
	case strings.HasSuffix(p, asHTML):
		req.Header.Set("Accept", "application/vnd.pypi.simple.v1+html, text/html; q=0.9")
	}
}

// Transport implements format.Upstream.
func (Type) Transport(next http.RoundTripper, c format.Credentials) http.RoundTripper {
	return format.HostAuth(next, c)
}

// listedIn names the pages that may list file p. The project is read from
// the file name (a wheel's is exact; an old sdist's may end at any dash
// before a version).
func listedIn(p string) []string {
	base := strings.TrimSuffix(path.Base(p), ".metadata")
	var names []string
	if strings.HasSuffix(base, ".whl") || strings.HasSuffix(base, ".egg") {
		names = []string{strings.SplitN(base, "-", 2)[0]}
	} else {
		for i := 1; i < len(base)-1; i++ {
			if base[i] == '-' && base[i+1] >= '0' && base[i+1] <= '9' {
				names = append(names, base[:i])
			}
		}
	}
	var out []string
	for _, n := range names {
		n = Normalize(n)
		out = append(out, "simple/"+n+"/"+asJSON, "simple/"+n+"/"+asHTML)
	}
	return out
}
