package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// An upstream that implements the OCI referrers API: its list is served
// and cached (mutable), filtered here by artifactType; a subject nobody
// refers to is an empty index; a bad digest is refused before any
// upstream request.
func TestReferrersFromTheUpstreamAPI(t *testing.T) {
	subject := strings.Repeat("a", 64)
	list := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[` +
		`{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:` + strings.Repeat("b", 64) + `","size":10,"artifactType":"application/spdx+json"},` +
		`{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:` + strings.Repeat("c", 64) + `","size":11,"artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json","annotations":{"a":"b"}}]}`
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v2/":
			w.Write([]byte("{}"))
		case "/v2/team/app/referrers/sha256:" + subject:
			w.Header().Set("Content-Type", "application/vnd.oci.image.index.v1+json")
			w.Write([]byte(list))
		default:
			if strings.Contains(r.URL.Path, "/referrers/") {
				w.Header().Set("Content-Type", "application/vnd.oci.image.index.v1+json")
				w.Write([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}`))
				return
			}
			http.NotFound(w, r)
		}
	})
	h := newHarness(t, nil)
	h.remote("reg", up.URL, map[string]any{"package_type": "docker"})
	type index struct {
		MediaType string
		Manifests []struct{ Digest, ArtifactType string }
	}
	get := func(q string) (index, *http.Response) {
		t.Helper()
		resp, b, err := h.get("/v2/reg/team/app/referrers/sha256:" + subject + q)
		if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.oci.image.index.v1+json" {
			t.Fatalf("referrers%s: %v %d %s", q, err, resp.StatusCode, b)
		}
		var idx index
		if err := json.Unmarshal(b, &idx); err != nil {
			t.Fatal(err)
		}
		return idx, resp
	}
	if idx, resp := get(""); len(idx.Manifests) != 2 || resp.Header.Get("OCI-Filters-Applied") != "" {
		t.Fatalf("all referrers: %+v", idx)
	}
	hits := up.hits.Load()
	idx, resp := get("?artifactType=" + url.QueryEscape("application/spdx+json"))
	if len(idx.Manifests) != 1 || idx.Manifests[0].ArtifactType != "application/spdx+json" || resp.Header.Get("OCI-Filters-Applied") != "artifactType" {
		t.Fatalf("filtered: %+v %v", idx, resp.Header)
	}
	if up.hits.Load() != hits || resp.Header.Get("X-Cache") != "HIT" {
		t.Fatalf("the filtered list was not served from the cached one (X-Cache %s)", resp.Header.Get("X-Cache"))
	}
	resp, b, _ := h.get("/v2/reg/team/app/referrers/sha256:" + strings.Repeat("d", 64))
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"manifests":[]`) {
		t.Fatalf("no referrers: %d %s", resp.StatusCode, b)
	}
	hits = up.hits.Load()
	resp, _, _ = h.get("/v2/reg/team/app/referrers/latest")
	if resp.StatusCode != 400 || up.hits.Load() != hits {
		t.Fatalf("a tag as the subject: %d (upstream asked: %v)", resp.StatusCode, up.hits.Load() != hits)
	}
}
