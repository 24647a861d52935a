package goproxy

import (
	"bufio"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/format"
)

// moduleOf is the (escaped) module path of a GOPROXY path.
func moduleOf(p string) string {
	if m, _, ok := strings.Cut(p, "/@v/"); ok {
		return m
	}
	return strings.TrimSuffix(p, "/@latest")
}

// versionRelease is version v (unescaped) of the module escaped as mod,
// dated by its .info.
func versionRelease(mod, v string) (format.Release, bool) {
	path, err := module.UnescapePath(mod)
	if err != nil {
		return format.Release{}, false
	}
	ev, err := module.EscapeVersion(v)
	if err != nil {
		return format.Release{}, false
	}
	return format.Release{Package: path, Version: v, Key: v, DatedIn: []string{mod + "/@v/" + ev + ".info"}}, true
}

// Release implements format.Releases: a canonical version's .info, .mod
// and .zip are that version's (a query's .info, like @v/master.info,
// names no release until resolved).
func (Type) Release(p string) (format.Release, bool) {
	kind, ev, err := Parse(p)
	if err != nil || (kind != Info && kind != Mod && kind != Zip) {
		return format.Release{}, false
	}
	v, err := module.UnescapeVersion(ev)
	if err != nil || semver.Canonical(v) != v {
		return format.Release{}, false
	}
	return versionRelease(moduleOf(p), v)
}

type info struct {
	Version string
	Time    time.Time
}

// Dates implements format.Releases: a .info dates its version.
func (Type) Dates(_ string, r io.Reader) (map[string]time.Time, error) {
	var i info
	if err := json.NewDecoder(io.LimitReader(r, 1<<20)).Decode(&i); err != nil {
		return nil, err
	}
	return map[string]time.Time{i.Version: i.Time}, nil
}

// Filtered implements format.Releases: @v/list and @latest.
func (Type) Filtered(p string) bool {
	kind, _, err := Parse(p)
	return err == nil && (kind == List || kind == Latest)
}

// Filter implements format.Releases: a list without refused versions; an
// @latest that is refused becomes the newest allowed version of the list.
func (Type) Filter(p string, doc func() (io.ReadCloser, error), w io.Writer, j format.Judge) error {
	mod := moduleOf(p)
	rc, err := doc()
	if err != nil {
		return err
	}
	defer rc.Close()
	if kind, _, _ := Parse(p); kind == List {
		versions, err := allowedVersions(rc, mod, j)
		if err != nil {
			return err
		}
		for _, v := range versions {
			if _, err := io.WriteString(w, v+"\n"); err != nil {
				return err
			}
		}
		return nil
	}
	raw, err := io.ReadAll(io.LimitReader(rc, 1<<20))
	if err != nil {
		return err
	}
	var latest info
	if err := json.Unmarshal(raw, &latest); err != nil {
		return err
	}
	if rel, ok := versionRelease(mod, latest.Version); ok {
		rel.Published = latest.Time
		if j.Allow(rel) {
			_, err := w.Write(raw)
			return err
		}
	}
	list, err := j.Open(mod + "/@v/list")
	if err != nil {
		return err
	}
	defer list.Close()
	versions, err := allowedVersions(list, mod, j)
	if err != nil {
		return err
	}
	best := ""
	for _, v := range versions {
		if best == "" || newer(v, best) {
			best = v
		}
	}
	if best == "" {
		return apierr.New(apierr.ErrNotFound, "%s: no version is allowed by the remote's release policy (min_age, blocked_versions)", mod)
	}
	ev, _ := module.EscapeVersion(best)
	in, err := j.Open(mod + "/@v/" + ev + ".info")
	if err != nil {
		return err
	}
	defer in.Close()
	_, err = io.Copy(w, io.LimitReader(in, 1<<20))
	return err
}

// allowedVersions reads a @v/list and keeps what j allows, dating the
// versions side by side (each date is a .info, fetched once).
func allowedVersions(r io.Reader, mod string, j format.Judge) ([]string, error) {
	var versions []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if v := strings.TrimSpace(sc.Text()); v != "" {
			versions = append(versions, v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	keep := make([]bool, len(versions))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, v := range versions {
		rel, ok := versionRelease(mod, v)
		if !ok {
			keep[i] = true
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			keep[i] = j.Allow(rel)
			<-sem
		}()
	}
	wg.Wait()
	out := versions[:0]
	for i, v := range versions {
		if keep[i] {
			out = append(out, v)
		}
	}
	return out, nil
}

// newer reports whether v is a better @latest than best: a release beats a
// pre-release, then the higher version wins (as the go command chooses).
func newer(v, best string) bool {
	if vr, br := semver.Prerelease(v) == "", semver.Prerelease(best) == ""; vr != br {
		return vr
	}
	return semver.Compare(v, best) > 0
}
