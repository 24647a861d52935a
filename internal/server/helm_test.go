package server

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// chartRepo serves an index.yaml listing a relative chart, a chart in a
// sub-directory by absolute URL, a chart on a second host, and a chart
// whose published digest is wrong.
func chartRepo(t *testing.T) (repo, other *upstream, charts map[string][]byte) {
	charts = map[string][]byte{
		"rel-0.1.0.tgz":            []byte("relative chart bytes"),
		"charts/sub/abs-0.2.0.tgz": []byte("absolute chart bytes"),
		"ext-1.0.0.tgz":            []byte("chart on another host"),
		"bad-1.0.0.tgz":            []byte("bytes that do not match the index"),
	}
	other = newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/releases/ext-1.0.0.tgz" {
			w.Write(charts["ext-1.0.0.tgz"])
			return
		}
		http.NotFound(w, r)
	})
	repo = newUpstream(t, nil)
	repo.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		repo.hits.Add(1)
		p := strings.TrimPrefix(r.URL.Path, "/repo/")
		if p == "index.yaml" {
			fmt.Fprintf(w, `apiVersion: v1
entries:
  rel:
  - name: rel
    version: 0.1.0
    digest: %s
    urls:
    - rel-0.1.0.tgz
  abs:
  - name: abs
    version: 0.2.0
    digest: %s
    urls:
    - %s/repo/charts/sub/abs-0.2.0.tgz
  ext:
  - name: ext
    version: 1.0.0
    digest: %s
    urls:
    - %s/releases/ext-1.0.0.tgz
  bad:
  - name: bad
    version: 1.0.0
    digest: %s
    urls:
    - bad-1.0.0.tgz
generated: "2024-01-01T00:00:00Z"
`, sha256hex(charts["rel-0.1.0.tgz"]), sha256hex(charts["charts/sub/abs-0.2.0.tgz"]), repo.URL,
				sha256hex(charts["ext-1.0.0.tgz"]), other.URL, strings.Repeat("0", 64))
			return
		}
		if b, ok := charts[p]; ok {
			w.Write(b)
			return
		}
		http.NotFound(w, r)
	})
	return repo, other, charts
}

func TestHelmIndexRewrittenAndChartsVerified(t *testing.T) {
	repo, other, charts := chartRepo(t)
	h := newHarness(t, nil)
	if code := h.api("POST", "/api/v2/remotes", map[string]any{"name": "charts", "package_type": "helm", "base_url": repo.URL + "/repo"}, nil); code != 201 {
		t.Fatalf("create remote: %d", code)
	}
	resp, index, _ := h.get("/api/v1/remote/charts/index.yaml")
	if resp.StatusCode != 200 {
		t.Fatalf("index: %d %s", resp.StatusCode, index)
	}
	extPath := "_ext/http/" + strings.TrimPrefix(other.URL, "http://") + "/releases/ext-1.0.0.tgz"
	for _, want := range []string{`- "rel-0.1.0.tgz"`, `- "charts/sub/abs-0.2.0.tgz"`, `- "` + extPath + `"`} {
		if !strings.Contains(string(index), want) {
			t.Errorf("index lacks %s:\n%s", want, index)
		}
	}
	if strings.Contains(string(index), repo.URL) || strings.Contains(string(index), other.URL) {
		t.Errorf("an upstream URL survived the rewrite:\n%s", index)
	}
	if etag := resp.Header.Get("ETag"); etag != `"sha256:`+sha256hex(index)+`"` {
		t.Errorf("the rewritten index's ETag %s is not its own digest", etag)
	}
	if resp, _, _ := h.get("/api/v1/remote/charts/index.yaml", "If-None-Match", resp.Header.Get("ETag")); resp.StatusCode != 304 {
		t.Errorf("If-None-Match on the index: %d", resp.StatusCode)
	}

	for path, want := range map[string][]byte{"rel-0.1.0.tgz": charts["rel-0.1.0.tgz"], "charts/sub/abs-0.2.0.tgz": charts["charts/sub/abs-0.2.0.tgz"], extPath: charts["ext-1.0.0.tgz"]} {
		if resp, body, err := h.get("/api/v1/remote/charts/" + path); err != nil || resp.StatusCode != 200 || string(body) != string(want) {
			t.Errorf("%s: %v %d %q", path, err, resp.StatusCode, body)
		}
	}
	// A chart whose bytes do not match the index digest is refused, not stored.
	if resp, body, err := h.get("/api/v1/remote/charts/bad-1.0.0.tgz"); err == nil && resp.StatusCode == 200 {
		t.Fatalf("a chart not matching its digest was served: %q", body)
	}
	for _, o := range h.objects("charts") {
		if o["path"] == "bad-1.0.0.tgz" {
			t.Fatal("a chart not matching its digest was stored")
		}
	}
	// Another host is reachable only for what the index lists.
	before := other.hits.Load()
	unlisted := "_ext/http/" + strings.TrimPrefix(other.URL, "http://") + "/releases/secret.tgz"
	if resp, _, _ := h.get("/api/v1/remote/charts/" + unlisted); resp.StatusCode != 404 || other.hits.Load() != before {
		t.Fatalf("unlisted foreign chart: %d, other host asked %d times", resp.StatusCode, other.hits.Load()-before)
	}
}

func TestHelmVirtualMergedIndex(t *testing.T) {
	chartA, chartB := []byte("chart a bytes"), []byte("chart b bytes")
	version := "0.1.0"
	serve := func(name string, chart []byte, v *string) *upstream {
		return newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/index.yaml":
				fmt.Fprintf(w, "apiVersion: v1\nentries:\n  %s:\n  - name: %s\n    version: %s\n    digest: %s\n    urls:\n    - %s-%s.tgz\ngenerated: x\n",
					name, name, *v, sha256hex(chart), name, *v)
			case "/" + name + "-" + *v + ".tgz":
				w.Write(chart)
			default:
				http.NotFound(w, r)
			}
		})
	}
	fixed := "1.0.0"
	a, b := serve("alpha", chartA, &fixed), serve("beta", chartB, &version)
	h := newHarness(t, nil)
	for name, up := range map[string]*upstream{"a": a, "b": b} {
		if code := h.api("POST", "/api/v2/remotes", map[string]any{"name": name, "package_type": "helm", "base_url": up.URL, "mutable_ttl": 0}, nil); code != 201 {
			t.Fatalf("create %s: %d", name, code)
		}
	}
	if code := h.api("POST", "/api/v2/virtuals", map[string]any{"name": "charts", "package_type": "helm", "members": []string{"a", "b"}}, nil); code != 201 {
		t.Fatalf("create virtual: %d", code)
	}
	resp, index, _ := h.get("/api/v1/virtual/charts/index.yaml")
	if resp.StatusCode != 200 || !strings.Contains(string(index), `"../../remote/a/alpha-1.0.0.tgz"`) || !strings.Contains(string(index), `"../../remote/b/beta-0.1.0.tgz"`) {
		t.Fatalf("merged index: %d\n%s", resp.StatusCode, index)
	}
	etag := resp.Header.Get("ETag")
	if resp, _, _ := h.get("/api/v1/virtual/charts/index.yaml", "If-None-Match", etag); resp.StatusCode != 304 {
		t.Fatalf("If-None-Match on the merged index: %d", resp.StatusCode)
	}
	// Each chart URL resolves, relative to the virtual, to its member.
	if resp, body, _ := h.get("/api/v1/remote/b/beta-0.1.0.tgz"); resp.StatusCode != 200 || string(body) != string(chartB) {
		t.Fatalf("chart through its member: %d", resp.StatusCode)
	}
	// A member's index changes: the merge follows, with a new ETag.
	version = "0.2.0"
	resp, index, _ = h.get("/api/v1/virtual/charts/index.yaml")
	if resp.Header.Get("ETag") == etag || !strings.Contains(string(index), "beta-0.2.0.tgz") {
		t.Fatalf("merged index did not follow its member:\n%s", index)
	}
	// Deleting the virtual removes what was derived for it.
	h.api("DELETE", "/api/v2/virtuals/charts", nil, nil)
	h.remote("charts", a.URL, nil)
	if objs := h.objects("charts"); len(objs) != 0 {
		t.Fatalf("a remote reusing the name sees the old virtual's documents: %v", objs)
	}
}
