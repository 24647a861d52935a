// Package helm is the classic HTTP chart repository package type:
// index.yaml is mutable and rewritten so that every chart URL comes back
// through the proxy, and charts are verified against the index's digest.
package helm

import (
	"net/http"
	"strings"

	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/format/release"
)

// Type is the helm package type.
type Type struct {
	// Its remotes take a release policy (min_age, blocked_versions).
	release.Configurable
}

// Name implements format.Type.
func (Type) Name() string { return "helm" }

const indexPath = "index.yaml"

// Classify implements format.Type: the index changes (and is rewritten,
// merged, and lists every chart); charts do not. A chart on another host
// is fetched only if the index lists it, so the remote never becomes a
// proxy to arbitrary hosts.
func (Type) Classify(path string) (format.Class, error) {
	if path == indexPath {
		return format.Class{Kind: format.Index, Mutable: true}, nil
	}
	return format.Class{Kind: format.Artifact, ListedIn: []string{indexPath}, MustBeListed: strings.HasPrefix(path, format.ExtPrefix)}, nil
}

// UpstreamPath implements format.Upstream: _ext paths name their own host.
func (Type) UpstreamPath(path string) string { return format.ExtURL(path) }

// Prepare implements format.Upstream.
func (Type) Prepare(req *http.Request, path string) {
	if path != indexPath {
		req.Header.Set("Accept", "application/gzip, application/octet-stream")
	}
}

// Transport implements format.Upstream: the remote's credentials go to its
// own host only (Helm itself does the same without --pass-credentials).
func (Type) Transport(next http.RoundTripper, c format.Credentials) http.RoundTripper {
	return format.HostAuth(next, c)
}
