package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// A provider archive that does not match the download document's shasum
// is refused and not stored; a link no cached document lists is a 404
// without a request to the other host.
func TestTerraformArchiveVerifiedAndListed(t *testing.T) {
	var fileHits atomic.Int64
	files := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		fileHits.Add(1)
		w.Write([]byte("not the archive the registry published"))
	})
	reg := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"os": "linux", "arch": "amd64", "filename": "p.zip",
			"download_url": files.URL + "/p.zip", "shasums_url": files.URL + "/SHA256SUMS", "shasum": strings.Repeat("ab", 32)})
	})
	h := newHarness(t, nil)
	if code := h.api("POST", "/api/v2/remotes", map[string]any{"name": "tf", "package_type": "terraform", "base_url": reg.URL}, nil); code != 201 {
		t.Fatal(code)
	}
	doc := "/api/v1/remote/tf/v1/providers/demo/p/1.0.0/download/linux/amd64"
	resp, body, _ := h.get(doc)
	var d struct {
		DownloadURL string `json:"download_url"`
	}
	if json.Unmarshal(body, &d); resp.StatusCode != 200 || !strings.HasPrefix(d.DownloadURL, h.srv.URL+doc+"/_ext/http/") {
		t.Fatalf("download document: %d %s", resp.StatusCode, body)
	}
	if resp, body, err := h.get(strings.TrimPrefix(d.DownloadURL, h.srv.URL)); err == nil && resp.StatusCode == 200 {
		t.Fatalf("an archive that fails the shasum was served: %s", body)
	}
	for _, o := range h.objects("tf") {
		if strings.HasSuffix(o["path"].(string), "p.zip") {
			t.Fatal("the refused archive was stored")
		}
	}
	before := fileHits.Load()
	if resp, _, _ := h.get(doc + "/_ext/http/" + strings.TrimPrefix(files.URL, "http://") + "/other.zip"); resp.StatusCode != 404 || fileHits.Load() != before {
		t.Fatalf("an unlisted link: %d, %d requests to the other host", resp.StatusCode, fileHits.Load()-before)
	}
}
