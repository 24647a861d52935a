// Package docker is the OCI / Docker Registry v2 package type: manifests by
// tag are mutable, blobs and manifests by digest are immutable and verified
// against their digest, and upstream registries are reached through the
// bearer-token dance.
package docker

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/artifactapi/artifactapi/internal/blob"
	"github.com/artifactapi/artifactapi/internal/format"
)

// Manifest media types a client may ask for, most preferred first; the
// upstream is asked with all of them so one cached copy serves most clients.
var ManifestTypes = []string{
	"application/vnd.oci.image.index.v1+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.docker.distribution.manifest.v2+json",
	"application/vnd.docker.distribution.manifest.v1+prettyjws",
	"application/vnd.docker.distribution.manifest.v1+json",
}

// Kind is what a registry path names.
type Kind int

// Kinds of registry paths.
const (
	Manifest Kind = iota + 1
	Blob
	Tags
	// Referrers is the OCI 1.1 referrers list of a manifest (signatures,
	// SBOMs attached to it): {repo}/referrers/{digest}.
	Referrers
)

// Ref is a parsed registry path: {repo}/manifests/{ref}, {repo}/blobs/{digest}
// or {repo}/tags/list.
type Ref struct {
	Repo   string
	Kind   Kind
	Ref    string // tag or digest; empty for Tags
	Digest string // hex sha256 when Ref is a digest

	client string // {name}/{repo} as the client asked (front end only)
}

// IsTag reports whether a manifest is asked for by tag.
func (r Ref) IsTag() bool { return r.Kind == Manifest && r.Digest == "" }

// Path is the cache path of r.
func (r Ref) Path() string {
	switch r.Kind {
	case Manifest:
		return r.Repo + "/manifests/" + r.Ref
	case Blob:
		return r.Repo + "/blobs/" + r.Ref
	case Referrers:
		return r.Repo + "/referrers/" + r.Ref
	}
	return r.Repo + "/tags/list"
}

var (
	repoRE   = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
	tagRE    = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)
	digestRE = regexp.MustCompile(`^sha256:([a-f0-9]{64})$`)
)

// Parse splits a registry path (after /v2/{name}/).
func Parse(p string) (Ref, *ErrCode) {
	var r Ref
	switch {
	case strings.HasSuffix(p, "/tags/list"):
		r.Repo, r.Kind = strings.TrimSuffix(p, "/tags/list"), Tags
	default:
		i := strings.LastIndex(p, "/")
		j := strings.LastIndex(p[:max(i, 0)], "/")
		if i < 0 || j < 0 {
			return r, &ErrCode{"NAME_INVALID", "path is not {repository}/manifests/{reference}, {repository}/blobs/{digest}, {repository}/referrers/{digest} or {repository}/tags/list"}
		}
		r.Repo, r.Ref = p[:j], p[i+1:]
		switch p[j+1 : i] {
		case "manifests":
			r.Kind = Manifest
		case "blobs":
			r.Kind = Blob
		case "referrers":
			r.Kind = Referrers
		default:
			return r, &ErrCode{"UNSUPPORTED", "unsupported registry path " + p}
		}
	}
	if !repoRE.MatchString(r.Repo) || len(r.Repo) > 255 {
		return r, &ErrCode{"NAME_INVALID", "invalid repository name " + r.Repo}
	}
	if r.Kind == Tags {
		return r, nil
	}
	if m := digestRE.FindStringSubmatch(r.Ref); m != nil {
		r.Digest = m[1]
		return r, nil
	}
	if r.Kind == Blob || r.Kind == Referrers {
		return r, &ErrCode{"DIGEST_INVALID", "invalid or unsupported digest " + r.Ref + " (sha256 only)"}
	}
	// A reference no manifest can have is a manifest that is not there
	// (the distribution spec's answer to a pull), never an upstream request.
	if strings.Contains(r.Ref, ":") || !tagRE.MatchString(r.Ref) {
		return r, &ErrCode{"MANIFEST_UNKNOWN", "no manifest can be named " + r.Ref + " (a tag, or a sha256 digest)"}
	}
	return r, nil
}

// Type is the docker package type.
type Type struct{}

// Name implements format.Type.
func (Type) Name() string { return "docker" }

// Classify implements format.Type: tags, tag lists and referrers lists
// move, digests do not. Registry paths are parsed (and refused) by the
// front end before they get here.
func (Type) Classify(path string) (format.Class, error) {
	r, err := Parse(path)
	return format.Class{Kind: format.Artifact, Mutable: err == nil && (r.IsTag() || r.Kind == Tags || r.Kind == Referrers)}, nil
}

// Expect implements format.Verifier: a digest in the path, or the
// Docker-Content-Digest the upstream sent with a manifest by tag.
func (Type) Expect(path string, h http.Header) (blob.Expect, bool) {
	r, err := Parse(path)
	if err != nil || r.Kind == Tags || r.Kind == Referrers { // a referrers list's digest is its subject's
		return blob.Expect{}, false
	}
	if r.Digest != "" {
		return blob.Expect{SHA256: r.Digest, Size: -1}, true
	}
	if m := digestRE.FindStringSubmatch(h.Get("Docker-Content-Digest")); m != nil {
		return blob.Expect{SHA256: m[1], Size: -1}, true
	}
	return blob.Expect{}, false
}

// Current implements format.HeadRevalidator: a tag is unchanged when the
// upstream still names the cached digest.
func (Type) Current(path string, h http.Header, sha256 string) bool {
	r, err := Parse(path)
	return err == nil && r.IsTag() && h.Get("Docker-Content-Digest") == "sha256:"+sha256
}

// UpstreamPath implements format.Upstream.
func (Type) UpstreamPath(path string) string { return "v2/" + path }

// Prepare implements format.Upstream: manifests are asked for in every
// media type, so the cached copy is the upstream's preferred one.
func (Type) Prepare(req *http.Request, path string) {
	if r, err := Parse(path); err == nil && r.Kind == Manifest {
		req.Header.Set("Accept", strings.Join(ManifestTypes, ", "))
	} else if err == nil && r.Kind == Referrers {
		req.Header.Set("Accept", IndexType)
	}
}

// Transport implements format.Upstream.
func (Type) Transport(next http.RoundTripper, c format.Credentials) http.RoundTripper {
	return &authTransport{next: next, creds: c, tokens: tokens}
}

// IsHub reports whether host is Docker Hub, whose official images live
// under library/ (clients add it only when they talk to Hub directly).
func IsHub(host string) bool {
	switch strings.ToLower(host) {
	case "registry-1.docker.io", "docker.io", "index.docker.io", "registry.hub.docker.com":
		return true
	}
	return false
}

// Accepts reports whether an Accept header admits media type mt. An empty
// header admits the schema 2 manifest and OCI types (what registries assume).
func Accepts(accept []string, mt string) bool {
	if len(accept) == 0 {
		return true
	}
	for _, line := range accept {
		for _, part := range strings.Split(line, ",") {
			v, _, _ := strings.Cut(strings.TrimSpace(part), ";")
			if v == mt || v == "*/*" {
				return true
			}
		}
	}
	return false
}
