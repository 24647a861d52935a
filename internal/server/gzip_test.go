package server

import (
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Documents go out gzipped to clients that accept it (npm, pip and helm
// all do), from a copy made once after the first request: the same bytes
// once decoded, an ETag of their own, Vary on both, and the identity
// copy for clients that do not accept gzip, ask for a range or say q=0.
// This covers the ways a document is served: presented (npm), filtered
// by a release policy (npm with min_age), stored (PyPI, and a helm index
// sent as application/octet-stream), and merged by a virtual.
func TestDocumentsServedGzipped(t *testing.T) {
	var versions, links, charts strings.Builder
	for i := range 200 {
		fmt.Fprintf(&charts, "  chart%d:\n  - name: chart%d\n    version: 1.0.0\n    urls:\n    - chart%d-1.0.0.tgz\n", i, i, i)
		if i > 0 {
			versions.WriteString(",")
		}
		fmt.Fprintf(&versions, `"1.%d.0":{"version":"1.%d.0","dist":{"tarball":"http://elsewhere.invalid/p/-/p-1.%d.0.tgz"}}`, i, i, i)
		fmt.Fprintf(&links, "<a href=\"../../packages/demo-1.%d.0.tar.gz#sha256=%064x\">demo-1.%d.0.tar.gz</a><br/>\n", i, i, i)
	}
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/npm/p", "/npm/p2":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"name":"p","dist-tags":{"latest":"1.0.0"},"versions":{%s},"time":{"1.0.0":"2020-01-01T00:00:00.000Z"}}`, versions.String())
		case "/npm/tiny":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"name":"tiny","versions":{}}`)
		case "/helm/index.yaml":
			// As many chart repositories serve it: untyped.
			w.Header().Set("Content-Type", "application/octet-stream")
			fmt.Fprintf(w, "apiVersion: v1\nentries:\n%sgenerated: \"2024-01-01T00:00:00Z\"\n", charts.String())
		case "/pypi/simple/demo/":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(w, "<!DOCTYPE html><html><body>\n%s</body></html>\n", links.String())
		default:
			http.NotFound(w, r)
		}
	})
	h := newHarness(t, nil)
	h.remote("npm", up.URL+"/npm", map[string]any{"package_type": "npm"})
	h.remote("aged", up.URL+"/npm", map[string]any{"package_type": "npm", "min_age": "3d"})
	h.remote("pypi", up.URL+"/pypi", map[string]any{"package_type": "pypi"})
	h.remote("helm", up.URL+"/helm", map[string]any{"package_type": "helm"})
	for _, v := range []map[string]any{
		{"name": "npms", "package_type": "npm", "members": []string{"npm"}},
		{"name": "pypis", "package_type": "pypi", "members": []string{"pypi"}},
	} {
		if code := h.api("POST", "/api/v2/virtuals", v, nil); code != 201 {
			t.Fatalf("virtual %v: %d", v["name"], code)
		}
	}
	// A client that decodes nothing: what goes over the wire is checked.
	raw := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	get := func(method, path string, hdr ...string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, h.srv.URL+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := raw.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, b
	}
	for _, path := range []string{"/api/v1/remote/npm/p", "/api/v1/remote/aged/p", "/api/v1/remote/pypi/simple/demo/",
		"/api/v1/remote/helm/index.yaml", "/api/v1/virtual/npms/p", "/api/v1/virtual/pypis/simple/demo/"} {
		resp, identity := get("GET", path)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" || !strings.Contains(strings.Join(resp.Header.Values("Vary"), ", "), "Accept-Encoding") {
			t.Fatalf("%s: %d, Content-Encoding %q, Vary %q", path, resp.StatusCode, resp.Header.Get("Content-Encoding"), strings.Join(resp.Header.Values("Vary"), ", "))
		}
		var zipped []byte
		deadline := time.Now().Add(10 * time.Second)
		for {
			resp, b := get("GET", path, "Accept-Encoding", "deflate, GZIP;q=0.5")
			if resp.StatusCode != 200 || !strings.Contains(strings.Join(resp.Header.Values("Vary"), ", "), "Accept-Encoding") {
				t.Fatalf("%s: %d, Vary %q", path, resp.StatusCode, strings.Join(resp.Header.Values("Vary"), ", "))
			}
			if resp.Header.Get("Content-Encoding") == "gzip" {
				if resp.Header.Get("Content-Length") != fmt.Sprint(len(b)) {
					t.Fatalf("%s: Content-Length %s for %d gzip bytes", path, resp.Header.Get("Content-Length"), len(b))
				}
				zipped = b
				if tag := resp.Header.Get("ETag"); tag != "" {
					if !strings.HasSuffix(tag, `+gzip"`) {
						t.Fatalf("%s: the gzip copy has the ETag %s", path, tag)
					}
					if nm, _ := get("GET", path, "Accept-Encoding", "gzip", "If-None-Match", tag); nm.StatusCode != 304 {
						t.Fatalf("%s: If-None-Match its gzip ETag: %d", path, nm.StatusCode)
					}
					if plain, _ := get("GET", path); plain.Header.Get("ETag") == tag {
						t.Fatalf("%s: identity and gzip copies share the ETag %s", path, tag)
					}
				}
				break
			}
			if !bytes.Equal(b, identity) {
				t.Fatalf("%s: identity copy changed", path)
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: never served gzipped", path)
			}
			time.Sleep(10 * time.Millisecond)
		}
		zr, err := gzip.NewReader(bytes.NewReader(zipped))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		decoded, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(decoded, identity) {
			t.Fatalf("%s: gzip copy decodes to %d bytes (%v), identity is %d", path, len(decoded), err, len(identity))
		}
		if len(zipped)*3 > len(identity) {
			t.Fatalf("%s: gzip copy %d bytes for %d", path, len(zipped), len(identity))
		}
		if resp, b := get("HEAD", path, "Accept-Encoding", "gzip"); resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Content-Length") != fmt.Sprint(len(zipped)) || len(b) != 0 {
			t.Fatalf("%s: HEAD: %q, Content-Length %s", path, resp.Header.Get("Content-Encoding"), resp.Header.Get("Content-Length"))
		}
		for _, hdr := range [][]string{
			{"Accept-Encoding", "gzip;q=0, deflate"},
			{"Accept-Encoding", "br"},
			{"Accept-Encoding", "gzip", "Range", "bytes=0-9"},
			{"Accept-Encoding", "gzip", "If-Modified-Since", "Mon, 02 Jan 2006 15:04:05 GMT"},
		} {
			resp, b := get("GET", path, hdr...)
			if resp.Header.Get("Content-Encoding") != "" || (resp.StatusCode == 200 && !bytes.Equal(b, identity)) {
				t.Fatalf("%s %v: %d, Content-Encoding %q", path, hdr, resp.StatusCode, resp.Header.Get("Content-Encoding"))
			}
		}
	}
	// A document's miss starts no copy (a cold install asks for each
	// document once): its next request does, and gets the identity copy.
	for i := range 2 {
		if resp, _ := get("GET", "/api/v1/remote/npm/p2", "Accept-Encoding", "gzip"); resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" {
			t.Fatalf("request %d of a new document: %d, Content-Encoding %q", i, resp.StatusCode, resp.Header.Get("Content-Encoding"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Too small to be worth it: asked after the others were compressed.
	for range 3 {
		if resp, _ := get("GET", "/api/v1/remote/npm/tiny", "Accept-Encoding", "gzip"); resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" {
			t.Fatalf("tiny document: %d, Content-Encoding %q", resp.StatusCode, resp.Header.Get("Content-Encoding"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// With a small memory cache, a large document's identity rendering and
// its gzip copy are both kept in render files and sent from them.
func TestLargeDocumentGzipCopyInFile(t *testing.T) {
	var versions strings.Builder
	for i := range 400 {
		if i > 0 {
			versions.WriteString(",")
		}
		sum := sha512.Sum512(fmt.Append(nil, i))
		fmt.Fprintf(&versions, `"1.%d.0":{"dist":{"integrity":"sha512-%s","tarball":"http://elsewhere.invalid/q/-/q-1.%d.0.tgz"}}`, i, base64.StdEncoding.EncodeToString(sum[:]), i)
	}
	doc := `{"name":"q","versions":{` + versions.String() + `}}`
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, doc)
	})
	h := newHarness(t, map[string]string{"MEMORY_CACHE_SIZE": "128KB"}) // 16 KB at most in memory
	h.remote("npm", up.URL, map[string]any{"package_type": "npm"})
	raw := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	get := func(method, enc string) (*http.Response, []byte) {
		req, _ := http.NewRequest(method, h.srv.URL+"/api/v1/remote/npm/q", nil)
		req.Header.Set("Accept-Encoding", enc)
		resp, err := raw.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	_, identity := get("GET", "identity")
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, b := get("GET", "gzip")
		if resp.Header.Get("Content-Encoding") == "gzip" {
			if len(b) < 16<<10 || resp.Header.Get("Content-Length") != fmt.Sprint(len(b)) {
				t.Fatalf("gzip copy of %d bytes (Content-Length %s): not the file-kept case", len(b), resp.Header.Get("Content-Length"))
			}
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if decoded, err := io.ReadAll(zr); err != nil || !bytes.Equal(decoded, identity) {
				t.Fatalf("gzip copy from a file decodes to %d bytes (%v), identity is %d", len(decoded), err, len(identity))
			}
			if head, _ := get("HEAD", "gzip"); head.Header.Get("Content-Length") != fmt.Sprint(len(b)) {
				t.Fatalf("HEAD: Content-Length %s, GET sent %d", head.Header.Get("Content-Length"), len(b))
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("never served gzipped")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
