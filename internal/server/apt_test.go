package server

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"sync"
	"testing"
)

// aptUpstream serves a suite whose Release lists Packages; both can change.
type aptUpstream struct {
	*upstream
	mu       sync.Mutex
	listed   string // what Release says Packages is
	packages string // what Packages is
}

func newAptUpstream(t *testing.T, content string) *aptUpstream {
	a := &aptUpstream{listed: content, packages: content}
	a.upstream = newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		defer a.mu.Unlock()
		switch r.URL.Path {
		case "/dists/stable/Release":
			fmt.Fprintf(w, "Suite: stable\nSHA256:\n %x %d main/binary-amd64/Packages\n", sha256.Sum256([]byte(a.listed)), len(a.listed))
		case "/dists/stable/main/binary-amd64/Packages":
			w.Write([]byte(a.packages))
		default:
			http.NotFound(w, r)
		}
	})
	return a
}

func (a *aptUpstream) set(listed, packages string) {
	a.mu.Lock()
	a.listed, a.packages = listed, packages
	a.mu.Unlock()
}

const packagesPath = "/dists/stable/main/binary-amd64/Packages"

// An index that does not match its Release is refused and not stored; a
// cached index that a newer Release no longer lists is stale whatever its
// TTL, so apt never gets a Release and an index that disagree.
func TestAptIndicesFollowTheirRelease(t *testing.T) {
	h := newHarness(t, nil)
	tampered := newAptUpstream(t, "Package: a\n")
	tampered.set("Package: a\n", "Package: evil\n")
	if code := h.api("POST", "/api/v2/remotes", map[string]any{"name": "bad", "package_type": "apt", "base_url": tampered.URL}, nil); code != 201 {
		t.Fatal(code)
	}
	h.get("/api/v1/remote/bad/dists/stable/Release")
	if resp, body, _ := h.get("/api/v1/remote/bad" + packagesPath); resp.StatusCode == 200 && string(body) == "Package: evil\n" {
		t.Fatal("an index that does not match its Release was served")
	}
	for _, o := range h.objects("bad") {
		if o["path"] != "dists/stable/Release" {
			t.Fatalf("stored %v", o["path"])
		}
	}

	up := newAptUpstream(t, "Package: one\n")
	if code := h.api("POST", "/api/v2/remotes", map[string]any{"name": "deb", "package_type": "apt", "base_url": up.URL, "mutable_ttl": 3600}, nil); code != 201 {
		t.Fatal(code)
	}
	h.get("/api/v1/remote/deb/dists/stable/Release")
	if _, body, _ := h.get("/api/v1/remote/deb" + packagesPath); string(body) != "Package: one\n" {
		t.Fatalf("first index: %q", body)
	}
	up.set("Package: two\n", "Package: two\n")
	h.api("DELETE", "/api/v2/remotes/deb/objects?path=dists/stable/Release", nil, nil) // the Release moves on
	h.get("/api/v1/remote/deb/dists/stable/Release")
	resp, body, _ := h.get("/api/v1/remote/deb" + packagesPath)
	if string(body) != "Package: two\n" || resp.Header.Get("X-Cache") == "HIT" {
		t.Fatalf("index after its Release changed: %q %s", body, resp.Header.Get("X-Cache"))
	}
	if resp, _, _ := h.get("/api/v1/remote/deb" + packagesPath); resp.Header.Get("X-Cache") != "HIT" {
		t.Fatalf("a consistent index is a hit: %s", resp.Header.Get("X-Cache"))
	}
}
