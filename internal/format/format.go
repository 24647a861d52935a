// Package format defines what a package type contributes to the fetch path.
// The core asks a type only through these interfaces, so a new type is a new
// package plus one line in all.go.
package format

import (
	"net/http"

	"github.com/artifactapi/artifactapi/internal/blob"
)

// Type is a package type: the minimum every type implements.
type Type interface {
	// Name is the package_type value users configure.
	Name() string
	// Mutable says whether the artifact at path may change upstream (and is
	// revalidated after mutable_ttl) rather than being fixed forever.
	Mutable(path string) bool
}

// Verifier is implemented by types whose protocol publishes a digest for an
// artifact before it is fetched (a docker digest in the URL, an npm
// integrity, a PyPI #sha256=). The fill refuses bytes that do not match.
type Verifier interface {
	// Expect returns the published digest (and size, or -1) for path, from
	// the path itself or the upstream's response header; false when the
	// protocol publishes none for it.
	Expect(path string, h http.Header) (blob.Expect, bool)
}

// Credentials are a remote's upstream credentials.
type Credentials struct {
	Username, Password, Token string
}

// Upstream is implemented by types whose upstream is not plain "GET
// base_url/path with static credentials".
type Upstream interface {
	// UpstreamPath maps a cache path to the path under base_url.
	UpstreamPath(path string) string
	// Prepare sets what the upstream request for path needs (Accept...).
	Prepare(req *http.Request, path string)
	// Transport wraps next with the type's own authentication, which then
	// owns the credentials (the core sends none itself).
	Transport(next http.RoundTripper, c Credentials) http.RoundTripper
}

// HeadRevalidator is implemented by types whose upstreams count GETs
// against a quota (Docker Hub counts manifest GETs as pulls, even
// conditional ones): a stale copy is revalidated with a HEAD first, and is
// current when Current says so from the HEAD's headers.
type HeadRevalidator interface {
	Current(path string, h http.Header, sha256 string) bool
}

// Checker is implemented by types that know which paths their protocol
// has: anything else is refused (with the error Check returns) before any
// upstream request.
type Checker interface {
	Check(path string) error
}
