// Package rpm is the RPM repository package type (dnf, yum, zypper):
// repomd.xml and its signature change; repodata files named by their
// checksum never do, and are verified against the checksums the cached
// repomd.xml publishes; packages never change.
package rpm

import (
	"encoding/xml"
	"io"
	"path"
	"strings"

	"github.com/artifactapi/artifactapi/internal/blob"
	"github.com/artifactapi/artifactapi/internal/format"
)

// Type is the rpm package type.
type Type struct{}

// Name implements format.Type.
func (Type) Name() string { return "rpm" }

// repodata splits ".../repodata/{file}" into the repository root and file.
func repodata(p string) (root, file string, ok bool) {
	i := strings.LastIndex("/"+p, "/repodata/")
	if i < 0 {
		return "", "", false
	}
	return p[:i], p[i+len("repodata/"):], true
}

// checksumNamed reports "{hex}-{name}", as createrepo names repodata.
func checksumNamed(file string) bool {
	sum, _, ok := strings.Cut(file, "-")
	if !ok || len(sum) < 32 {
		return false
	}
	for _, c := range sum {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Classify implements format.Type.
func (Type) Classify(p string) (format.Class, error) {
	root, file, ok := repodata(p)
	switch {
	case ok && strings.HasPrefix(file, "repomd.xml"):
		// repomd.xml and its .asc/.key: what a repository is now.
		return format.Class{Kind: format.Index, Mutable: true}, nil
	case ok:
		// The seed's "repodata is mutable" is wrong for checksum-named
		// files: their name is their content.
		return format.Class{Kind: format.Artifact, Mutable: !checksumNamed(file),
			ListedIn: []string{root + "repodata/repomd.xml"}}, nil
	case strings.HasSuffix(p, ".rpm"), strings.HasSuffix(p, ".drpm"):
		return format.Class{Kind: format.Artifact}, nil
	}
	return format.Class{Kind: format.Other, Mutable: true}, nil
}

type repomd struct {
	Data []struct {
		Checksum struct {
			Type  string `xml:"type,attr"`
			Value string `xml:",chardata"`
		} `xml:"checksum"`
		Location struct {
			Href string `xml:"href,attr"`
		} `xml:"location"`
		Size int64 `xml:"size"`
	} `xml:"data"`
}

// Digests implements format.Published: every repodata file repomd.xml
// lists, with its checksum (sha256, sha1 or sha512) and size.
func (Type) Digests(index string, r io.Reader) (map[string]blob.Expect, error) {
	var md repomd
	if err := xml.NewDecoder(io.LimitReader(r, 16<<20)).Decode(&md); err != nil {
		return nil, err
	}
	root := strings.TrimSuffix(path.Dir(path.Dir(index)), ".")
	if root != "" {
		root += "/"
	}
	out := map[string]blob.Expect{}
	for _, d := range md.Data {
		href := path.Clean(d.Location.Href)
		if href == "." || strings.HasPrefix(href, "../") || strings.HasPrefix(href, "/") || strings.Contains(href, "://") {
			continue
		}
		e := blob.Expect{Size: -1}
		if d.Size > 0 {
			e.Size = d.Size
		}
		sum := strings.ToLower(strings.TrimSpace(d.Checksum.Value))
		switch alg := strings.ToLower(d.Checksum.Type); alg {
		case "sha256":
			e.SHA256 = sum
		case "sha", "sha1", "sha512", "sha384", "md5":
			if alg == "sha" {
				alg = "sha1"
			}
			e.Sums = []blob.Sum{{Alg: alg, Hex: sum}}
		}
		out[root+href] = e
	}
	return out, nil
}
