// Package goproxy is the Go module proxy package type (the GOPROXY
// protocol): module lists and @latest are mutable, canonical versions'
// .info/.mod/.zip are immutable, and the checksum database is passed
// through to the same upstream (never to another host).
package goproxy

import (
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/mod/module"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/format/release"
)

// Type is the goproxy package type.
type Type struct {
	// Its remotes take a release policy (min_age, blocked_versions).
	release.Configurable
}

// Name implements format.Type.
func (Type) Name() string { return "goproxy" }

var sumdbName = regexp.MustCompile(`^[a-z0-9]+([.-][a-z0-9]+)*(\.[a-z]{2,})$`)

// Kind is what a GOPROXY path names.
type Kind int

// Kinds of GOPROXY paths.
const (
	List Kind = iota + 1
	Latest
	Info
	Mod
	Zip
	SumdbSupported
	SumdbLatest
	SumdbLookup
	SumdbTile
)

// Parse classifies a GOPROXY path; the module path and version stay case
// encoded ("!a" for "A"), as the go command sends them.
func Parse(p string) (kind Kind, version string, err error) {
	if rest, ok := strings.CutPrefix(p, "sumdb/"); ok {
		name, op, _ := strings.Cut(rest, "/")
		if !sumdbName.MatchString(name) {
			return 0, "", fmt.Errorf("not a checksum database name: %q", name)
		}
		switch {
		case op == "supported":
			return SumdbSupported, "", nil
		case op == "latest":
			return SumdbLatest, "", nil
		case strings.HasPrefix(op, "lookup/") && len(op) > len("lookup/"):
			return SumdbLookup, "", nil
		case strings.HasPrefix(op, "tile/") && len(op) > len("tile/"):
			return SumdbTile, "", nil
		}
		return 0, "", fmt.Errorf("not a checksum database path: %q", p)
	}
	var mod string
	switch {
	case strings.HasSuffix(p, "/@v/list"):
		mod, kind = strings.TrimSuffix(p, "/@v/list"), List
	case strings.HasSuffix(p, "/@latest"):
		mod, kind = strings.TrimSuffix(p, "/@latest"), Latest
	default:
		m, file, ok := strings.Cut(p, "/@v/")
		if !ok {
			return 0, "", fmt.Errorf("not a GOPROXY path: %q", p)
		}
		mod = m
		for ext, k := range map[string]Kind{".info": Info, ".mod": Mod, ".zip": Zip} {
			if v, ok := strings.CutSuffix(file, ext); ok && v != "" {
				kind, version = k, v
			}
		}
		if kind == 0 {
			return 0, "", fmt.Errorf("not a GOPROXY file: %q", file)
		}
		if _, err := module.UnescapeVersion(version); err != nil {
			return 0, "", fmt.Errorf("bad version in %q: %v", p, err)
		}
	}
	path, err := module.UnescapePath(mod)
	if err != nil {
		return 0, "", fmt.Errorf("bad module path in %q: %v", p, err)
	}
	if err := module.CheckPath(path); err != nil {
		return 0, "", err
	}
	return kind, version, nil
}

// Next implements format.Prefetcher. go mod download and go get ask for
// a canonical version's .info, its .mod (unless reading the module graph
// asked for it already) and its .zip, one module after another: a cold
// run waited for an upstream round trip per file in turn. So the .info
// names the other two, as Athens fetches all three of a version together.
// A .mod alone names nothing: a build reads the go.mod of every module in
// its graph and the source of few of them.
func (Type) Next(path string) []string {
	kind, version, err := Parse(path)
	if err != nil || kind != Info {
		return nil
	}
	if !canonical(version) {
		return nil
	}
	base := strings.TrimSuffix(path, ".info")
	return []string{base + ".mod", base + ".zip"}
}

// canonical reports whether a case-encoded version is a canonical
// semantic version, not a query (a branch, a commit, v1.2).
func canonical(version string) bool {
	v, err := module.UnescapeVersion(version)
	return err == nil && module.CanonicalVersion(v) == v
}

// Classify implements format.Type. Paths that are not GOPROXY requests
// are 404 (the go command then tries the next GOPROXY entry), and nothing
// else is ever fetched from the upstream through this remote. Lists and
// @latest move; so does a .info for a query that is not a canonical
// version (a branch, a commit).
func (Type) Classify(path string) (format.Class, error) {
	kind, version, err := Parse(path)
	if err != nil {
		return format.Class{}, apierr.New(apierr.ErrNotFound, "goproxy: %v", err)
	}
	c := format.Class{Kind: format.Artifact}
	switch kind {
	case List, Latest, SumdbSupported, SumdbLatest:
		c.Mutable = true
	case Info:
		c.Mutable = !canonical(version)
	}
	return c, nil
}
