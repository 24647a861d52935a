package server

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// virtualOf makes remotes "none" (an upstream that has nothing) and "b",
// and the virtual "v" over both in that order.
func virtualOf(t *testing.T, h *harness, typ, baseB string) {
	t.Helper()
	none := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	for name, base := range map[string]string{"none": none.URL, "b": baseB} {
		if code := h.api("POST", "/api/v2/remotes", map[string]any{"name": name, "package_type": typ, "base_url": base}, nil); code != 201 {
			t.Fatalf("remote %s: %d", name, code)
		}
	}
	if code := h.api("POST", "/api/v2/virtuals", map[string]any{"name": "v", "package_type": typ, "members": []string{"none", "b"}}, nil); code != 201 {
		t.Fatalf("virtual: %d", code)
	}
}

// Through a virtual, the archive a download document names is fetched
// from the member whose document named it, and verified against it.
func TestTerraformVirtualFollowsTheMember(t *testing.T) {
	archive := []byte("the provider archive")
	files := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { w.Write(archive) })
	reg := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"os": "linux", "arch": "amd64", "filename": "p.zip",
			"download_url": files.URL + "/p.zip", "shasums_url": files.URL + "/SHA256SUMS", "shasum": fmt.Sprintf("%x", sha256.Sum256(archive))})
	})
	h := newHarness(t, nil)
	virtualOf(t, h, "terraform", reg.URL)
	_, body, _ := h.get("/api/v1/virtual/v/v1/providers/demo/p/1.0.0/download/linux/amd64")
	var d struct {
		DownloadURL string `json:"download_url"`
	}
	json.Unmarshal(body, &d)
	resp, got, err := h.get(strings.TrimPrefix(d.DownloadURL, h.srv.URL))
	if err != nil || resp.StatusCode != 200 || string(got) != string(archive) {
		t.Fatalf("archive through the virtual (%s): %v %d %q", d.DownloadURL, err, resp.StatusCode, got)
	}
}

// Through a virtual, a release file a list names comes from the member
// whose list named it, verified against that list.
func TestPuppetVirtualFollowsTheMember(t *testing.T) {
	file := []byte("the module release")
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v3/releases":
			json.NewEncoder(w).Encode(map[string]any{"pagination": map[string]any{"next": nil}, "results": []any{
				map[string]any{"version": "1.0.0", "file_uri": "/v3/files/demo-x-1.0.0.tar.gz", "file_sha256": fmt.Sprintf("%x", sha256.Sum256(file))}}})
		case "/v3/files/demo-x-1.0.0.tar.gz":
			w.Write(file)
		default:
			http.NotFound(w, r)
		}
	})
	h := newHarness(t, nil)
	virtualOf(t, h, "puppet", up.URL)
	_, body, _ := h.get("/api/v1/virtual/v/v3/releases?module=demo-x")
	var doc struct {
		Results []struct {
			FileURI string `json:"file_uri"`
		}
	}
	if json.Unmarshal(body, &doc); len(doc.Results) != 1 {
		t.Fatalf("list through the virtual: %s", body)
	}
	resp, got, err := h.get("/api/v1/virtual/v" + doc.Results[0].FileURI)
	if err != nil || resp.StatusCode != 200 || string(got) != string(file) {
		t.Fatalf("release file through the virtual: %v %d %q", err, resp.StatusCode, got)
	}
}
