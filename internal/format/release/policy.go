// Package release is the release policy a remote of a type with dated
// versions may set: a minimum age before a new version is seen or served
// (a cooldown against freshly published malicious releases), packages
// exempt from it, and versions blocked outright. Types declare its
// settings (Fields) beside their own and answer it through
// format.Releases; the fetch path applies it.
package release

import (
	"encoding/json"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/format"
)

// Settings are the policy's remote settings, embedded in a type's own.
type Settings struct {
	MinAge          string   `json:"min_age"`
	MinAgeExempt    []string `json:"min_age_exempt"`
	BlockedVersions []string `json:"blocked_versions"`
}

// Fields declares the settings for a type's format.Configurable.
func Fields() []format.Field {
	return []format.Field{
		{Name: "min_age", Kind: format.String, Description: "Hide and refuse versions published less than this long ago (\"72h\", \"7d\"; empty: no minimum age)."},
		{Name: "min_age_exempt", Kind: format.Strings, Description: "Packages min_age does not apply to (names; * matches within a path segment)."},
		{Name: "blocked_versions", Kind: format.Strings, Description: "Versions hidden and refused: name@range (lodash@4.17.20, ua-parser-js@>=0.7.29 <0.7.30 || 0.8.0, requests@>=2.32.0,<2.32.2)."},
	}
}

// Policy is a remote's compiled release policy.
type Policy struct {
	minAge  time.Duration
	exempt  []string
	blocked []rule
	norm    func(string) string
	src     string // the settings as given: what a cached rendering depends on
}

// Compile checks s and compiles it; normalize puts a package name in the
// form the type compares names in (PEP 503 for PyPI; nil: as written).
// A zero Settings compiles to nil: no policy.
func Compile(s Settings, normalize func(string) string) (*Policy, error) {
	if normalize == nil {
		normalize = func(s string) string { return s }
	}
	p := &Policy{norm: normalize}
	if s.MinAge != "" {
		d, err := parseAge(s.MinAge)
		if err != nil || d < 0 {
			return nil, apierr.New(apierr.ErrInvalid, "min_age: %q is not a duration (72h, 7d, 90m)", s.MinAge)
		}
		p.minAge = d
	}
	for _, e := range s.MinAgeExempt {
		if _, err := path.Match(e, ""); err != nil || strings.TrimSpace(e) == "" {
			return nil, apierr.New(apierr.ErrInvalid, "min_age_exempt: %q is not a package name or pattern", e)
		}
		p.exempt = append(p.exempt, normalize(e))
	}
	if len(s.BlockedVersions) > 1024 {
		return nil, apierr.New(apierr.ErrInvalid, "blocked_versions: at most 1024 entries")
	}
	for _, b := range s.BlockedVersions {
		r, err := parseRule(b, normalize)
		if err != nil {
			return nil, apierr.New(apierr.ErrInvalid, "blocked_versions: %v", err)
		}
		p.blocked = append(p.blocked, r)
	}
	if p.minAge == 0 && len(p.blocked) == 0 {
		return nil, nil
	}
	b, _ := json.Marshal(s)
	p.src = string(b)
	return p, nil
}

// parseAge reads a Go duration or a number of days ("7d").
func parseAge(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(d, 64)
		if err != nil {
			return 0, err
		}
		return time.Duration(n * float64(24*time.Hour)), nil
	}
	return time.ParseDuration(s)
}

// String identifies the policy's settings (a cache key part).
func (p *Policy) String() string {
	if p == nil {
		return ""
	}
	return p.src
}

// MinAge is the policy's minimum age (0: none).
func (p *Policy) MinAge() time.Duration {
	if p == nil {
		return 0
	}
	return p.minAge
}

// Verdict is the policy's answer for one version.
type Verdict struct {
	Refused bool
	Reason  string // why, for the 403 and the log
	// Until is when a version refused for its age ages in.
	Until time.Time
}

// Decide judges version of pkg, published at published (zero: no
// document dates it, so min_age cannot hold it back), at now.
func (p *Policy) Decide(pkg, version string, published, now time.Time) Verdict {
	if p == nil {
		return Verdict{}
	}
	name := p.norm(pkg)
	v := parseVersion(version)
	for _, r := range p.blocked {
		if r.matches(name, v) {
			return Verdict{Refused: true, Reason: fmt.Sprintf("%s %s is blocked by the remote's blocked_versions (%s)", pkg, version, r.src)}
		}
	}
	if p.minAge == 0 || published.IsZero() || p.exempted(name) {
		return Verdict{}
	}
	if until := published.Add(p.minAge); now.Before(until) {
		return Verdict{Refused: true, Until: until, Reason: fmt.Sprintf("%s %s was published %s, less than the remote's min_age %s ago (allowed from %s)",
			pkg, version, published.UTC().Format(time.RFC3339), p.minAge, until.UTC().Format(time.RFC3339))}
	}
	return Verdict{}
}

// Dated reports whether deciding pkg needs its publish time.
func (p *Policy) Dated(pkg string) bool {
	return p != nil && p.minAge > 0 && !p.exempted(p.norm(pkg))
}

func (p *Policy) exempted(name string) bool {
	for _, e := range p.exempt {
		if ok, _ := path.Match(e, name); ok {
			return true
		}
	}
	return false
}

// Configure decodes and compiles the policy's settings from a type's raw
// settings (the type has declared Fields among its own).
func Configure(raw map[string]json.RawMessage, normalize func(string) string) (*Policy, error) {
	var s Settings
	if err := format.DecodeSettings(raw, &s); err != nil {
		return nil, err
	}
	return Compile(s, normalize)
}

// ReleasePolicy makes the compiled policy a type's remote settings: the
// fetch path finds it there.
func (p *Policy) ReleasePolicy() *Policy { return p }

// Configurable is embedded in a type whose only remote settings are the
// release policy, with package names compared as written: it is the
// type's format.Configurable.
type Configurable struct{}

// Fields implements format.Configurable.
func (Configurable) Fields() []format.Field { return Fields() }

// Configure implements format.Configurable.
func (Configurable) Configure(raw map[string]json.RawMessage) (any, error) {
	return Configure(raw, nil)
}
