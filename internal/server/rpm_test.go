package server

import (
	"bytes"
	"compress/gzip"
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

// Once the primary.xml repomd.xml names is cached, a package is checked
// against the checksum primary lists for it: a tampered one is refused
// and not stored, a matching one is served.
func TestRpmPackageVerifiedAgainstPrimary(t *testing.T) {
	good, bad := []byte("a real package"), []byte("a tampered package")
	goodSum := fmt.Sprintf("%x", sha256.Sum256(good))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	fmt.Fprintf(zw, `<metadata packages="2">`+
		`<package type="rpm"><checksum type="sha256">%s</checksum><size package="%d"/><location href="Packages/g/good-1-1.noarch.rpm"/></package>`+
		`<package type="rpm"><checksum type="sha256">%s</checksum><size package="%d"/><location href="Packages/b/bad-1-1.noarch.rpm"/></package></metadata>`,
		goodSum, len(good), goodSum, len(bad))
	zw.Close()
	primary := gz.Bytes()
	pname := fmt.Sprintf("repodata/%x-primary.xml.gz", sha256.Sum256(primary))
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/os/repodata/repomd.xml":
			fmt.Fprintf(w, `<repomd><data type="primary"><checksum type="sha256">%x</checksum><location href="%s"/></data></repomd>`, sha256.Sum256(primary), pname)
		case "/os/" + pname:
			w.Write(primary)
		case "/os/Packages/g/good-1-1.noarch.rpm":
			w.Write(good)
		case "/os/Packages/b/bad-1-1.noarch.rpm":
			w.Write(bad)
		}
	})
	h := newHarness(t, nil)
	if code := h.api("POST", "/api/v2/remotes", map[string]any{"name": "el", "package_type": "rpm", "base_url": up.URL}, nil); code != 201 {
		t.Fatal(code)
	}
	h.get("/api/v1/remote/el/os/repodata/repomd.xml")
	if resp, _, _ := h.get("/api/v1/remote/el/os/" + pname); resp.StatusCode != 200 {
		t.Fatalf("primary: %d", resp.StatusCode)
	}
	if resp, body, _ := h.get("/api/v1/remote/el/os/Packages/g/good-1-1.noarch.rpm"); resp.StatusCode != 200 || !bytes.Equal(body, good) {
		t.Fatalf("listed package: %d %q", resp.StatusCode, body)
	}
	if resp, _, err := h.get("/api/v1/remote/el/os/Packages/b/bad-1-1.noarch.rpm"); err == nil && resp.StatusCode == 200 {
		t.Fatal("a package that fails primary's checksum was served whole")
	}
	for _, o := range h.objects("el") {
		if o["path"] == "os/Packages/b/bad-1-1.noarch.rpm" {
			t.Fatal("refused package was stored")
		}
	}
}
