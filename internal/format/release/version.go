package release

import (
	"strconv"
	"strings"
)

// version is a version number as the ecosystems this package serves write
// them: npm and helm semver, Go's v-prefixed semver, PEP 440. Ordering is
// by the dotted release numbers, then a pre-release (1.0.0-rc.1, 1.0rc1,
// 1.0.dev0) before its release and a post-release (1.0.post1) after it.
type version struct {
	nums []int64
	pre  string // "" for a release
	post bool
}

func parseVersion(s string) version {
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	s, _, _ = strings.Cut(s, "+") // build metadata and local versions do not order
	var v version
	i := 0
	for {
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i {
			break
		}
		n, _ := strconv.ParseInt(s[i:j], 10, 64)
		v.nums = append(v.nums, n)
		i = j
		if i+1 < len(s) && s[i] == '.' && s[i+1] >= '0' && s[i+1] <= '9' {
			i++
			continue
		}
		break
	}
	rest := strings.TrimLeft(s[i:], ".-_")
	if strings.HasPrefix(rest, "post") || strings.HasPrefix(rest, "rev") || strings.HasPrefix(rest, "r") && len(rest) > 1 && rest[1] >= '0' && rest[1] <= '9' {
		v.post = true
	}
	v.pre = rest
	return v
}

// compare orders a and b: -1, 0 or 1.
func compare(a, b version) int {
	for i := 0; i < max(len(a.nums), len(b.nums)); i++ {
		var x, y int64
		if i < len(a.nums) {
			x = a.nums[i]
		}
		if i < len(b.nums) {
			y = b.nums[i]
		}
		if x != y {
			return cmp(x < y)
		}
	}
	rank := func(v version) int {
		switch {
		case v.pre == "":
			return 1
		case v.post:
			return 2
		}
		return 0
	}
	if ra, rb := rank(a), rank(b); ra != rb {
		return cmp(ra < rb)
	}
	return comparePre(a.pre, b.pre)
}

func cmp(less bool) int {
	if less {
		return -1
	}
	return 1
}

// comparePre orders pre-release tags by semver's rule: dot-separated
// identifiers, numeric ones numerically and before alphanumeric ones.
func comparePre(a, b string) int {
	if a == b {
		return 0
	}
	as, bs := splitPre(a), splitPre(b)
	for i := 0; i < min(len(as), len(bs)); i++ {
		x, y := as[i], bs[i]
		if x == y {
			continue
		}
		xn, xerr := strconv.ParseInt(x, 10, 64)
		yn, yerr := strconv.ParseInt(y, 10, 64)
		switch {
		case xerr == nil && yerr == nil:
			return cmp(xn < yn)
		case xerr == nil:
			return -1
		case yerr == nil:
			return 1
		}
		return cmp(x < y)
	}
	return cmp(len(as) < len(bs))
}

// splitPre splits "rc.1" and PEP 440's "rc1" alike into ["rc", "1"].
func splitPre(s string) []string {
	var out []string
	start := 0
	for i := 1; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' || s[i] == '-' || isDigit(s[i]) != isDigit(s[i-1]) {
			if part := strings.Trim(s[start:i], ".-"); part != "" {
				out = append(out, part)
			}
			start = i
		}
	}
	return out
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// IsPrerelease reports whether v is a pre-release (what a "latest" tag
// should not move to when a release is there).
func IsPrerelease(v string) bool {
	p := parseVersion(v)
	return p.pre != "" && !p.post
}

// Compare orders two version strings: -1, 0 or 1.
func Compare(a, b string) int { return compare(parseVersion(a), parseVersion(b)) }
