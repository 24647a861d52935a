package npm

import (
	"regexp"
	"testing"
)

var validNameRef = regexp.MustCompile(`^(@[a-zA-Z0-9][a-zA-Z0-9._~-]*/)?[a-zA-Z0-9._~-]+$`)

// FuzzValidName holds the hand-written package-name check to the regexp
// it replaced.
func FuzzValidName(f *testing.F) {
	for _, s := range []string{"", "react", "JSONStream", "@types/node", "@/x", "@a/", "@a/b/c", "@-a/b", "a/b", "@a", "left~pad", "é", "@a/b c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validName(s), validNameRef.MatchString(s); got != want {
			t.Fatalf("validName(%q) = %v, the regexp says %v", s, got, want)
		}
	})
}
