package npm

import (
	"encoding/json"
	"io"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/format/jsonstream"
	"github.com/artifactapi/artifactapi/internal/format/release"
)

// Release implements format.Releases: a tarball is its package's version,
// dated by its document's time: the abbreviated one when the registry
// puts time there too (many do), else the full one.
func (Type) Release(p string) (format.Release, bool) {
	name, tarball, ok := split(p)
	if !ok || !tarball {
		return format.Release{}, false
	}
	file := path.Base(p)
	short := name[strings.LastIndex(name, "/")+1:]
	v, ok := strings.CutPrefix(strings.TrimSuffix(file, ".tgz"), short+"-")
	if !ok {
		v = "" // a tarball named otherwise: dated by its link in the document
	}
	return format.Release{Package: name, Version: v, Key: p, DatedIn: []string{name + abbreviated, name + full}}, true
}

// Dates implements format.Releases: the document's time entries by
// version, and each version's stored tarball path by the same time.
func (Type) Dates(_ string, r io.Reader) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	tarballs := map[string]string{} // version → tarball path
	dec := jsontext.NewDecoder(r, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	err := jsonstream.Members(dec, func(key string) error {
		switch key {
		case "time":
			return jsonstream.Members(dec, func(v string) error {
				raw, err := dec.ReadValue()
				if err != nil {
					return err
				}
				var s string
				if json.Unmarshal(raw, &s) == nil && v != "created" && v != "modified" {
					if t, err := time.Parse(time.RFC3339, s); err == nil {
						out[v] = t
					}
				}
				return nil
			}, nil)
		case "versions":
			return jsonstream.Members(dec, func(v string) error {
				raw, err := dec.ReadValue()
				if err != nil {
					return err
				}
				var m struct {
					Dist struct{ Tarball string } `json:"dist"`
				}
				if json.Unmarshal(raw, &m) == nil && m.Dist.Tarball != "" {
					if p, err := url.PathUnescape(m.Dist.Tarball); err == nil {
						tarballs[v] = p
					}
				}
				return nil
			}, nil)
		}
		return dec.SkipValue()
	}, nil)
	for v, p := range tarballs {
		if t, ok := out[v]; ok {
			out[p] = t
		}
	}
	return out, err
}

// Filtered implements format.Releases: both representations of a package
// document.
func (Type) Filtered(p string) bool { return isDocument(p) }

// Filter implements format.Releases: refused versions leave versions and
// time; a dist-tag naming one is dropped, except latest, which moves to
// the newest allowed version below it (a release if there is one).
func (Type) Filter(p string, doc func() (io.ReadCloser, error), w io.Writer, j format.Judge) error {
	name, _, _ := split(p)
	versions, err := versionsOf(doc)
	if err != nil {
		return err
	}
	datedIn := []string{name + full}
	if strings.HasSuffix(p, abbreviated) {
		datedIn = []string{p, name + full}
	}
	allowed := map[string]bool{}
	for _, v := range versions {
		allowed[v] = j.Allow(format.Release{Package: name, Version: v, Key: v, DatedIn: datedIn})
	}
	listed := func(v string) bool { _, ok := allowed[v]; return ok }
	rc, err := doc()
	if err != nil {
		return err
	}
	defer rc.Close()
	return jsonstream.Edit(rc, w, func(key string, dec *jsontext.Decoder, enc *jsontext.Encoder) (bool, error) {
		switch key {
		case "versions":
			return true, jsonstream.KeepMembers(key, dec, enc, func(v string) bool { return allowed[v] })
		case "time":
			return true, jsonstream.KeepMembers(key, dec, enc, func(v string) bool { return !listed(v) || allowed[v] })
		case "dist-tags":
			return true, writeTags(dec, enc, allowed)
		}
		return false, nil
	})
}

// versionsOf lists the versions a document has.
func versionsOf(doc func() (io.ReadCloser, error)) ([]string, error) {
	rc, err := doc()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var out []string
	dec := jsontext.NewDecoder(rc, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	err = jsonstream.Members(dec, func(key string) error {
		if key != "versions" {
			return dec.SkipValue()
		}
		return jsonstream.Members(dec, func(v string) error {
			out = append(out, v)
			return dec.SkipValue()
		}, nil)
	}, nil)
	return out, err
}

func writeTags(dec *jsontext.Decoder, enc *jsontext.Encoder, allowed map[string]bool) error {
	raw, err := dec.ReadValue()
	if err != nil {
		return err
	}
	var tags map[string]string
	if err := json.Unmarshal(raw, &tags); err != nil {
		return err
	}
	names := make([]string, 0, len(tags))
	for t := range tags {
		names = append(names, t)
	}
	slices.Sort(names)
	if err := enc.WriteToken(jsontext.String("dist-tags")); err != nil {
		return err
	}
	if err := enc.WriteToken(jsontext.BeginObject); err != nil {
		return err
	}
	for _, t := range names {
		v := tags[t]
		if !allowed[v] {
			if t != "latest" {
				continue
			}
			if v = newestBelow(v, allowed); v == "" {
				continue
			}
		}
		if err := enc.WriteToken(jsontext.String(t)); err != nil {
			return err
		}
		if err := enc.WriteToken(jsontext.String(v)); err != nil {
			return err
		}
	}
	return enc.WriteToken(jsontext.EndObject)
}

// newestBelow is the newest allowed version not above v: a release when
// there is one, else a pre-release; "" when none is allowed.
func newestBelow(v string, allowed map[string]bool) string {
	best, bestPre := "", ""
	for c, ok := range allowed {
		if !ok || release.Compare(c, v) > 0 {
			continue
		}
		if release.IsPrerelease(c) {
			if bestPre == "" || release.Compare(c, bestPre) > 0 {
				bestPre = c
			}
		} else if best == "" || release.Compare(c, best) > 0 {
			best = c
		}
	}
	if best == "" {
		return bestPre
	}
	return best
}
