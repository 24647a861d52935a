package server

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// A repodata file that does not match the checksum repomd.xml publishes is
// refused and not stored; one that matches is served and cached forever.
func TestRpmRepodataVerifiedAgainstRepomd(t *testing.T) {
	primary := []byte("<metadata packages=\"0\"/>")
	sum := fmt.Sprintf("%x", sha256.Sum256(primary))
	good, bad := "repodata/"+sum+"-primary.xml.gz", "repodata/"+sum+"-other.xml.gz"
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/repodata/repomd.xml":
			fmt.Fprintf(w, `<repomd><data type="primary"><checksum type="sha256">%s</checksum><location href="%s"/><size>%d</size></data>`+
				`<data type="other"><checksum type="sha256">%s</checksum><location href="%s"/></data></repomd>`, sum, good, len(primary), sum, bad)
		case "/" + good:
			w.Write(primary)
		case "/" + bad:
			w.Write([]byte("tampered"))
		}
	})
	h := newHarness(t, nil)
	if code := h.api("POST", "/api/v2/remotes", map[string]any{"name": "el", "package_type": "rpm", "base_url": up.URL}, nil); code != 201 {
		t.Fatal(code)
	}
	h.get("/api/v1/remote/el/repodata/repomd.xml")
	if resp, body, _ := h.get("/api/v1/remote/el/" + good); resp.StatusCode != 200 || string(body) != string(primary) {
		t.Fatalf("matching repodata: %d %s", resp.StatusCode, body)
	}
	if resp, _, err := h.get("/api/v1/remote/el/" + bad); err == nil && resp.StatusCode == 200 {
		t.Fatal("repodata that fails its published checksum was served whole")
	}
	for _, o := range h.objects("el") {
		if o["path"] == bad {
			t.Fatal("refused repodata was stored")
		}
		if o["path"] == good && o["mutable"] != false {
			t.Fatal("checksum-named repodata must be immutable")
		}
	}
}

// librepo resumes with Range and zchunk reads several ranges at once:
// both are answered from the cached file.
func TestRpmRangesFromTheCache(t *testing.T) {
	data := randomBytes(100_000)
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { w.Write(data) })
	h := newHarness(t, nil)
	if code := h.api("POST", "/api/v2/remotes", map[string]any{"name": "el", "package_type": "rpm", "base_url": up.URL}, nil); code != 201 {
		t.Fatal(code)
	}
	h.get("/api/v1/remote/el/Packages/h/hello-1.0-1.x86_64.rpm")
	resp, body, _ := h.get("/api/v1/remote/el/Packages/h/hello-1.0-1.x86_64.rpm", "Range", "bytes=0-9,5000-5009")
	if resp.StatusCode != http.StatusPartialContent || !strings.HasPrefix(resp.Header.Get("Content-Type"), "multipart/byteranges") ||
		!bytes.Contains(body, data[5000:5010]) || !bytes.Contains(body, data[:10]) {
		t.Fatalf("multi-range: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if resp, body, _ := h.get("/api/v1/remote/el/Packages/h/hello-1.0-1.x86_64.rpm", "Range", "bytes=99990-"); resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[99990:]) {
		t.Fatalf("resume: %d", resp.StatusCode)
	}
	if up.hits.Load() != 1 {
		t.Fatalf("ranges went upstream: %d requests", up.hits.Load())
	}
}
