package helm

import (
	"bufio"
	"fmt"
	"io"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/format"
)

// Warm implements format.Warmer: each dependency of a Chart.lock (or
// requirements.lock) from a chart repository becomes the index and then
// the chart archive the index lists for that version. OCI and file
// dependencies are not this remote's and are left out.
func (Type) Warm(_ format.Remote, file string, r io.Reader) ([]format.WarmItem, error) {
	var lock struct {
		Dependencies []struct{ Name, Repository, Version string }
	}
	if err := yaml.NewDecoder(r).Decode(&lock); err != nil {
		return nil, apierr.New(apierr.ErrInvalid, "helm: %s is not a Chart.lock: %v", path.Base(file), err)
	}
	var items []format.WarmItem
	for _, d := range lock.Dependencies {
		if d.Name == "" || d.Version == "" || strings.HasPrefix(d.Repository, "oci://") || strings.HasPrefix(d.Repository, "file://") {
			continue
		}
		name, version := d.Name, d.Version
		items = append(items, format.WarmItem{Name: name + "@" + version, Paths: []string{indexPath},
			Then: func(open func(string) (io.ReadCloser, error)) ([]string, format.WarmThen, error) {
				u, err := chartURL(open, name, version)
				return []string{u}, nil, err
			}})
	}
	if len(items) == 0 {
		return nil, apierr.New(apierr.ErrInvalid, "helm: %s lists no dependency from a chart repository", path.Base(file))
	}
	return items, nil
}

// chartURL is the path of name's version in the stored index (relative
// to the remote, as stored).
func chartURL(open func(string) (io.ReadCloser, error), name, version string) (string, error) {
	rc, err := open(indexPath)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	cr := &chartReader{br: bufio.NewReaderSize(rc, 64<<10)}
	for {
		if err := cr.advance(); err != nil {
			return "", err
		}
		if cr.cur == nil {
			return "", apierr.New(apierr.ErrNotFound, "the index does not list %s %s", name, version)
		}
		if cr.cur.name != name {
			continue
		}
		for _, it := range cr.cur.items {
			if it.version != version {
				continue
			}
			var first string
			if err := mapURLs(strings.NewReader(it.text), io.Discard, func(u string) string {
				if first == "" {
					first = u
				}
				return u
			}); err != nil {
				return "", err
			}
			if first == "" || strings.Contains(first, "://") {
				return "", fmt.Errorf("%s %s has no chart URL inside the remote", name, version)
			}
			return first, nil
		}
	}
}
