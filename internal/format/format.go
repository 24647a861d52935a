// Package format defines what a package type contributes to the fetch path.
// The core asks a type only through these interfaces, so a new type is a new
// package plus one line in all.go.
package format

import (
	"io"
	"net/http"
	"net/url"

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

// Credentials are a remote's upstream credentials, and the host (of its
// base URL) they belong to.
type Credentials struct {
	Username, Password, Token string
	Host                      string
}

// HostAuth sends c's credentials (Bearer token, else Basic) to c.Host only.
func HostAuth(next http.RoundTripper, c Credentials) http.RoundTripper {
	return hostAuth{next, c}
}

type hostAuth struct {
	next http.RoundTripper
	c    Credentials
}

func (h hostAuth) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != h.c.Host || (h.c.Token == "" && h.c.Username == "" && h.c.Password == "") {
		return h.next.RoundTrip(req)
	}
	req = req.Clone(req.Context())
	if h.c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+h.c.Token)
	} else {
		req.SetBasicAuth(h.c.Username, h.c.Password)
	}
	return h.next.RoundTrip(req)
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

// Rewriter is implemented by types whose metadata documents carry links
// that must come back through the proxy (a helm index.yaml's chart URLs).
// The rewritten bytes are what is stored and served, under their own
// digest; the upstream's validators still drive revalidation.
type Rewriter interface {
	// Rewrites reports whether path is such a document.
	Rewrites(path string) bool
	// Rewrite copies the upstream document r to w with its links pointing
	// back through the remote whose base URL is base. It must stream: its
	// memory may not grow with the document.
	Rewrite(path string, base *url.URL, r io.Reader, w io.Writer) error
}

// Published is implemented by types whose (stored, rewritten) index
// documents publish the digests of the artifacts they list.
type Published interface {
	// IndexFor names the cached documents that may list path, in order of
	// preference (the first one cached is read); none for an index itself.
	IndexFor(path string) []string
	// Digests reads a stored index: every listed path with its expectation.
	Digests(r io.Reader) (map[string]blob.Expect, error)
	// MustBeListed reports whether path may be fetched only when the index
	// lists it (an artifact on another host: never an open proxy).
	MustBeListed(path string) bool
}

// Merger is implemented by types whose virtual repositories answer some
// paths (an index) with a merge of their members' stored documents.
type Merger interface {
	// Merges reports whether path is such a document.
	Merges(path string) bool
	// Merge writes the merged document and says its media type; members
	// come in precedence order. It must stream: memory may not grow with
	// the documents. Paths in members' documents are relative to their
	// remote; links in the merge must lead to the member that listed them.
	Merge(w io.Writer, path string, members []MergeInput) (contentType string, err error)
}

// MergeInput is one member's stored document, and where the member lives
// relative to the proxy's /api/v1/ (the virtual is at virtual/{name}/).
type MergeInput struct {
	Name string
	Root string // "remote/{member}/"

	// Open reads the document; a merge may read it more than once.
	Open func() (io.ReadCloser, error)
}

// Negotiator is implemented by types whose clients ask for one path in
// several representations (npm's abbreviated and full documents): each is
// fetched, stored and served apart, under the path Variant returns.
type Negotiator interface {
	Variant(path string, h http.Header) string
}

// Presenter is implemented by types whose stored documents need the
// address clients reach the remote by (npm's tarball URLs must be
// absolute). Present streams the stored document r to w for that address.
type Presenter interface {
	Presents(path string) bool
	Present(path, self string, r io.Reader, w io.Writer) error
}
