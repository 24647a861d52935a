package rpm

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/artifactapi/artifactapi/internal/blob"
	"github.com/artifactapi/artifactapi/internal/format/compress"
)

// maxPackages bounds what one primary.xml may list: Fedora's largest has
// under 100,000 packages, and the map is kept in memory.
const maxPackages = 1 << 20

// DigestsChained implements format.Chained: the repodata files repomd.xml
// lists and, when the primary.xml it names is cached, every package that
// lists, with its checksum and size: a package is checked against the
// repository metadata dnf itself checks it against.
func (t Type) DigestsChained(index string, r io.Reader, open func(string) (io.ReadCloser, error)) (map[string]blob.Expect, error) {
	md, err := decodeRepomd(r)
	if err != nil {
		return nil, err
	}
	root := repoRoot(index)
	out := md.expects(root)
	var bad error
	for _, d := range md.Data {
		if d.Type != "primary" {
			continue
		}
		href, ok := relative(d.Location.Href)
		if !ok {
			continue
		}
		rc, err := open(root + href)
		if err != nil {
			continue // not cached yet: packages are fetched unchecked until it is
		}
		// A primary that does not read (it matched repomd, so the
		// upstream published it so) leaves its packages unchecked; it
		// must not also lose the checks on the repodata files.
		err = readPrimary(rc, root, out)
		rc.Close()
		if err != nil {
			bad = errors.Join(bad, fmt.Errorf("%s: %w", root+href, err))
		}
	}
	return out, bad
}

type primaryPackage struct {
	Checksum checksum `xml:"checksum"`
	Size     struct {
		Package int64 `xml:"package,attr"`
	} `xml:"size"`
	Location struct {
		Href string `xml:"href,attr"`
		Base string `xml:"base,attr"`
	} `xml:"location"`
}

// readPrimary adds every package primary.xml lists under root; one with
// an xml:base lives elsewhere and is left out.
func readPrimary(r io.Reader, root string, out map[string]blob.Expect) error {
	rc, err := compress.Reader(r)
	if err != nil {
		return err
	}
	defer rc.Close()
	dec := xml.NewDecoder(rc)
	n := 0
	sawMetadata := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			if !sawMetadata {
				return errors.New("not a primary.xml: no <metadata>")
			}
			return nil
		}
		if err != nil {
			return err
		}
		se, ok := tok.(xml.StartElement)
		if ok && se.Name.Local == "metadata" {
			sawMetadata = true
		}
		if !ok || se.Name.Local != "package" {
			continue
		}
		var p primaryPackage
		if err := dec.DecodeElement(&p, &se); err != nil {
			return err
		}
		if n++; n > maxPackages {
			return errors.New("too many packages")
		}
		href, ok := relative(p.Location.Href)
		if !ok || p.Location.Base != "" || !strings.HasSuffix(href, ".rpm") {
			continue
		}
		out[root+href] = p.Checksum.expect(p.Size.Package)
	}
}

// relative cleans a location href, refusing one that leaves the
// repository.
func relative(href string) (string, bool) {
	h := path.Clean(href)
	if h == "." || h == ".." || strings.HasPrefix(h, "../") || strings.HasPrefix(h, "/") || strings.Contains(h, "://") {
		return "", false
	}
	return h, true
}
