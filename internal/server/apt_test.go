package server

import (
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
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

// A package in the pool is checked against the Packages entry that lists
// it, in whichever suite's index is cached, by name or by hash (apt fetches
// by hash when the Release says Acquire-By-Hash); one the upstream changed
// is refused and not stored, one no cached index lists is passed.
func TestAptPackagesCheckedAgainstTheirIndex(t *testing.T) {
	good := []byte("a debian package, honestly")
	evil := []byte("a debian package, tampered")
	entry := func(file string, body []byte) string {
		return fmt.Sprintf("Package: p\nFilename: %s\nSize: %d\nSHA256: %x\n\n", file, len(body), sha256.Sum256(body))
	}
	packages := entry("pool/main/p/p/p_1.0_amd64.deb", good) + entry("pool/main/p/p/p-doc_1.0_all.deb", good) + entry("pool/main/e/e/e_1.0_amd64.deb", good)
	var gz strings.Builder
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(packages))
	zw.Close()
	byHash := fmt.Sprintf("/dists/bookworm-updates/main/binary-amd64/by-hash/SHA256/%x", sha256.Sum256([]byte(gz.String())))
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/dists/bookworm-updates/InRelease":
			fmt.Fprintf(w, "Suite: bookworm-updates\nAcquire-By-Hash: yes\nSHA256:\n %x %d main/binary-amd64/Packages.gz\n", sha256.Sum256([]byte(gz.String())), gz.Len())
		case byHash:
			w.Write([]byte(gz.String()))
		case "/pool/main/p/p/p_1.0_amd64.deb", "/pool/main/p/p/p-doc_1.0_all.deb", "/pool/main/u/u/u_1.0_amd64.deb":
			w.Write(good)
		case "/pool/main/e/e/e_1.0_amd64.deb":
			w.Write(evil)
		default:
			http.NotFound(w, r)
		}
	})
	h := newHarness(t, nil)
	h.remote("deb", up.URL, map[string]any{"package_type": "apt"})
	for _, p := range []string{"/dists/bookworm-updates/InRelease", byHash} {
		if resp, _, _ := h.get("/api/v1/remote/deb" + p); resp.StatusCode != 200 {
			t.Fatalf("%s: %d", p, resp.StatusCode)
		}
	}
	for _, p := range []string{
		"pool/main/p/p/p_1.0_amd64.deb",   // listed, matches
		"pool/main/p/p/p-doc_1.0_all.deb", // an "all" package, listed for amd64
		"pool/main/u/u/u_1.0_amd64.deb",   // listed nowhere cached: apt checks it itself
	} {
		if resp, body, err := h.get("/api/v1/remote/deb/" + p); err != nil || resp.StatusCode != 200 || string(body) != string(good) {
			t.Errorf("%s: %v %v %q, want 200 and the package", p, resp, err, body)
		}
	}
	// Listed, and the upstream changed it: refused, as a 502 when the
	// mismatch is known before the answer starts, or as a broken transfer
	// when the bytes were already streaming (never a whole 200).
	if resp, body, err := h.get("/api/v1/remote/deb/pool/main/e/e/e_1.0_amd64.deb"); err == nil && resp.StatusCode == 200 {
		t.Errorf("a changed package was served whole: %q", body)
	}
	for _, o := range h.objects("deb") {
		if o["path"] == "pool/main/e/e/e_1.0_amd64.deb" {
			t.Fatal("a package that does not match its Packages entry was stored")
		}
	}
}
