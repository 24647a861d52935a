package server

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/artifactapi/artifactapi/internal/format/alpine/alpinetest"
)

// A package whose control segment is not the one the index's C: field
// names is refused and not stored; the one the index lists is served.
func TestAlpinePackagesVerifiedAgainstTheIndex(t *testing.T) {
	good := alpinetest.Build("hello", "1.0-r0", true)
	// The index lists "evil" with good's size and checksum; the upstream
	// then serves other bytes for it.
	listed := alpinetest.Package{Name: "evil", Version: "1.0-r0", APK: good.APK, Control: good.Control}
	served := alpinetest.Build("evil", "1.0-r0", true)
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v3.20/main/x86_64/APKINDEX.tar.gz":
			w.Write(alpinetest.Index(good, listed))
		case "/v3.20/main/x86_64/" + good.File():
			w.Write(good.APK)
		case "/v3.20/main/x86_64/" + listed.File():
			w.Write(served.APK)
		}
	})
	h := newHarness(t, nil)
	if code := h.api("POST", "/api/v2/remotes", map[string]any{"name": "alp", "package_type": "alpine", "base_url": up.URL}, nil); code != 201 {
		t.Fatal(code)
	}
	h.get("/api/v1/remote/alp/v3.20/main/x86_64/APKINDEX.tar.gz")
	if resp, body, _ := h.get("/api/v1/remote/alp/v3.20/main/x86_64/" + good.File()); resp.StatusCode != 200 || !bytes.Equal(body, good.APK) {
		t.Fatalf("listed package: %d", resp.StatusCode)
	}
	if resp, _, err := h.get("/api/v1/remote/alp/v3.20/main/x86_64/" + listed.File()); err == nil && resp.StatusCode == 200 {
		t.Fatal("a package that is not the one the index lists was served whole")
	}
	for _, o := range h.objects("alp") {
		if o["path"] == "v3.20/main/x86_64/"+listed.File() {
			t.Fatal("the refused package was stored")
		}
	}
}
