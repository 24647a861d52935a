// Package registry holds the remotes and virtuals in force, compiled for the
// fetch path, and keeps every replica's copy current.
package registry

import (
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/egress"
	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/meta"
)

// DefaultNegativeTTL is used when a remote does not set negative_ttl.
const DefaultNegativeTTL = 60

// validName is ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ (FuzzValidName checks
// it against that): it runs on every proxied request, where the regexp
// was a percent of a hit's CPU.
func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 || !alnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !alnum(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

func alnum(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' }

// Remote is a validated remote with its patterns and its type's settings
// compiled. It is what a type's own code sees as a format.Remote.
type Remote struct {
	meta.Remote
	Type                             *format.Caps
	Base                             *url.URL
	settings                         any
	block, allow, mutable, immutable []*regexp.Regexp
}

// ValidName reports whether s may name a remote or virtual.
func ValidName(s string) error {
	if !validName(s) || s == "." || s == ".." {
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
	if err := checkAllowedHosts(r.AllowedHosts); err != nil {
		return nil, err
	}
	// A base URL may be private (mirroring an internal server is normal),
	// but a link-local or metadata address only when allowed by name. A
	// name that resolves there is refused when dialled.
	if a, err := netip.ParseAddr(base.Hostname()); err == nil && !(egress.Policy{Allowed: r.AllowedHosts}).Allows(base) {
		if err := egress.Chosen.Check(a); err != nil {
			return nil, apierr.New(apierr.ErrInvalid, "invalid base_url %q: %v", r.BaseURL, err)
		}
	}
	for field, v := range map[string]int64{"immutable_ttl": r.ImmutableTTL, "mutable_ttl": r.MutableTTL, "negative_ttl": r.NegativeTTL} {
		if v < 0 {
			return nil, apierr.New(apierr.ErrInvalid, "%s must be >= 0 seconds, got %d", field, v)
		}
	}
	if r.MaxSize < 0 || r.UnusedDays < 0 {
		return nil, apierr.New(apierr.ErrInvalid, "max_size (bytes) and unused_days must be >= 0 (0: no bound)")
	}
	settings, err := t.Configure(r.Settings)
	if err != nil {
		return nil, err
	}
	c := &Remote{Remote: r, Type: t, Base: base, settings: settings}
	for _, p := range []struct {
		field string
		src   []string
		dst   *[]*regexp.Regexp
	}{
		{"patterns", r.Patterns, &c.allow},
		{"blocklist", r.Blocklist, &c.block},
		{"mutable_patterns", r.MutablePatterns, &c.mutable},
		{"immutable_patterns", r.ImmutablePatterns, &c.immutable},
	} {
		if len(p.src) > maxPatterns {
			return nil, apierr.New(apierr.ErrInvalid, "%s: at most %d patterns, got %d", p.field, maxPatterns, len(p.src))
		}
		for _, src := range p.src {
			re, err := regexp.Compile(src)
			if err != nil {
				return nil, apierr.New(apierr.ErrInvalid, "%s: pattern %q does not compile: %v", p.field, src, err)
			}
			*p.dst = append(*p.dst, re)
		}
	}
	return c, nil
}

// maxPatterns bounds each pattern list: every request is matched against
// them.
const maxPatterns = 256

// maxAllowedHosts bounds allowed_hosts (each is checked per request).
const maxAllowedHosts = 64

func checkAllowedHosts(hosts []string) error {
	if len(hosts) > maxAllowedHosts {
		return apierr.New(apierr.ErrInvalid, "allowed_hosts: at most %d hosts", maxAllowedHosts)
	}
	for _, h := range hosts {
		host := h
		if hh, port, err := net.SplitHostPort(h); err == nil {
			if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
				return apierr.New(apierr.ErrInvalid, "allowed_hosts: %q has a bad port", h)
			}
			host = hh
		}
		if host == "" || strings.ContainsAny(host, "/@?#* ") || strings.Contains(host, ":") && !isIPv6(host) {
			return apierr.New(apierr.ErrInvalid, "allowed_hosts: %q is not a host or host:port", h)
		}
	}
	return nil
}

func isIPv6(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is6()
}

func anyMatch(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// Classify is the type's answer for path under the remote's policy: the
// type's own refusal first, then the blocklist, then patterns as an
// allowlist when there are any; mutable_patterns and immutable_patterns
// override the type's mutability.
func (r *Remote) Classify(path string) (format.Class, error) {
	c, err := r.Type.Classify(path)
	if err != nil {
		return c, err
	}
	if anyMatch(r.block, path) {
		return c, apierr.New(apierr.ErrForbidden, "%s: path %q is blocked by the remote's blocklist", r.Name, path)
	}
	if len(r.allow) > 0 && !anyMatch(r.allow, path) {
		return c, apierr.New(apierr.ErrForbidden, "%s: path %q matches none of the remote's patterns", r.Name, path)
	}
	switch {
	case anyMatch(r.mutable, path):
		c.Mutable = true
	case anyMatch(r.immutable, path):
		c.Mutable = false
	}
	return c, nil
}

// Allowed implements format.Remote.
func (r *Remote) Allowed(path string) error {
	_, err := r.Classify(path)
	return err
}

// AuthRequired reports whether pulls from the remote need a token.
func (r *Remote) AuthRequired() bool {
	if r.Remote.AuthRequired != nil {
		return *r.Remote.AuthRequired
	}
	return r.Username != "" || r.Password != "" || r.Token != ""
}

// RemoteName implements format.Remote.
func (r *Remote) RemoteName() string { return r.Name }

// BaseURL implements format.Remote.
func (r *Remote) BaseURL() *url.URL { return r.Base }

// Settings implements format.Remote: the type's compiled settings.
func (r *Remote) Settings() any { return r.settings }

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
		return path // an artifact an index lists on another host (format.Upstream)
	}
	u := *r.Base
	p, query, _ := strings.Cut(path, "?") // a type may map a stored path to a query (format.Negotiator)
	u.Path = strings.TrimSuffix(u.Path, "/") + "/" + p
	u.RawPath = ""
	u.RawQuery = query
	return u.String()
}
