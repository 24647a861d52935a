package format

import (
	"net/url"
	"path"
	"strings"
)

// ExtPrefix marks an artifact that an index lists on another host than
// the remote: _ext/{scheme}/{host}/{path}. Types serve such paths only when
// their index lists them (Published.MustBeListed).
const ExtPrefix = "_ext/"

// LinkPath maps a link from an upstream index to a path relative to the
// remote: under the remote's base it keeps its sub-directories; on another
// host it becomes _ext/{scheme}/{host}/{path}. Links carrying a query
// (pre-signed) and non-HTTP links are left as they are.
func LinkPath(base *url.URL, raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return raw
	}
	dir := *base
	dir.Path = strings.TrimSuffix(base.Path, "/") + "/"
	dir.RawPath = ""
	abs := dir.ResolveReference(u)
	if abs.Scheme != "http" && abs.Scheme != "https" {
		return raw
	}
	if _, err := url.Parse(abs.Scheme + "://" + abs.Host + "/"); err != nil || !validHost(abs.Hostname()) {
		return raw // not a host anyone can be reached at ("//::", "http://../")
	}
	p := path.Clean("/" + abs.Path)
	if abs.Scheme == base.Scheme && abs.Host == base.Host && strings.HasPrefix(p, dir.Path) && p != strings.TrimSuffix(dir.Path, "/") {
		return escape(strings.TrimPrefix(p, dir.Path))
	}
	return ExtPrefix + abs.Scheme + "/" + abs.Host + escape(p)
}

// validHost admits names and addresses: letters, digits, '-', '.', '_'
// and the colons of an IPv6 address; never "." or "..", which would turn
// into path segments.
func validHost(h string) bool {
	if h == "" || h == "." || h == ".." {
		return false
	}
	for _, c := range h {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == ':') {
			return false
		}
	}
	return true
}

func escape(p string) string { return (&url.URL{Path: p}).EscapedPath() }

// ExtURL turns an _ext path back into the absolute URL it stands for;
// other paths are returned unchanged.
func ExtURL(p string) string {
	if rest, ok := strings.CutPrefix(p, ExtPrefix); ok {
		scheme, hostPath, _ := strings.Cut(rest, "/")
		if scheme == "http" || scheme == "https" {
			return scheme + "://" + hostPath
		}
	}
	return p
}
