package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// A release file that does not match the listing's file_sha256 is
// refused and not stored; lists are kept apart per query.
func TestPuppetFilesVerifiedAgainstTheirListing(t *testing.T) {
	var lists int
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v3/releases":
			lists++
			json.NewEncoder(w).Encode(map[string]any{"pagination": map[string]any{"next": nil}, "results": []any{
				map[string]any{"version": "1.0.0", "file_uri": "/v3/files/demo-x-1.0.0.tar.gz", "file_sha256": strings.Repeat("ab", 32)}}})
		case "/v3/files/demo-x-1.0.0.tar.gz":
			w.Write([]byte("not what the Forge published"))
		}
	})
	h := newHarness(t, nil)
	if code := h.api("POST", "/api/v2/remotes", map[string]any{"name": "forge", "package_type": "puppet", "base_url": up.URL}, nil); code != 201 {
		t.Fatal(code)
	}
	_, body, _ := h.get("/api/v1/remote/forge/v3/releases?module=demo-x&sort_by=version")
	h.get("/api/v1/remote/forge/v3/releases?sort_by=version&module=demo-x") // the same question, another order: a hit
	h.get("/api/v1/remote/forge/v3/releases?module=demo-x&offset=1")        // another question
	if lists != 2 {
		t.Fatalf("%d upstream list requests, want 2 (kept per query, order-insensitive)", lists)
	}
	var doc struct {
		Results []struct {
			FileURI string `json:"file_uri"`
		}
	}
	if json.Unmarshal(body, &doc); len(doc.Results) != 1 || !strings.HasPrefix(doc.Results[0].FileURI, "/v3/files/_in/") {
		t.Fatalf("list: %s", body)
	}
	if resp, _, err := h.get("/api/v1/remote/forge" + doc.Results[0].FileURI); err == nil && resp.StatusCode == 200 {
		t.Fatal("a file that fails file_sha256 was served whole")
	}
	for _, o := range h.objects("forge") {
		if strings.HasSuffix(o["path"].(string), ".tar.gz") {
			t.Fatal("the refused file was stored")
		}
	}
}
