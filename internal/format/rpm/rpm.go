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
	case strings.HasSuffix(p, ".rpm"):
		// Its repository may be any folder above it; the nearest cached
		// repomd.xml whose primary.xml lists it says what it must be.
		var in []string
		for d := path.Dir(p); len(in) < 8; d = path.Dir(d) {
			if d == "." || d == "/" {
				in = append(in, "repodata/repomd.xml")
				break
			}
			in = append(in, d+"/repodata/repomd.xml")
		}
		return format.Class{Kind: format.Artifact, ListedIn: in}, nil
	case strings.HasSuffix(p, ".drpm"):
		return format.Class{Kind: format.Artifact}, nil
	}
	return format.Class{Kind: format.Other, Mutable: true}, nil
}

type checksum struct {
	Type  string `xml:"type,attr"`
	Value string `xml:",chardata"`
}

// expect turns a published checksum and size into an expectation.
func (c checksum) expect(size int64) blob.Expect {
	e := blob.Expect{Size: -1}
	if size > 0 {
		e.Size = size
	}
	sum := strings.ToLower(strings.TrimSpace(c.Value))
	switch alg := strings.ToLower(c.Type); alg {
	case "sha256":
		e.SHA256 = sum
	case "sha", "sha1", "sha512", "sha384", "md5":
		if alg == "sha" {
			alg = "sha1"
		}
		e.Sums = []blob.Sum{{Alg: alg, Hex: sum}}
	}
	return e
}

type repomd struct {
	Data []struct {
		Type     string   `xml:"type,attr"`
		Checksum checksum `xml:"checksum"`
		Location struct {
			Href string `xml:"href,attr"`
		} `xml:"location"`
		Size int64 `xml:"size"`
	} `xml:"data"`
}

func decodeRepomd(r io.Reader) (repomd, error) {
	var md repomd
	err := xml.NewDecoder(io.LimitReader(r, 16<<20)).Decode(&md)
	return md, err
}

// repoRoot is the repository of a repodata/repomd.xml path, "" or ending
// in a slash.
func repoRoot(index string) string {
	root := strings.TrimSuffix(path.Dir(path.Dir(index)), ".")
	if root != "" {
		root += "/"
	}
	return root
}

// expects lists the repodata files under root.
func (md repomd) expects(root string) map[string]blob.Expect {
	out := map[string]blob.Expect{}
	for _, d := range md.Data {
		if href, ok := relative(d.Location.Href); ok {
			out[root+href] = d.Checksum.expect(d.Size)
		}
	}
	return out
}

// Digests implements format.Published: every repodata file repomd.xml
// lists, with its checksum (sha256, sha1 or sha512) and size.
func (Type) Digests(index string, r io.Reader) (map[string]blob.Expect, error) {
	md, err := decodeRepomd(r)
	if err != nil {
		return nil, err
	}
	return md.expects(repoRoot(index)), nil
}
