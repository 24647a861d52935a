package release

import (
	"strings"
	"testing"
	"time"
)

func TestCompare(t *testing.T) {
	ordered := [][]string{
		{"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.2", "1.10.0", "2.0.0"},
		{"v0.9.9", "v1.0.0-pre", "v1.0.0", "v1.0.1"},
		{"2.32.0a1", "2.32.0b2", "2.32.0rc1", "2.32.0", "2.32.0.post1", "2.32.1"},
	}
	for _, seq := range ordered {
		for i := range seq {
			for j := range seq {
				want := 0
				if i < j {
					want = -1
				} else if i > j {
					want = 1
				}
				if got := Compare(seq[i], seq[j]); got != want {
					t.Errorf("Compare(%s, %s) = %d, want %d", seq[i], seq[j], got, want)
				}
			}
		}
	}
	if Compare("1.0", "1.0.0") != 0 || Compare("1.0.0+build", "1.0.0") != 0 {
		t.Error("trailing zeros and build metadata must not order")
	}
	if !IsPrerelease("1.0.0-rc.1") || IsPrerelease("1.0.0") || IsPrerelease("1.0.post1") || !IsPrerelease("1.0.dev0") {
		t.Error("IsPrerelease")
	}
}

func TestRules(t *testing.T) {
	cases := []struct {
		rule    string
		pkg, v  string
		blocked bool
	}{
		{"lodash@4.17.20", "lodash", "4.17.20", true},
		{"lodash@4.17.20", "lodash", "4.17.21", false},
		{"lodash@4.17.20", "lodash-es", "4.17.20", false},
		{"ua-parser-js@>=0.7.29 <0.7.30 || 0.8.0", "ua-parser-js", "0.7.29", true},
		{"ua-parser-js@>=0.7.29 <0.7.30 || 0.8.0", "ua-parser-js", "0.8.0", true},
		{"ua-parser-js@>=0.7.29 <0.7.30 || 0.8.0", "ua-parser-js", "0.7.30", false},
		{"@scope/pkg@1.0.0", "@scope/pkg", "1.0.0", true},
		{"@scope/*@*", "@scope/other", "9.9.9", true},
		{"@scope/*@*", "@else/other", "9.9.9", false},
		{"requests@>=2.32.0,<2.32.2", "requests", "2.32.1", true},
		{"requests@>=2.32.0,<2.32.2", "requests", "2.32.2", false},
		{"requests@==2.32.0", "requests", "2.32.0", true},
		{"requests@!=2.32.0", "requests", "2.31.0", true},
		{"github.com/x/y@v1.2.3", "github.com/x/y", "v1.2.3", true},
		{"github.com/x/y@<=v1.2.3", "github.com/x/y", "v1.2.4", false},
	}
	now := time.Now()
	for _, c := range cases {
		p, err := Compile(Settings{BlockedVersions: []string{c.rule}}, nil)
		if err != nil {
			t.Fatalf("%s: %v", c.rule, err)
		}
		v := p.Decide(c.pkg, c.v, time.Time{}, now)
		if v.Refused != c.blocked {
			t.Errorf("%s on %s@%s: refused=%v, want %v", c.rule, c.pkg, c.v, v.Refused, c.blocked)
		}
		if v.Refused && !strings.Contains(v.Reason, "blocked_versions") {
			t.Errorf("reason %q does not name blocked_versions", v.Reason)
		}
	}
	for _, bad := range []string{"lodash", "lodash@", "@scope/pkg", "x@^1.0.0", "x@~=1.0", "[@1.0"} {
		if _, err := Compile(Settings{BlockedVersions: []string{bad}}, nil); err == nil {
			t.Errorf("%q compiled", bad)
		}
	}
}

func TestMinAge(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	p, err := Compile(Settings{MinAge: "3d", MinAgeExempt: []string{"@internal/*", "Typescript"}}, strings.ToLower)
	if err != nil {
		t.Fatal(err)
	}
	if p.MinAge() != 72*time.Hour {
		t.Fatalf("3d = %s", p.MinAge())
	}
	fresh, aged := now.Add(-71*time.Hour), now.Add(-73*time.Hour)
	if v := p.Decide("left-pad", "1.0.0", fresh, now); !v.Refused || !v.Until.Equal(fresh.Add(72*time.Hour)) || !strings.Contains(v.Reason, "min_age") {
		t.Errorf("fresh: %+v", v)
	}
	if p.Decide("left-pad", "1.0.0", aged, now).Refused {
		t.Error("aged refused")
	}
	if p.Decide("left-pad", "1.0.0", time.Time{}, now).Refused {
		t.Error("an undated release is not held back")
	}
	if p.Decide("@internal/lib", "1.0.0", fresh, now).Refused || p.Decide("typescript", "5.0.0", fresh, now).Refused {
		t.Error("exempt packages refused")
	}
	if p.Dated("@internal/lib") || !p.Dated("left-pad") {
		t.Error("Dated")
	}
	for _, bad := range []string{"soon", "-1h", "3x"} {
		if _, err := Compile(Settings{MinAge: bad}, nil); err == nil {
			t.Errorf("min_age %q compiled", bad)
		}
	}
	if p, err := Compile(Settings{}, nil); p != nil || err != nil {
		t.Errorf("empty settings: %v %v", p, err)
	}
}
