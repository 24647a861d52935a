// Package terraform is the provider registry protocol (Terraform and
// OpenTofu): version lists change; a provider's download document and the
// archive, SHA256SUMS and signature it names never do. The download
// document is rewritten so those three come back through the proxy
// (they usually live on another host, fetched only as the document lists
// them), and the archive is verified against the document's shasum.
// SHA256SUMS, its signature and the signing keys pass byte for byte: the
// client checks them.
package terraform

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/blob"
	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/format/jsonstream"
)

// Type is the terraform package type.
type Type struct{}

// Name implements format.Type.
func (Type) Name() string { return "terraform" }

const (
	providers = "v1/providers/"
	modules   = "v1/modules/"
)

// ext is where a download document's links go: under the document, so
// the document that lists a file is known from its path.
const ext = "/" + format.ExtPrefix

// linked splits "{doc}/_ext/{scheme}/{host}/{path}".
func linked(p string) (doc string, ok bool) {
	doc, _, ok = strings.Cut(p, ext)
	return doc, ok && isDownload(doc)
}

// isDownload reports a download document: a provider's
// "v1/providers/{ns}/{type}/{version}/download/{os}/{arch}" or a module's
// "v1/modules/{ns}/{name}/{system}/{version}/download".
func isDownload(p string) bool {
	if rest, ok := strings.CutPrefix(p, providers); ok {
		parts := strings.Split(rest, "/")
		return len(parts) == 6 && parts[3] == "download" && !slices.Contains(parts, "")
	}
	return isModuleDownload(p)
}

func isModuleDownload(p string) bool {
	rest, ok := strings.CutPrefix(p, modules)
	parts := strings.Split(rest, "/")
	return ok && len(parts) == 5 && parts[4] == "download" && !slices.Contains(parts, "")
}

// isVersions reports a provider's or module's version list.
func isVersions(p string) bool {
	switch {
	case strings.HasPrefix(p, providers):
		return strings.HasSuffix(p, "/versions") && strings.Count(p, "/") == 4
	case strings.HasPrefix(p, modules):
		return strings.HasSuffix(p, "/versions") && strings.Count(p, "/") == 5
	}
	return false
}

// Classify implements format.Type.
func (Type) Classify(p string) (format.Class, error) {
	switch {
	case isDownload(p):
		return format.Class{Kind: format.Index}, nil
	case isVersions(p):
		return format.Class{Kind: format.Other, Mutable: true}, nil
	}
	if doc, ok := linked(p); ok {
		return format.Class{Kind: format.Artifact, ListedIn: []string{doc}, MustBeListed: true}, nil
	}
	return format.Class{}, apierr.New(apierr.ErrNotFound,
		"terraform: %s is not a registry path (v1/providers/{namespace}/{type}/versions, …/{version}/download/{os}/{arch}; v1/modules/{namespace}/{name}/{system}/versions, …/{version}/download)", p)
}

// linkFields are the download documents' URLs (a module's "location" is
// a go-getter address: only a plain http(s) URL is followed).
var linkFields = map[string]bool{"download_url": true, "shasums_url": true, "shasums_signature_url": true, "location": true}

// Rewrite implements format.Rewriter: the three URLs of a download
// document become paths under it; relative ones resolve against the
// document's own URL, as the protocol says.
func (Type) Rewrite(p string, base *url.URL, r io.Reader, w io.Writer) error {
	docURL := *base
	docURL.Path = strings.TrimSuffix(base.Path, "/") + "/" + p
	docURL.RawPath = ""
	return jsonstream.Walk(r, w, func(container, key, v string) string {
		if container != "" || !linkFields[key] || v == "" {
			return v
		}
		if key == "location" && !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") && !strings.HasPrefix(v, "/") &&
			!strings.HasPrefix(v, "./") && !strings.HasPrefix(v, "../") {
			return v // git::, s3:: and other go-getter sources: the client's
		}
		u, err := docURL.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil || u.Host == "" || u.RawQuery != "" ||
			strings.Contains(strings.TrimPrefix(u.Path, "/"), "//") {
			return v // not a link the proxy can follow (a signed URL, a go-getter subdirectory): left for the client
		}
		return p + ext + u.Scheme + "/" + u.Host + (&url.URL{Path: path.Clean("/" + u.Path)}).EscapedPath()
	}, nil)
}

// Present implements format.Presenter: the stored paths become absolute
// for the address the client reaches the remote by.
func (Type) Present(_, self string, r io.Reader, w io.Writer) error {
	return jsonstream.Walk(r, w, func(container, key, v string) string {
		if container == "" && linkFields[key] && strings.Contains(v, ext) && !strings.Contains(v, "://") {
			return self + "/" + v
		}
		return v
	}, nil)
}

// Digests implements format.Published: the archive with the document's
// shasum; SHA256SUMS and its signature are listed without a digest (the
// client verifies them).
func (Type) Digests(_ string, r io.Reader) (map[string]blob.Expect, error) {
	links := map[string]string{}
	var shasum string
	err := jsonstream.Walk(r, io.Discard, func(container, key, v string) string {
		if container == "" && linkFields[key] {
			links[key] = v
		}
		if container == "" && key == "shasum" {
			shasum = strings.ToLower(v)
		}
		return v
	}, nil)
	if err != nil {
		return nil, err
	}
	out := map[string]blob.Expect{}
	for key, p := range links {
		e := blob.Expect{Size: -1}
		if key == "download_url" && len(shasum) == 64 {
			e.SHA256 = shasum
		}
		out[p] = e
	}
	return out, nil
}

// UpstreamPath implements format.Upstream: a link under a document is
// the absolute URL it stands for.
func (Type) UpstreamPath(p string) string {
	if _, rest, ok := strings.Cut(p, ext); ok {
		return format.ExtURL(format.ExtPrefix + rest)
	}
	return p
}

// Prepare implements format.Upstream.
func (Type) Prepare(req *http.Request, p string) {
	if isDownload(p) || strings.HasSuffix(p, "/versions") {
		req.Header.Set("Accept", "application/json")
	}
}

// Transport implements format.Upstream: the remote's credentials (a
// private registry's token) go to its own origin only, and a module
// download's "204 + X-Terraform-Get" becomes the equivalent 200
// {"location": …} document, which the CLI reads as well and which can be
// cached and rewritten like any document.
func (Type) Transport(next http.RoundTripper, c format.Credentials) http.RoundTripper {
	return moduleLocation{format.HostAuth(next, c)}
}

type moduleLocation struct{ next http.RoundTripper }

func (m moduleLocation) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := m.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusNoContent || resp.Header.Get("X-Terraform-Get") == "" || !strings.HasSuffix(req.URL.Path, "/download") {
		return resp, err
	}
	resp.Body.Close()
	b, _ := json.Marshal(map[string]string{"location": resp.Header.Get("X-Terraform-Get")})
	resp.StatusCode, resp.Status = http.StatusOK, "200 OK"
	resp.Header.Set("Content-Type", "application/json")
	resp.Header.Del("X-Terraform-Get")
	resp.ContentLength = int64(len(b))
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}
