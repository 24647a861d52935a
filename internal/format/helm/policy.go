package helm

import (
	"bufio"
	"io"
	"path"
	"strings"
	"time"

	"golang.org/x/mod/semver"

	"github.com/artifactapi/artifactapi/internal/format"
)

// Release implements format.Releases: a chart archive is
// {name}-{version}.tgz (as helm package writes it), dated by the index's
// created.
func (Type) Release(p string) (format.Release, bool) {
	if p == indexPath {
		return format.Release{}, false
	}
	base := strings.TrimSuffix(path.Base(p), ".tgz")
	for i := 1; i < len(base)-1; i++ {
		if base[i] == '-' && base[i+1] >= '0' && base[i+1] <= '9' && semver.IsValid("v"+base[i+1:]) {
			name, v := base[:i], base[i+1:]
			return format.Release{Package: name, Version: v, Key: name + "@" + v, DatedIn: []string{indexPath}}, true
		}
	}
	return format.Release{}, false
}

// Dates implements format.Releases: each chart version's created.
func (Type) Dates(_ string, r io.Reader) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	cr := &chartReader{br: bufio.NewReaderSize(r, 64<<10)}
	for {
		if err := cr.advance(); err != nil {
			return out, err
		}
		if cr.cur == nil {
			return out, nil
		}
		for _, it := range cr.cur.items {
			if t, err := time.Parse(time.RFC3339, it.created); err == nil {
				out[cr.cur.name+"@"+it.version] = t
			}
		}
	}
}

// Filtered implements format.Releases: the index.
func (Type) Filtered(p string) bool { return p == indexPath }

// Filter implements format.Releases: the index without refused chart
// versions (a chart with none left is left out).
func (Type) Filter(_ string, doc func() (io.ReadCloser, error), w io.Writer, j format.Judge) error {
	keep := func(name string, it item) bool {
		rel := format.Release{Package: name, Version: it.version, Key: name + "@" + it.version, DatedIn: []string{indexPath}}
		rel.Published, _ = time.Parse(time.RFC3339, it.created)
		return j.Allow(rel)
	}
	same := func(int) func(string) string { return func(u string) string { return u } }
	return merge(w, []format.MergeInput{{Name: "index", Open: doc}}, keep, same)
}
