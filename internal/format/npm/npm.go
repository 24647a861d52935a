// Package npm is the npm registry package type: package documents
// (packuments) are mutable, stored apart per representation (abbreviated
// or full) with every dist.tarball pointing back through the proxy, and
// tarballs are immutable and verified against dist.integrity or shasum.
package npm

import (
	"net/http"
	"strings"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/format/release"
)

// Type is the npm package type.
type Type struct {
	// Its remotes take a release policy (min_age, blocked_versions).
	release.Configurable
}

// Name implements format.Type.
func (Type) Name() string { return "npm" }

// AbbreviatedType is the media type of npm's install-time documents.
const AbbreviatedType = "application/vnd.npm.install-v1+json"

const (
	abbreviated = "#abbreviated"
	full        = "#full"
)

// validName admits legacy names too: upper case (JSONStream) predates the
// lower-case rule, and those packages are still installed every day.
//
// It is ^(@[a-zA-Z0-9][a-zA-Z0-9._~-]*/)?[a-zA-Z0-9._~-]+$ (FuzzValidName
// checks it against that), by hand: it runs on every request.
func validName(p string) bool {
	if strings.HasPrefix(p, "@") {
		scope, rest, ok := strings.Cut(p[1:], "/")
		if !ok || scope == "" || !alnum(scope[0]) || !nameChars(scope) {
			return false
		}
		p = rest
	}
	return p != "" && nameChars(p)
}

func nameChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !alnum(c) && c != '.' && c != '_' && c != '~' && c != '-' {
			return false
		}
	}
	return true
}

func alnum(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' }

// split returns the package name of a path and whether it is a tarball.
func split(p string) (name string, tarball bool, ok bool) {
	p = strings.TrimSuffix(strings.TrimSuffix(p, abbreviated), full)
	if pkg, file, found := strings.Cut(p, "/-/"); found {
		flat := !strings.Contains(file, "/") || strings.HasPrefix(file, format.ExtPrefix)
		return pkg, true, validName(pkg) && strings.HasSuffix(file, ".tgz") && flat
	}
	return p, false, validName(p)
}

// Classify implements format.Type: package documents are indexes that
// change as versions are published; tarballs never change and are listed
// in their package's documents, whichever representation the client read.
// A tarball on another host ({package}/-/_ext/{scheme}/{host}/{path}) is
// fetched only when a document lists it. Nothing else reaches the
// upstream: audit and search are not proxied.
func (Type) Classify(p string) (format.Class, error) {
	name, tarball, ok := split(p)
	switch {
	case !ok:
		return format.Class{}, apierr.New(apierr.ErrNotFound, "npm: %s is not a package document or tarball (audit and search are not proxied)", p)
	case tarball:
		return format.Class{Kind: format.Artifact, ListedIn: []string{name + abbreviated, name + full},
			MustBeListed: strings.Contains(p, "/-/"+format.ExtPrefix)}, nil
	}
	if !isDocument(p) {
		// Stored documents carry their representation (Variant); a bare
		// name is neither rewritten nor listed.
		return format.Class{Kind: format.Other}, nil
	}
	return format.Class{Kind: format.Index, Mutable: true}, nil
}

// Variant implements format.Negotiator: abbreviated and full documents
// are different bytes and are cached apart.
func (Type) Variant(p string, r *http.Request) string {
	h := r.Header
	if _, tarball, ok := split(p); !ok || tarball {
		return p
	}
	if strings.Contains(h.Get("Accept"), AbbreviatedType) {
		return p + abbreviated
	}
	return p + full
}

func isDocument(p string) bool {
	return strings.HasSuffix(p, abbreviated) || strings.HasSuffix(p, full)
}

// UpstreamPath implements format.Upstream.
func (Type) UpstreamPath(p string) string {
	if isDocument(p) {
		return strings.TrimSuffix(strings.TrimSuffix(p, abbreviated), full)
	}
	if _, file, ok := strings.Cut(p, "/-/"); ok && strings.HasPrefix(file, format.ExtPrefix) {
		return format.ExtURL(file)
	}
	return p
}

// Prepare implements format.Upstream: the upstream is asked for the
// representation being filled.
func (Type) Prepare(req *http.Request, p string) {
	switch {
	case strings.HasSuffix(p, abbreviated):
		req.Header.Set("Accept", AbbreviatedType+"; q=1.0, application/json; q=0.8")
	case strings.HasSuffix(p, full):
		req.Header.Set("Accept", "application/json")
	}
}

// Transport implements format.Upstream.
func (Type) Transport(next http.RoundTripper, c format.Credentials) http.RoundTripper {
	return format.HostAuth(next, c)
}
