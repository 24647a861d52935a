package docker

import (
	"bufio"
	"encoding/json"
	"io"
	"strings"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/format"
)

// Warm implements format.Warmer: a list of image references, one per line
// (repo:tag, repo@sha256:…, with or without a registry host, which is
// dropped: the remote is the registry), each fetched as its manifest,
// then, for an index, every platform's manifest, and each image's config
// and layers.
func (Type) Warm(rem format.Remote, _ string, r io.Reader) ([]format.WarmItem, error) {
	var items []format.WarmItem
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		repo, ref := splitImage(line)
		if IsHub(rem.BaseURL().Host) && !strings.Contains(repo, "/") {
			repo = "library/" + repo
		}
		p := repo + "/manifests/" + ref
		if _, err := Parse(p); err != nil {
			return nil, apierr.New(apierr.ErrInvalid, "docker: %q is not an image reference: %s", line, err.Message)
		}
		items = append(items, format.WarmItem{Name: line, Paths: []string{p}, Then: manifestParts(repo, p)})
	}
	if err := sc.Err(); err != nil {
		return nil, apierr.New(apierr.ErrInvalid, "docker: reading the image list: %v", err)
	}
	if len(items) == 0 {
		return nil, apierr.New(apierr.ErrInvalid, "docker: the image list names no image")
	}
	return items, nil
}

// splitImage splits [host/]repo[:tag][@digest] into repo and reference.
func splitImage(s string) (repo, ref string) {
	if first, rest, ok := strings.Cut(s, "/"); ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		s = rest
	}
	if name, digest, ok := strings.Cut(s, "@"); ok {
		return name, digest
	}
	if i := strings.LastIndex(s, ":"); i > strings.LastIndex(s, "/") {
		return s[:i], s[i+1:]
	}
	return s, "latest"
}

// manifestParts names what the manifest at p refers to: an index's
// manifests (and then theirs), an image's config and layers.
func manifestParts(repo, p string) format.WarmThen {
	return func(open func(string) (io.ReadCloser, error)) ([]string, format.WarmThen, error) {
		rc, err := open(p)
		if err != nil {
			return nil, nil, err
		}
		defer rc.Close()
		var m struct {
			Manifests []struct{ Digest string }
			Config    struct{ Digest string }
			Layers    []struct{ Digest string }
		}
		if err := json.NewDecoder(io.LimitReader(rc, 4<<20)).Decode(&m); err != nil {
			return nil, nil, err
		}
		var paths []string
		if len(m.Manifests) > 0 {
			var children []format.WarmThen
			for _, c := range m.Manifests {
				cp := repo + "/manifests/" + c.Digest
				paths = append(paths, cp)
				children = append(children, manifestParts(repo, cp))
			}
			return paths, all(children), nil
		}
		for _, d := range append([]struct{ Digest string }{m.Config}, m.Layers...) {
			if d.Digest != "" {
				paths = append(paths, repo+"/blobs/"+d.Digest)
			}
		}
		return paths, nil, nil
	}
}

// all runs every step and joins what they name.
func all(steps []format.WarmThen) format.WarmThen {
	return func(open func(string) (io.ReadCloser, error)) ([]string, format.WarmThen, error) {
		var paths []string
		for _, s := range steps {
			p, _, err := s(open)
			if err != nil {
				return nil, nil, err
			}
			paths = append(paths, p...)
		}
		return paths, nil, nil
	}
}
