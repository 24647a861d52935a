package format

import (
	"net/url"
	"strings"
	"testing"
)

// A link becomes a path under the remote, an _ext path that maps back to
// the same absolute URL, or is left as it was; never a path that climbs
// out of the remote.
func FuzzLinkPath(f *testing.F) {
	for _, s := range []string{"charts/a-1.0.tgz", "https://cdn.example/x/a.tgz", "../../etc/passwd", "/abs/a.tgz", "http://u:p@h/x",
		"https://h/x?sig=1", "ftp://h/x", "//other/x", "a%2F..%2Fb", "https://repo.example/charts/"} {
		f.Add("https://repo.example/charts/", s)
	}
	f.Fuzz(func(t *testing.T, baseRaw, link string) {
		base, err := url.Parse(baseRaw)
		if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
			return
		}
		p := LinkPath(base, link)
		if p == link {
			return // left as it was
		}
		for _, seg := range strings.Split(p, "/") {
			if seg == ".." {
				t.Fatalf("LinkPath(%q, %q) = %q climbs out", baseRaw, link, p)
			}
		}
		if strings.HasPrefix(p, ExtPrefix) {
			back := ExtURL(p)
			if !strings.HasPrefix(back, "http://") && !strings.HasPrefix(back, "https://") {
				t.Fatalf("LinkPath(%q, %q) = %q maps back to %q", baseRaw, link, p, back)
			}
			if _, err := url.Parse(back); err != nil {
				t.Fatalf("ExtURL(%q) = %q: %v", p, back, err)
			}
		}
	})
}
