// Package format defines what a package type contributes to the fetch path.
// The core asks a type only through these interfaces, resolved once per
// type into Caps, so a new type is a new package plus one line in the type
// list.
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
	// Classify answers everything the core asks about one (stored) path
	// in one call. An error refuses the path before any upstream request
	// (its apierr kind gives the status: a path the protocol does not
	// have is a 404, so clients that walk a list of proxies go on).
	Classify(path string) (Class, error)
}

// Kind is what a path names in a type's protocol.
type Kind uint8

// Kinds of paths.
const (
	// Other is any path the type neither indexes nor lists.
	Other Kind = iota
	// Index is a metadata document: the type's Rewriter, Presenter and
	// Merger (those it has) apply to it, and it may list artifacts.
	Index
	// Artifact is a file that an index may list with its digests.
	Artifact
)

// Class is a type's answer for one path.
type Class struct {
	Kind Kind
	// Mutable: the path may change upstream and is revalidated after
	// mutable_ttl (a remote's mutable/immutable_patterns override it).
	Mutable bool
	// ListedIn names, for an artifact, the cached indexes that may list
	// it, in order of preference (the first one cached that lists it is
	// believed). An entry with wildcards (path.Match: * is one segment)
	// stands for every cached path it matches, newest first: an apt
	// package names its Packages index as dists/*/main/binary-amd64/….
	ListedIn []string
	// MustBeListed: an artifact on another host, fetched only when an
	// index lists it (never an open proxy).
	MustBeListed bool
}

// Verifier is implemented by types whose protocol publishes a digest for an
// artifact outside any index (a docker digest in the URL or in the
// upstream's Docker-Content-Digest). The fill refuses bytes that do not
// match.
type Verifier interface {
	// Expect returns the published digest (and size, or -1) for path, from
	// the path itself or the upstream's response header; false when the
	// protocol publishes none for it.
	Expect(path string, h http.Header) (blob.Expect, bool)
}

// Upstream is implemented by types whose upstream is not plain "GET
// base_url/path with static credentials".
type Upstream interface {
	// UpstreamPath maps a cache path to the path under base_url (or to an
	// absolute URL, for an artifact an index lists on another host).
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

// Prefetcher is implemented by types whose clients ask for known files
// soon after another (the go command: a version's .mod and .zip after its
// .info; pip: a file after its PEP 658 metadata). As a first fill of
// path asks its upstream, the engine fills what Next names alongside, in
// the background, unless it is cached: the client's next request finds it
// stored or joins its fill under way.
type Prefetcher interface {
	Next(path string) []string
}

// Rewriter is implemented by types whose indexes carry links that must
// come back through the proxy (a helm index.yaml's chart URLs). The
// rewritten bytes are what is stored and served, under their own digest;
// the upstream's validators still drive revalidation.
type Rewriter interface {
	// Rewrite copies the upstream index r to w with its links pointing
	// back through the remote whose base URL is base. It must stream: its
	// memory may not grow with the document.
	Rewrite(path string, base *url.URL, r io.Reader, w io.Writer) error
}

// Published is implemented by types whose (stored, rewritten) indexes
// publish the digests of the artifacts they list (Class.ListedIn).
type Published interface {
	// Digests reads the stored index at path index: every path it lists
	// (relative to the remote) with its expectation.
	Digests(index string, r io.Reader) (map[string]blob.Expect, error)
}

// Chained is implemented by Published types whose index names, by
// checksum, the documents that list the artifacts (an rpm repomd.xml and
// its primary.xml): the engine also passes open, which reads another of
// the remote's cached objects, verified when it was stored. A document
// open cannot find is left out, and the result is not kept; one that does
// not read is reported with the error, and what was read is still used.
type Chained interface {
	DigestsChained(index string, r io.Reader, open func(path string) (io.ReadCloser, error)) (map[string]blob.Expect, error)
}

// Merger is implemented by types whose virtual repositories answer their
// indexes with a merge of the members' stored indexes.
type Merger interface {
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
// several representations (npm's abbreviated and full documents, by
// Accept) or with a query that selects what is answered (Puppet Forge's
// lists): each is fetched, stored and served apart, under the path Variant
// returns (which Upstream.UpstreamPath maps back).
type Negotiator interface {
	Variant(path string, r *http.Request) string
}

// Presenter is implemented by types whose stored indexes need the address
// clients reach the remote by (npm's tarball URLs must be absolute).
// Present streams the stored document r to w for that address.
type Presenter interface {
	Present(path, self string, r io.Reader, w io.Writer) error
}
