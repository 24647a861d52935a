package npm

import (
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/url"
	"strings"

	"github.com/artifactapi/artifactapi/internal/blob"
	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/format/jsonstream"
)

// Rewrite implements format.Rewriter: every dist.tarball becomes a path
// relative to the remote (Present makes it absolute for each client).
// A tarball on another host becomes {package}/-/_ext/..., so that its path
// names the document that lists it.
func (Type) Rewrite(doc string, base *url.URL, r io.Reader, w io.Writer) error {
	name, _, _ := split(doc)
	return jsonstream.Walk(r, w, func(container, key, v string) string {
		if container != "dist" || key != "tarball" {
			return v
		}
		p := format.LinkPath(base, v)
		if strings.HasPrefix(p, format.ExtPrefix) {
			p = name + "/-/" + p
		}
		return p
	}, nil)
}

// Present implements format.Presenter: npm needs absolute tarball URLs, on
// the address this client reaches the remote by. The stored document is
// Rewrite's (or a merge's) output, so only its tarball values are touched.
func (Type) Present(_, self string, r io.Reader, w io.Writer) error {
	return jsonstream.Retarget(r, w, "dist", "tarball", func(v string) string {
		if !strings.Contains(v, "://") {
			return self + "/" + v
		}
		return v
	})
}

// Digests implements format.Published: each tarball path of a stored
// document with its dist.integrity (or shasum, as sha1 integrity).
func (Type) Digests(_ string, r io.Reader) (map[string]blob.Expect, error) {
	out := map[string]blob.Expect{}
	var tarball, integrity, shasum string
	err := jsonstream.Walk(r, io.Discard, func(container, key, v string) string {
		if container != "dist" {
			return v
		}
		switch key {
		case "tarball":
			tarball = v
		case "integrity":
			integrity = v
		case "shasum":
			shasum = v
		}
		return v
	}, func(container string) {
		if container != "dist" {
			return
		}
		if integrity == "" && len(shasum) == 40 {
			if b, err := hexDecode(shasum); err == nil {
				integrity = "sha1-" + b
			}
		}
		if p, err := url.PathUnescape(tarball); err == nil && tarball != "" && integrity != "" && !strings.Contains(tarball, "://") {
			out[p] = blob.Expect{Integrity: integrity, Size: -1}
		}
		tarball, integrity, shasum = "", "", ""
	})
	return out, err
}

// hexDecode turns a hex sha1 into the base64 an SRI string carries.
func hexDecode(h string) (string, error) {
	b, err := hex.DecodeString(h)
	return base64.StdEncoding.EncodeToString(b), err
}
