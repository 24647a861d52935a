package server

import (
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestNPMDocumentsTarballsAndIntegrity(t *testing.T) {
	good, bad := []byte("good tarball"), []byte("tampered tarball")
	sum := sha512.Sum512(good)
	integrity := "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
	var reg *upstream
	reg = newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/@team/pkg":
			abbreviated := strings.Contains(r.Header.Get("Accept"), "application/vnd.npm.install-v1+json")
			fmt.Fprintf(w, `{"name":"@team/pkg","abbreviated":%v,"versions":{"1.0.0":{"dist":{"integrity":%q,"tarball":"%s/@team/pkg/-/pkg-1.0.0.tgz"}},"2.0.0":{"dist":{"integrity":%q,"tarball":"%s/@team/pkg/-/pkg-2.0.0.tgz"}}}}`,
				abbreviated, integrity, reg.URL, integrity, reg.URL)
		case "/@team/pkg/-/pkg-1.0.0.tgz":
			w.Write(good)
		case "/@team/pkg/-/pkg-2.0.0.tgz":
			w.Write(bad) // does not match the published integrity
		default:
			http.NotFound(w, r)
		}
	})
	h := newHarness(t, map[string]string{"PUBLIC_URL": "https://npm.example.internal"})
	if code := h.api("POST", "/api/v2/remotes", map[string]any{"name": "npm", "package_type": "npm", "base_url": reg.URL}, nil); code != 201 {
		t.Fatalf("create remote: %d", code)
	}
	doc := func(accept string) (map[string]any, *http.Response) {
		resp, body, _ := h.get("/api/v1/remote/npm/@team%2fpkg", "Accept", accept)
		var d map[string]any
		if err := json.Unmarshal(body, &d); err != nil {
			t.Fatalf("document: %d %s", resp.StatusCode, body)
		}
		return d, resp
	}
	abbrev, resp := doc("application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*")
	full, _ := doc("application/json")
	if abbrev["abbreviated"] != true || full["abbreviated"] != false || !strings.Contains(resp.Header.Get("Vary"), "Accept") {
		t.Fatalf("abbreviated and full documents not kept apart: %v / %v", abbrev["abbreviated"], full["abbreviated"])
	}
	tarball := abbrev["versions"].(map[string]any)["1.0.0"].(map[string]any)["dist"].(map[string]any)["tarball"].(string)
	if tarball != "https://npm.example.internal/api/v1/remote/npm/@team/pkg/-/pkg-1.0.0.tgz" {
		t.Fatalf("tarball URL not on PUBLIC_URL: %s", tarball)
	}
	if resp, body, _ := h.get("/api/v1/remote/npm/@team/pkg/-/pkg-1.0.0.tgz"); resp.StatusCode != 200 || string(body) != string(good) {
		t.Fatalf("tarball: %d", resp.StatusCode)
	}
	if resp, body, err := h.get("/api/v1/remote/npm/@team/pkg/-/pkg-2.0.0.tgz"); err == nil && resp.StatusCode == 200 {
		t.Fatalf("a tarball not matching its integrity was served: %q", body)
	}
	for _, o := range h.objects("npm") {
		if o["path"] == "@team/pkg/-/pkg-2.0.0.tgz" {
			t.Fatal("a tarball not matching its integrity was stored")
		}
	}
	// Audit is refused cleanly; the install goes on without it.
	req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/remote/npm/-/npm/v1/security/advisories/bulk", strings.NewReader("{}"))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 400 {
		t.Fatalf("audit: %v %d", err, resp.StatusCode)
	}
	before := reg.hits.Load()
	if resp, _, _ := h.get("/api/v1/remote/npm/@team/pkg/-/_ext/https/evil.example/x.tgz"); resp.StatusCode != 404 || reg.hits.Load() != before {
		t.Fatalf("unlisted tarball on another host: %d", resp.StatusCode)
	}
}

// A presented document is kept per address (in memory, or in a file when
// too large for it: the memory cache is made small here so the second
// document is): hits for one host get the same bytes, another host gets
// its own links, never the first's.
func TestPresentedDocumentsKeptPerAddress(t *testing.T) {
	large := `{"name":"q","versions":{`
	for i := range 600 {
		if i > 0 {
			large += ","
		}
		large += fmt.Sprintf(`"1.%d.0":{"dist":{"tarball":"http://elsewhere.invalid/q/-/q-1.%d.0.tgz"}}`, i, i)
	}
	large += "}}"
	reg := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/q") {
			fmt.Fprint(w, large)
			return
		}
		fmt.Fprint(w, `{"name":"p","versions":{"1.0.0":{"dist":{"tarball":"http://elsewhere.invalid/p/-/p-1.0.0.tgz"}}}}`)
	})
	h := newHarness(t, map[string]string{"MEMORY_CACHE_SIZE": "256KB"})
	h.remote("npm", reg.URL, map[string]any{"package_type": "npm"})
	for _, doc := range []string{"p", "q"} {
		get := func(method, host string) string {
			req, _ := http.NewRequest(method, h.srv.URL+"/api/v1/remote/npm/"+doc, nil)
			req.Host = host
			req.Header.Set("Accept-Encoding", "identity") // gzip copies: TestDocumentsServedGzipped
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 {
				t.Fatalf("%s %s: %d %s", doc, host, resp.StatusCode, b)
			}
			if method == "HEAD" {
				return resp.Header.Get("Content-Length")
			}
			if cl := resp.Header.Get("Content-Length"); cl != "" && cl != fmt.Sprint(len(b)) {
				t.Fatalf("%s %s: Content-Length %s for %d bytes", doc, host, cl, len(b))
			}
			return string(b)
		}
		a1, a2, b := get("GET", "a.example:8000"), get("GET", "a.example:8000"), get("GET", "b.example:8000")
		if a1 != a2 || !strings.Contains(a1, "http://a.example:8000/api/v1/remote/npm/") {
			t.Fatalf("%s: host a: %q then %q", doc, a1, a2)
		}
		if !strings.Contains(b, "http://b.example:8000/api/v1/remote/npm/") || strings.Contains(b, "a.example") {
			t.Fatalf("%s: host b got %q", doc, b)
		}
		if b2 := get("GET", "b.example:8000"); b2 != b {
			t.Fatalf("%s: host b kept: %q, first %q", doc, b2, b)
		}
		if n := get("HEAD", "a.example:8000"); n != fmt.Sprint(len(a1)) {
			t.Fatalf("%s: HEAD says %s bytes, GET sent %d", doc, n, len(a1))
		}
		// Many clients of a new address at once: each renders or reads
		// a kept rendering while others write theirs, and all get the
		// same whole document.
		bodies := make([]string, 16)
		var wg sync.WaitGroup
		for i := range bodies {
			wg.Go(func() {
				req, _ := http.NewRequest("GET", h.srv.URL+"/api/v1/remote/npm/"+doc, nil)
				req.Host = "c.example:8000"
				req.Header.Set("Accept-Encoding", "identity")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					bodies[i] = err.Error()
					return
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				if resp.StatusCode != 200 || err != nil {
					bodies[i] = fmt.Sprint(resp.StatusCode, err)
					return
				}
				bodies[i] = string(b)
			})
		}
		wg.Wait()
		for i, b := range bodies {
			if b != bodies[0] || !strings.Contains(b, "http://c.example:8000/api/v1/remote/npm/") {
				t.Fatalf("%s: concurrent client %d got another document (%d bytes, first %d)", doc, i, len(b), len(bodies[0]))
			}
		}
	}
}
