package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// forgeModule is a module release tarball as the Forge serves it.
func forgeModule(slug, version string) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	dir := slug + "-" + version + "/"
	meta, _ := json.Marshal(map[string]any{"name": slug, "version": version, "author": "demo", "summary": "a test module",
		"license": "Apache-2.0", "source": "none", "dependencies": []any{}})
	for name, body := range map[string][]byte{dir + "metadata.json": meta, dir + "manifests/init.pp": []byte("class hello {}\n")} {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body))})
		tw.Write(body)
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

// testForge pages its releases (one per page), so the client follows
// pagination.next.
func testForge(t *testing.T) *httptest.Server {
	files := map[string][]byte{}
	var releases []map[string]any
	for _, v := range []string{"1.0.0", "1.1.0"} {
		tgz := forgeModule("demo-hello", v)
		name := "demo-hello-" + v + ".tar.gz"
		files["/v3/files/"+name] = tgz
		sha, md := sha256.Sum256(tgz), md5.Sum(tgz)
		releases = append(releases, map[string]any{"slug": "demo-hello-" + v, "version": v, "file_uri": "/v3/files/" + name,
			"file_size": len(tgz), "file_sha256": hex.EncodeToString(sha[:]), "file_md5": hex.EncodeToString(md[:]),
			"metadata": map[string]any{"name": "demo-hello", "version": v, "dependencies": []any{}}})
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if b, ok := files[r.URL.Path]; ok {
			w.Write(b)
			return
		}
		if r.URL.Path != "/v3/releases" || r.URL.Query().Get("module") != "demo-hello" {
			http.NotFound(w, r)
			return
		}
		page := 0
		if r.URL.Query().Get("offset") == "1" {
			page = 1
		}
		var next any
		if page == 0 {
			q := r.URL.Query()
			q.Set("offset", "1")
			next = "/v3/releases?" + q.Encode()
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"pagination": map[string]any{"limit": 1, "offset": page, "total": 2, "next": next},
			"results": []any{releases[1-page]}})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func puppetInstall(t *testing.T, repo string) (string, error) {
	puppet := needClient(t, "puppet")
	dir := t.TempDir()
	cmd := exec.Command(puppet, "module", "install", "--module_repository", repo, "--target-dir", filepath.Join(dir, "mods"),
		"--confdir", filepath.Join(dir, "conf"), "--vardir", filepath.Join(dir, "var"), "--version", "1.0.0", "demo-hello")
	cmd.Env = append(os.Environ(), "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err == nil {
		if _, serr := os.Stat(filepath.Join(dir, "mods", "hello", "metadata.json")); serr != nil {
			return string(out), serr
		}
	}
	return string(out), err
}

// puppet module install through the proxy: the paged releases list is
// followed (kept per query), the file verified against file_sha256; cold,
// then warm with the Forge stopped.
func TestPuppetModuleInstallThroughProxy(t *testing.T) {
	forge := testForge(t)
	p := start(t, t.TempDir(), "ADMIN_TOKEN="+token)
	createRemote(t, p, map[string]any{"name": "forge", "package_type": "puppet", "base_url": forge.URL, "mutable_ttl": 300})
	for _, warm := range []bool{false, true} {
		if warm {
			forge.Close()
		}
		out, err := puppetInstall(t, p.url+"/api/v1/remote/forge")
		if err != nil || !strings.Contains(ansi.ReplaceAllString(out, ""), "demo-hello (v1.0.0)") {
			t.Fatalf("puppet module install (warm=%v): %v\n%s", warm, err, out)
		}
	}
}
