package pypi

import (
	"bufio"
	"io"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/format/release"
)

var (
	pinnedRE = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*===?\s*([^\s;]+)`)
	hashRE   = regexp.MustCompile(`--hash[=\s]+sha256:([a-f0-9]{64})`)
)

// Warm implements format.Warmer: each pinned requirement of a
// requirements file (name==version, with its --hash=sha256: values when
// given) becomes its project page and then the files of that version the
// page lists (only those with a given hash, when hashes are given), with
// their PEP 658 metadata.
func (Type) Warm(_ format.Remote, file string, r io.Reader) ([]format.WarmItem, error) {
	var items []format.WarmItem
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var logical strings.Builder
	flush := func() {
		line := strings.TrimSpace(logical.String())
		logical.Reset()
		if i := strings.Index(line, " #"); i >= 0 {
			line = line[:i]
		}
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "-") {
			return // comments and options (-i, -r, --index-url ...)
		}
		m := pinnedRE.FindStringSubmatch(line)
		if m == nil {
			items = append(items, format.WarmItem{Name: line, Then: func(func(string) (io.ReadCloser, error)) ([]string, format.WarmThen, error) {
				return nil, nil, apierr.New(apierr.ErrInvalid, "not pinned: warming needs name==version")
			}})
			return
		}
		project, version := Normalize(m[1]), m[3]
		var hashes []string
		for _, h := range hashRE.FindAllStringSubmatch(line, -1) {
			hashes = append(hashes, h[1])
		}
		pg := "simple/" + project + "/" + asJSON
		items = append(items, format.WarmItem{Name: project + "==" + version, Paths: []string{pg},
			Then: func(open func(string) (io.ReadCloser, error)) ([]string, format.WarmThen, error) {
				return filesOf(open, pg, project, version, hashes)
			}})
	}
	for sc.Scan() {
		line := sc.Text()
		if strings.HasSuffix(line, "\\") {
			logical.WriteString(strings.TrimSuffix(line, "\\") + " ")
			continue
		}
		logical.WriteString(line)
		flush()
	}
	flush()
	if err := sc.Err(); err != nil {
		return nil, apierr.New(apierr.ErrInvalid, "pypi: reading %s: %v", path.Base(file), err)
	}
	if len(items) == 0 {
		return nil, apierr.New(apierr.ErrInvalid, "pypi: %s names no requirement", path.Base(file))
	}
	return items, nil
}

// filesOf names the files of project==version its stored page lists.
func filesOf(open func(string) (io.ReadCloser, error), pg, project, version string, hashes []string) ([]string, format.WarmThen, error) {
	rc, err := open(pg)
	if err != nil {
		return nil, nil, err
	}
	defer rc.Close()
	listed, err := (Type{}).Digests(pg, rc)
	if err != nil {
		return nil, nil, err
	}
	var out []string
	for p := range listed {
		rel, ok := fileRelease(path.Base(p))
		if !ok || rel.Package != project || release.Compare(rel.Version, version) != 0 {
			continue
		}
		if file := strings.TrimSuffix(p, ".metadata"); len(hashes) > 0 && !slices.Contains(hashes, listed[file].SHA256) {
			continue
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, nil, apierr.New(apierr.ErrNotFound, "no file of %s==%s on its page (with the hashes given)", project, version)
	}
	slices.Sort(out)
	return out, nil, nil
}
