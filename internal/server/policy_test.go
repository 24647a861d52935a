package server

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A helm remote with min_age: the served index leaves the new chart
// version out, its archive is refused by URL (403, nothing stored), the
// old one is served; a shorter min_age shows the new version from the
// same cached index, without asking the upstream again.
func TestReleasePolicyHelmIndexAndCharts(t *testing.T) {
	fresh := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	repo := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/index.yaml":
			fmt.Fprintf(w, "apiVersion: v1\nentries:\n  app:\n  - name: app\n    version: 2.0.0\n    created: %q\n    urls:\n    - app-2.0.0.tgz\n"+
				"  - name: app\n    version: 1.0.0\n    created: \"2020-01-01T00:00:00Z\"\n    urls:\n    - app-1.0.0.tgz\n", fresh)
		case "/app-1.0.0.tgz", "/app-2.0.0.tgz":
			w.Write([]byte("chart " + r.URL.Path))
		default:
			http.NotFound(w, r)
		}
	})
	h := newHarness(t, nil)
	body := map[string]any{"name": "charts", "package_type": "helm", "base_url": repo.URL, "mutable_ttl": 3600, "min_age": "72h"}
	h.remote("charts", repo.URL, body)
	resp, idx, _ := h.get("/api/v1/remote/charts/index.yaml")
	if resp.StatusCode != 200 || strings.Contains(string(idx), "2.0.0") || !strings.Contains(string(idx), "app-1.0.0.tgz") {
		t.Fatalf("index: %d\n%s", resp.StatusCode, idx)
	}
	resp, b, _ := h.get("/api/v1/remote/charts/app-2.0.0.tgz")
	if resp.StatusCode != 403 || !strings.Contains(string(b), "min_age 72h0m0s") {
		t.Fatalf("new chart: %d %s", resp.StatusCode, b)
	}
	for _, o := range h.objects("charts") {
		if o["path"] == "app-2.0.0.tgz" {
			t.Fatal("a refused chart was stored")
		}
	}
	if resp, _, _ := h.get("/api/v1/remote/charts/app-1.0.0.tgz"); resp.StatusCode != 200 {
		t.Fatalf("old chart: %d", resp.StatusCode)
	}
	hits := repo.hits.Load()
	body["min_age"] = "30m"
	if code := h.api("PUT", "/api/v2/remotes/charts", body, nil); code != 200 {
		t.Fatalf("update: %d", code)
	}
	if _, idx, _ := h.get("/api/v1/remote/charts/index.yaml"); !strings.Contains(string(idx), "app-2.0.0.tgz") {
		t.Fatalf("index after min_age 30m:\n%s", idx)
	}
	if repo.hits.Load() != hits {
		t.Fatal("the index was fetched again; it should be filtered as served")
	}
}

// A virtual's merged document takes each member's policy; a tarball whose
// document cannot be read (upstream failing, nothing cached) cannot be
// dated, and is refused rather than let through.
func TestReleasePolicyNPMVirtualAndUndated(t *testing.T) {
	old, fresh := "2020-01-01T00:00:00.000Z", time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	failing := false
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if failing {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		switch r.URL.Path {
		case "/demo":
			fmt.Fprintf(w, `{"name":"demo","dist-tags":{"latest":"2.0.0"},"versions":{"1.0.0":{"version":"1.0.0","dist":{"tarball":"%[1]s/demo/-/demo-1.0.0.tgz"}},"2.0.0":{"version":"2.0.0","dist":{"tarball":"%[1]s/demo/-/demo-2.0.0.tgz"}}},"time":{"1.0.0":%[2]q,"2.0.0":%[3]q}}`, "http://"+r.Host, old, fresh)
		case "/demo/-/demo-1.0.0.tgz", "/demo/-/demo-2.0.0.tgz", "/other/-/other-1.0.0.tgz":
			w.Write([]byte("tarball"))
		default:
			http.NotFound(w, r)
		}
	})
	h := newHarness(t, nil)
	h.remote("npm", up.URL, map[string]any{"package_type": "npm", "min_age": "3d"})
	h.remote("npm2", up.URL+"/none", map[string]any{"package_type": "npm"})
	if code := h.api("POST", "/api/v2/virtuals", map[string]any{"name": "all", "package_type": "npm", "members": []string{"npm2", "npm"}}, nil); code != 201 {
		t.Fatalf("virtual: %d", code)
	}
	for _, path := range []string{"/api/v1/virtual/all/demo", "/api/v1/remote/npm/demo"} {
		resp, doc, _ := h.get(path, "Accept", "application/vnd.npm.install-v1+json")
		if resp.StatusCode != 200 || strings.Contains(string(doc), `"2.0.0":{`) || !strings.Contains(string(doc), `"latest":"1.0.0"`) {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, doc)
		}
	}
	failing = true
	resp, b, _ := h.get("/api/v1/remote/npm/other/-/other-1.0.0.tgz")
	if resp.StatusCode != 503 || !strings.Contains(string(b), "cannot date") {
		t.Fatalf("undatable tarball: %d %s", resp.StatusCode, b)
	}
	for _, o := range h.objects("npm") {
		if strings.HasPrefix(fmt.Sprint(o["path"]), "other/") {
			t.Fatalf("stored %v", o["path"])
		}
	}
}

// Policy settings are checked when a remote is written: a clear 400 that
// names the field, and nothing changes.
func TestReleasePolicySettingsValidated(t *testing.T) {
	h := newHarness(t, nil)
	for _, c := range []struct {
		typ   string
		extra map[string]any
		want  string
	}{
		{"npm", map[string]any{"min_age": "soon"}, "min_age"},
		{"pypi", map[string]any{"blocked_versions": []string{"requests@~=2.0"}}, "blocked_versions"},
		{"goproxy", map[string]any{"min_age_exempt": []string{"["}}, "min_age_exempt"},
		{"docker", map[string]any{"min_age": "72h"}, "min_age: not a setting of package type docker"},
	} {
		var out map[string]any
		body := map[string]any{"name": "r", "package_type": c.typ, "base_url": "http://127.0.0.1:1"}
		for k, v := range c.extra {
			body[k] = v
		}
		if code := h.api("POST", "/api/v2/remotes", body, &out); code != 400 || !strings.Contains(fmt.Sprint(out), c.want) {
			t.Errorf("%s %v: %d %v", c.typ, c.extra, code, out)
		}
	}
	var list struct{ Remotes []any }
	if h.api("GET", "/api/v2/remotes", nil, &list); len(list.Remotes) != 0 {
		t.Fatalf("refused remotes were created: %v", list)
	}
}

// A filtered document too large for the memory cache is rendered whole
// into a file, then sent from it to this and later requests: the same
// bytes each time, the fresh version hidden, the length announced.
func TestReleasePolicyLargeDocumentKeptInFile(t *testing.T) {
	old, fresh := "2020-01-01T00:00:00.000Z", time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	var versions, times strings.Builder
	for i := range 600 {
		fmt.Fprintf(&versions, `"1.%d.0":{"version":"1.%d.0","dist":{"tarball":"http://x.invalid/big/-/big-1.%d.0.tgz"}},`, i, i, i)
		fmt.Fprintf(&times, `"1.%d.0":%q,`, i, old)
	}
	doc := fmt.Sprintf(`{"name":"big","dist-tags":{"latest":"2.0.0"},"versions":{%s"2.0.0":{"version":"2.0.0","dist":{"tarball":"http://x.invalid/big/-/big-2.0.0.tgz"}}},"time":{%s"2.0.0":%q}}`,
		versions.String(), times.String(), fresh)
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, doc) })
	h := newHarness(t, map[string]string{"MEMORY_CACHE_SIZE": "256KB"})
	h.remote("npm", up.URL, map[string]any{"package_type": "npm", "min_age": "3d"})
	var first string
	for i := range 3 {
		// The identity copy: a gzip one is TestDocumentsServedGzipped's.
		resp, b, _ := h.get("/api/v1/remote/npm/big", "Accept-Encoding", "identity")
		body := string(b)
		if resp.StatusCode != 200 || strings.Contains(body, `"2.0.0":{`) || !strings.Contains(body, `"1.599.0"`) || len(body) < 40<<10 {
			t.Fatalf("request %d: %d, %d bytes", i, resp.StatusCode, len(body))
		}
		if cl := resp.Header.Get("Content-Length"); cl != fmt.Sprint(len(body)) {
			t.Fatalf("request %d: Content-Length %s for %d bytes", i, cl, len(body))
		}
		if i == 0 {
			first = body
		} else if body != first {
			t.Fatalf("request %d: other bytes than the first", i)
		}
	}
	req, _ := http.NewRequest("HEAD", h.srv.URL+"/api/v1/remote/npm/big", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Length") != fmt.Sprint(len(first)) {
		t.Fatalf("HEAD: %v %v %s", err, resp.StatusCode, resp.Header.Get("Content-Length"))
	}
	resp.Body.Close()
}
