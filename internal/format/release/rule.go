package release

import (
	"fmt"
	"path"
	"strings"
)

// rule is one blocked_versions entry: a package name (a glob) and a
// version range.
type rule struct {
	src  string
	name string
	any  [][]comparator // alternatives (||) of conjunctions
}

type comparator struct {
	op string // "=", "<", "<=", ">", ">=", "!="
	v  version
}

// parseRule reads "name@range": the range is "*", a version, or
// comparators (>=1.2.0 <1.3.0, or comma separated as in PEP 440),
// alternatives joined by "||". The name is split at its last "@" so
// scoped npm names (@scope/pkg@1.0.0) read as written.
func parseRule(src string, normalize func(string) string) (rule, error) {
	at := strings.LastIndex(src, "@")
	if at <= 0 || at == len(src)-1 {
		return rule{}, fmt.Errorf("%q: want name@range (lodash@4.17.20, requests@>=2.32.0,<2.32.2, @scope/pkg@1.0.0 || 1.0.1)", src)
	}
	r := rule{src: src, name: normalize(strings.TrimSpace(src[:at]))}
	if _, err := path.Match(r.name, ""); err != nil {
		return rule{}, fmt.Errorf("%q: bad name pattern: %v", src, err)
	}
	for _, alt := range strings.Split(src[at+1:], "||") {
		var conj []comparator
		for _, f := range strings.FieldsFunc(alt, func(c rune) bool { return c == ' ' || c == ',' }) {
			if f == "*" {
				continue
			}
			op := "="
			for _, o := range []string{"==", "<=", ">=", "!=", "<", ">", "="} {
				if rest, ok := strings.CutPrefix(f, o); ok {
					op, f = strings.TrimPrefix(o, "="), rest
					if op == "" || o == "==" {
						op = "="
					}
					break
				}
			}
			if f == "" || !isDigit(strings.TrimPrefix(f, "v")[0]) {
				return rule{}, fmt.Errorf("%q: %q is not a version", src, f)
			}
			conj = append(conj, comparator{op: op, v: parseVersion(f)})
		}
		r.any = append(r.any, conj)
	}
	return r, nil
}

func (r rule) matches(name string, v version) bool {
	if ok, _ := path.Match(r.name, name); !ok {
		return false
	}
	for _, conj := range r.any {
		all := true
		for _, c := range conj {
			if !c.holds(v) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

func (c comparator) holds(v version) bool {
	d := compare(v, c.v)
	switch c.op {
	case "<":
		return d < 0
	case "<=":
		return d <= 0
	case ">":
		return d > 0
	case ">=":
		return d >= 0
	case "!=":
		return d != 0
	}
	return d == 0
}
