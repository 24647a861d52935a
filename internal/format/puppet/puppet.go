// Package puppet is the Puppet Forge (API v3) package type: module and
// release documents change, and lists are kept apart per query (the query
// is part of what is asked); release files never change and are verified
// against the file_sha256 (else file_md5) of the document that listed
// them.
package puppet

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/blob"
	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/format/jsonstream"
)

// Type is the puppet package type.
type Type struct{}

// Name implements format.Type.
func (Type) Name() string { return "puppet" }

// queryMark separates a list's path from its query in a stored path.
const queryMark = "#q="

// listedMark puts the document that listed a file into the file's path:
// v3/files/_in/{base64 of the document's path}/{file}.
const listedMark = "v3/files/_in/"

func isDocument(p string) bool {
	base, _, _ := strings.Cut(p, queryMark)
	return base == "v3/modules" || base == "v3/releases" || strings.HasPrefix(base, "v3/modules/") || strings.HasPrefix(base, "v3/releases/")
}

// listedBy splits a file path into the document that listed it and the
// Forge's own file path.
func listedBy(p string) (doc, file string, ok bool) {
	rest, found := strings.CutPrefix(p, listedMark)
	if !found {
		return "", "", false
	}
	enc, name, found := strings.Cut(rest, "/")
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if !found || err != nil || !isDocument(string(raw)) || strings.Contains(name, "/") {
		return "", "", false
	}
	return string(raw), "v3/files/" + name, true
}

// Classify implements format.Type.
func (Type) Classify(p string) (format.Class, error) {
	switch {
	case isDocument(p):
		return format.Class{Kind: format.Index, Mutable: true}, nil
	case strings.HasPrefix(p, "v3/files/") && strings.HasSuffix(p, ".tar.gz"):
		if doc, _, ok := listedBy(p); ok {
			return format.Class{Kind: format.Artifact, ListedIn: []string{doc}}, nil
		}
		if strings.Count(p, "/") == 2 {
			return format.Class{Kind: format.Artifact}, nil // asked for directly (r10k): stored by its sha256
		}
	}
	return format.Class{}, apierr.New(apierr.ErrNotFound, "puppet: %s is not a Forge v3 path (v3/modules, v3/releases, v3/files)", p)
}

// Variant implements format.Negotiator: a list's query selects what it
// answers, so it is part of the stored path (sorted, so the same question
// asked in another order is the same document).
func (Type) Variant(p string, r *http.Request) string {
	if (p == "v3/releases" || p == "v3/modules") && r.URL.RawQuery != "" {
		return p + queryMark + r.URL.Query().Encode()
	}
	return p
}

// UpstreamPath implements format.Upstream.
func (Type) UpstreamPath(p string) string {
	if base, q, ok := strings.Cut(p, queryMark); ok {
		return base + "?" + q
	}
	if _, file, ok := listedBy(p); ok {
		return file
	}
	return p
}

// Prepare implements format.Upstream.
func (Type) Prepare(req *http.Request, p string) {
	if isDocument(p) {
		req.Header.Set("Accept", "application/json")
	}
}

// Transport implements format.Upstream.
func (Type) Transport(next http.RoundTripper, c format.Credentials) http.RoundTripper {
	return format.HostAuth(next, c)
}

// Rewrite implements format.Rewriter: a release's file_uri
// ("/v3/files/x.tar.gz", relative to the repository: the puppet client
// prepends its repository path itself) names the document that lists it,
// so the file can be verified against it. Absolute URIs and
// pagination.next (root-relative lists, answered here by query) stay.
func (Type) Rewrite(p string, _ *url.URL, r io.Reader, w io.Writer) error {
	enc := base64.RawURLEncoding.EncodeToString([]byte(p))
	return jsonstream.Walk(r, w, func(_, key, v string) string {
		name, ok := strings.CutPrefix(v, "/v3/files/")
		if key == "file_uri" && ok && strings.HasSuffix(name, ".tar.gz") && !strings.Contains(name, "/") {
			return "/" + listedMark + enc + "/" + name
		}
		return v
	}, nil)
}

// Digests implements format.Published: every release file a stored
// document lists, with its sha256 (else md5) and size.
func (Type) Digests(_ string, r io.Reader) (map[string]blob.Expect, error) {
	out := map[string]blob.Expect{}
	type rel struct{ uri, sha256, md5 string }
	var cur rel
	flush := func() {
		if p := strings.TrimPrefix(cur.uri, "/"); strings.HasPrefix(p, listedMark) {
			e := blob.Expect{Size: -1, SHA256: strings.ToLower(cur.sha256)}
			if e.SHA256 == "" && cur.md5 != "" {
				e.Sums = []blob.Sum{{Alg: "md5", Hex: cur.md5}}
			}
			out[p] = e
		}
		cur = rel{}
	}
	err := jsonstream.Walk(r, io.Discard, func(_, key, v string) string {
		switch key {
		case "file_uri":
			cur.uri = v
		case "file_sha256":
			cur.sha256 = v
		case "file_md5":
			cur.md5 = v
		}
		return v
	}, func(container string) {
		// A release closes: one of a list's results, or a release
		// document itself (its metadata closes inside it, earlier).
		if container == "results" || container == "" {
			flush()
		}
	})
	return out, err
}
