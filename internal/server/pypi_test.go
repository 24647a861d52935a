package server

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestPyPIPagesApartFilesVerifiedMappingSurvivesRestart(t *testing.T) {
	wheel, sdist, metadata := []byte("wheel bytes"), []byte("sdist bytes"), []byte("Metadata-Version: 2.1\nName: demo-pkg\n")
	files := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/packages/demo_pkg-1.0-py3-none-any.whl":
			w.Write(wheel)
		case "/packages/demo_pkg-1.0-py3-none-any.whl.metadata":
			w.Write(metadata)
		case "/packages/demo-pkg-0.9.tar.gz":
			w.Write([]byte("not the published sdist"))
		default:
			http.NotFound(w, r)
		}
	})
	index := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/simple/demo-pkg/" {
			http.NotFound(w, r)
			return
		}
		if strings.Contains(r.Header.Get("Accept"), "application/vnd.pypi.simple.v1+json") {
			w.Header().Set("Content-Type", "application/vnd.pypi.simple.v1+json")
			fmt.Fprintf(w, `{"meta":{"api-version":"1.1"},"name":"demo-pkg","files":[{"filename":"demo_pkg-1.0-py3-none-any.whl","url":"%s/packages/demo_pkg-1.0-py3-none-any.whl","hashes":{"sha256":%q}}]}`,
				files.URL, sha256hex(wheel))
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<html><body><a href="%s/packages/demo_pkg-1.0-py3-none-any.whl#sha256=%s" data-dist-info-metadata="sha256=%s">w</a><a href="%s/packages/demo-pkg-0.9.tar.gz#sha256=%s">s</a></body></html>`,
			files.URL, sha256hex(wheel), sha256hex(metadata), files.URL, sha256hex(sdist))
	})
	h := newHarness(t, nil)
	if code := h.api("POST", "/api/v2/remotes", map[string]any{"name": "pypi", "package_type": "pypi", "base_url": index.URL}, nil); code != 201 {
		t.Fatalf("create remote: %d", code)
	}
	resp, jsonPage, _ := h.get("/api/v1/remote/pypi/simple/Demo_Pkg/", "Accept", "application/vnd.pypi.simple.v1+json")
	_, htmlPage, _ := h.get("/api/v1/remote/pypi/simple/demo-pkg/", "Accept", "text/html")
	if !strings.HasPrefix(string(jsonPage), "{") || !strings.HasPrefix(string(htmlPage), "<html>") || !strings.Contains(resp.Header.Get("Vary"), "Accept") {
		t.Fatalf("JSON and HTML pages not kept apart:\n%s\n%s", jsonPage, htmlPage)
	}
	ext := "_ext/http/" + strings.TrimPrefix(files.URL, "http://")
	if !strings.Contains(string(htmlPage), `href="../../`+ext+`/packages/demo_pkg-1.0-py3-none-any.whl#sha256=`) {
		t.Fatalf("file link not rewritten through the proxy:\n%s", htmlPage)
	}
	fileURL := "/api/v1/remote/pypi/" + ext + "/packages/demo_pkg-1.0-py3-none-any.whl"
	if resp, body, _ := h.get(fileURL); resp.StatusCode != 200 || string(body) != string(wheel) {
		t.Fatalf("wheel on the second host: %d", resp.StatusCode)
	}
	if resp, body, _ := h.get(fileURL + ".metadata"); resp.StatusCode != 200 || string(body) != string(metadata) {
		t.Fatalf("PEP 658 metadata: %d %q", resp.StatusCode, body)
	}
	if resp, _, err := h.get("/api/v1/remote/pypi/" + ext + "/packages/demo-pkg-0.9.tar.gz"); err == nil && resp.StatusCode == 200 {
		t.Fatal("an sdist not matching the page's sha256 was served")
	}
	before := files.hits.Load()
	if resp, _, _ := h.get("/api/v1/remote/pypi/" + ext + "/packages/unlisted-1.0-py3-none-any.whl"); resp.StatusCode != 404 || files.hits.Load() != before {
		t.Fatalf("unlisted file on the second host: %d", resp.StatusCode)
	}

	// A restart keeps the mapping: the stored page still lists the file.
	h.evictLocal(t, "pypi", "_ext/") // drop the cached file, keep the page
	h.app.Close()
	h2 := newHarness(t, map[string]string{"DATA_DIR": h.dir})
	if resp, body, _ := h2.get(fileURL); resp.StatusCode != 200 || string(body) != string(wheel) {
		t.Fatalf("after a restart: %d", resp.StatusCode)
	}
}

// evictLocal evicts objects of remote under prefix through the API.
func (h *harness) evictLocal(t *testing.T, remote, prefix string) {
	t.Helper()
	if code := h.api("DELETE", "/api/v2/remotes/"+remote+"/objects?prefix="+prefix, nil, nil); code != 200 {
		t.Fatalf("evict: %d", code)
	}
}
