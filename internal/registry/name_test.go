package registry

import (
	"regexp"
	"testing"
)

var validNameRef = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// FuzzValidName holds the hand-written name check to the regexp it
// replaced.
func FuzzValidName(f *testing.F) {
	for _, s := range []string{"", "a", "npm-proxy", "a.b_c-d", "-a", ".", "..", "a/b", "é", "a b",
		"0123456789012345678901234567890123456789012345678901234567890123", "01234567890123456789012345678901234567890123456789012345678901234"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validName(s), validNameRef.MatchString(s); got != want {
			t.Fatalf("validName(%q) = %v, the regexp says %v", s, got, want)
		}
	})
}
