// Package registry holds the remotes and virtuals in force, compiled for the
// fetch path, and keeps every replica's copy current.
package registry

import (
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/meta"
)

// DefaultNegativeTTL is used when a remote does not set negative_ttl.
const DefaultNegativeTTL = 60

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Remote is a validated remote with its patterns compiled.
type Remote struct {
	meta.Remote
	Type                                     format.Type
	Base                                     *url.URL
	block, allow, mutable, immutable, banned []*regexp.Regexp
}

// ValidName reports whether s may name a remote or virtual.
func ValidName(s string) error {
	if !validName.MatchString(s) || s == "." || s == ".." {
		return apierr.New(apierr.ErrInvalid, "invalid name %q: use 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit", s)
	}
	return nil
}

// Compile validates r and compiles its patterns.
func Compile(r meta.Remote, types *format.Registry) (*Remote, error) {
	if err := ValidName(r.Name); err != nil {
		return nil, err
	}
	t, ok := types.Get(r.PackageType)
	if !ok {
		return nil, apierr.New(apierr.ErrInvalid, "unknown package_type %q (served: %s)", r.PackageType, strings.Join(types.Names(), ", "))
	}
	base, err := url.Parse(r.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" || base.User != nil {
		return nil, apierr.New(apierr.ErrInvalid, "invalid base_url %q: want an absolute http(s) URL without credentials", r.BaseURL)
	}
	if base.RawQuery != "" || base.Fragment != "" {
		return nil, apierr.New(apierr.ErrInvalid, "invalid base_url %q: no query or fragment", r.BaseURL)
	}
	for field, v := range map[string]int64{"immutable_ttl": r.ImmutableTTL, "mutable_ttl": r.MutableTTL, "negative_ttl": r.NegativeTTL} {
		if v < 0 {
			return nil, apierr.New(apierr.ErrInvalid, "%s must be >= 0 seconds, got %d", field, v)
		}
	}
	c := &Remote{Remote: r, Type: t, Base: base}
	for _, p := range []struct {
		field string
		src   []string
		dst   *[]*regexp.Regexp
	}{
		{"patterns", r.Patterns, &c.allow},
		{"blocklist", r.Blocklist, &c.block},
		{"mutable_patterns", r.MutablePatterns, &c.mutable},
		{"immutable_patterns", r.ImmutablePatterns, &c.immutable},
		{"ban_tags", r.BanTags, &c.banned},
	} {
		for _, src := range p.src {
			expr := src
			if p.field == "ban_tags" {
				expr = "^(?:" + src + ")$" // a tag is banned when the whole tag matches
			}
			re, err := regexp.Compile(expr)
			if err != nil {
				return nil, apierr.New(apierr.ErrInvalid, "%s: pattern %q does not compile: %v", p.field, src, err)
			}
			*p.dst = append(*p.dst, re)
		}
	}
	return c, nil
}

func anyMatch(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// Allowed applies the blocklist first, then patterns as an allowlist when
// there are any.
func (r *Remote) Allowed(path string) error {
	if c, ok := r.Type.(format.Checker); ok {
		if err := c.Check(path); err != nil {
			return err
		}
	}
	if anyMatch(r.block, path) {
		return apierr.New(apierr.ErrForbidden, "%s: path %q is blocked by the remote's blocklist", r.Name, path)
	}
	if len(r.allow) > 0 && !anyMatch(r.allow, path) {
		return apierr.New(apierr.ErrForbidden, "%s: path %q matches none of the remote's patterns", r.Name, path)
	}
	return nil
}

// Banned reports whether ban_tags forbid tag (each entry is a regular
// expression that must match the whole tag: "latest" bans only latest).
func (r *Remote) Banned(tag string) bool { return anyMatch(r.banned, tag) }

// Mutable classifies path: the remote's overrides win over the type.
func (r *Remote) Mutable(path string) bool {
	switch {
	case anyMatch(r.mutable, path):
		return true
	case anyMatch(r.immutable, path):
		return false
	default:
		return r.Type.Mutable(path)
	}
}

// Expiry is when an object fetched at now stops being fresh; zero is never.
func (r *Remote) Expiry(mutable bool, now time.Time) time.Time {
	if mutable {
		return now.Add(time.Duration(r.MutableTTL) * time.Second)
	}
	if r.ImmutableTTL == 0 {
		return time.Time{}
	}
	return now.Add(time.Duration(r.ImmutableTTL) * time.Second)
}

// NegativeTTLDuration is how long a 404 is remembered; 0 disables it.
func (r *Remote) NegativeTTLDuration() time.Duration {
	return time.Duration(r.NegativeTTL) * time.Second
}

// UpstreamURL joins path (already cleaned) under the base URL.
func (r *Remote) UpstreamURL(path string) string {
	if strings.HasPrefix(path, "https://") || strings.HasPrefix(path, "http://") {
		return path // a type that knows the artifact lives elsewhere (format.Upstream)
	}
	u := *r.Base
	u.Path = strings.TrimSuffix(u.Path, "/") + "/" + path
	u.RawPath = ""
	return u.String()
}
