package npm

import (
	"encoding/json"
	"io"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/format/jsonstream"
)

// lockfile is what warming reads of package-lock.json and
// npm-shrinkwrap.json: v2/v3 "packages" (keyed by node_modules path) and
// v1 "dependencies" (nested).
type lockfile struct {
	LockfileVersion int                    `json:"lockfileVersion"`
	Packages        map[string]lockPackage `json:"packages"`
	Dependencies    map[string]lockDep     `json:"dependencies"`
}

type lockPackage struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	Link     bool   `json:"link"`
	InBundle bool   `json:"inBundle"`
	Resolved string `json:"resolved"`
}

type lockDep struct {
	Version      string             `json:"version"`
	Bundled      bool               `json:"bundled"`
	Dependencies map[string]lockDep `json:"dependencies"`
}

// Warm implements format.Warmer: every package version a lockfile
// installs, as its abbreviated document (what npm reads, and what lists
// the tarball's integrity) and its tarball.
func (Type) Warm(_ format.Remote, file string, r io.Reader) ([]format.WarmItem, error) {
	if f := path.Base(file); f != "package-lock.json" && f != "npm-shrinkwrap.json" {
		return nil, apierr.New(apierr.ErrInvalid, "npm: warming reads package-lock.json or npm-shrinkwrap.json, not %s", f)
	}
	var lock lockfile
	if err := json.NewDecoder(r).Decode(&lock); err != nil {
		return nil, apierr.New(apierr.ErrInvalid, "npm: %s is not a lockfile: %v", file, err)
	}
	seen := map[string]bool{}
	var items []format.WarmItem
	add := func(name, version string) {
		if version == "" || strings.ContainsAny(version, ":/") || seen[name+"@"+version] {
			return // a git, file or link dependency: not from the registry
		}
		seen[name+"@"+version] = true
		doc := name + abbreviated
		items = append(items, format.WarmItem{Name: name + "@" + version, Paths: []string{doc},
			Then: func(open func(string) (io.ReadCloser, error)) ([]string, format.WarmThen, error) {
				p, err := tarballOf(open, doc, version)
				return []string{p}, nil, err
			}})
	}
	for key, p := range lock.Packages {
		i := strings.LastIndex(key, "node_modules/")
		if i < 0 || p.Link || p.InBundle {
			continue // the project itself, a workspace folder, a link, a bundled copy
		}
		name := p.Name
		if name == "" {
			name = key[i+len("node_modules/"):]
		}
		if _, _, ok := split(name); !ok {
			continue
		}
		add(name, p.Version)
	}
	if len(lock.Packages) == 0 {
		var walk func(map[string]lockDep)
		walk = func(deps map[string]lockDep) {
			for name, d := range deps {
				if !d.Bundled {
					add(name, d.Version)
				}
				walk(d.Dependencies)
			}
		}
		walk(lock.Dependencies)
	}
	if len(items) == 0 && len(lock.Packages) == 0 && len(lock.Dependencies) == 0 {
		return nil, apierr.New(apierr.ErrInvalid, "npm: %s has neither packages nor dependencies", file)
	}
	slices.SortFunc(items, func(a, b format.WarmItem) int { return strings.Compare(a.Name, b.Name) })
	return items, nil
}

// tarballOf is the stored path of version's tarball in the document at
// doc (a tarball on another host has its _ext path there).
func tarballOf(open func(string) (io.ReadCloser, error), doc, version string) (string, error) {
	rc, err := open(doc)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	tarball := ""
	dec := jsontext.NewDecoder(rc, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	err = jsonstream.Members(dec, func(key string) error {
		if key != "versions" {
			return dec.SkipValue()
		}
		return jsonstream.Members(dec, func(v string) error {
			if v != version {
				return dec.SkipValue()
			}
			raw, err := dec.ReadValue()
			if err != nil {
				return err
			}
			var m struct {
				Dist struct{ Tarball string } `json:"dist"`
			}
			json.Unmarshal(raw, &m)
			tarball = m.Dist.Tarball
			return nil
		}, nil)
	}, nil)
	if err != nil {
		return "", err
	}
	if tarball == "" || strings.Contains(tarball, "://") {
		return "", apierr.New(apierr.ErrNotFound, "%s has no version %s with a tarball inside the remote", strings.TrimSuffix(doc, abbreviated), version)
	}
	return url.PathUnescape(tarball)
}
