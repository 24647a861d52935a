package server

import (
	"strings"
	"testing"
)

// Whatever the path, an accepted one has no traversal, empty segment,
// NUL, backslash or control byte, and names a valid remote.
func FuzzSplitProxyPath(f *testing.F) {
	for _, s := range []string{"/api/v1/remote/r/a/b.tgz", "/api/v1/remote/r/../x", "/api/v1/remote/r/a//b", "/api/v1/remote/r/simple/x/",
		"/api/v1/remote/r/%00", "/api/v1/remote/../r", "/api/v1/remote/r/a\\b", "/api/v1/remote/r/." + strings.Repeat("a", 3000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, urlPath string) {
		name, path, err := splitProxyPath(urlPath, "/api/v1/remote/")
		if err != nil {
			return
		}
		if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") {
			t.Fatalf("accepted name %q", name)
		}
		if len(path) > maxPathLen || strings.ContainsAny(path, "\x00\\") {
			t.Fatalf("accepted path %q", path)
		}
		for _, seg := range strings.Split(strings.TrimSuffix(path, "/"), "/") {
			if seg == "" || seg == "." || seg == ".." {
				t.Fatalf("accepted path %q with segment %q", path, seg)
			}
		}
		for _, c := range path {
			if c < 0x20 || c == 0x7f {
				t.Fatalf("accepted control character in %q", path)
			}
		}
	})
}
