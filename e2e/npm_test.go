package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// npmTarball builds a package tarball (package/package.json, index.js).
func npmTarball(name, version string, deps map[string]string) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	pj, _ := json.Marshal(map[string]any{"name": name, "version": version, "main": "index.js", "dependencies": deps})
	for file, body := range map[string][]byte{"package/package.json": pj, "package/index.js": []byte("module.exports = " + `"` + name + `"` + "\n")} {
		tw.WriteHeader(&tar.Header{Name: file, Mode: 0o644, Size: int64(len(body))})
		tw.Write(body)
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

// npmRegistry serves packuments and tarballs for the given packages; the
// tarballs of names in elsewhere are served by a second host.
type npmRegistry struct {
	*httptest.Server
	other *httptest.Server
	docs  map[string][]byte
	files map[string][]byte
}

func newNPMRegistry(t *testing.T, pkgs map[string]map[string]string, elsewhere map[string]bool) *npmRegistry {
	reg := &npmRegistry{docs: map[string][]byte{}, files: map[string][]byte{}}
	serveFiles := func(w http.ResponseWriter, r *http.Request) {
		if b, ok := reg.files[r.URL.Path]; ok {
			w.Write(b)
			return
		}
		if b, ok := reg.docs[strings.TrimPrefix(r.URL.Path, "/")]; ok {
			w.Header().Set("Content-Type", "application/json")
			w.Write(b)
			return
		}
		http.NotFound(w, r)
	}
	reg.Server = httptest.NewServer(http.HandlerFunc(serveFiles))
	reg.other = httptest.NewServer(http.HandlerFunc(serveFiles))
	t.Cleanup(reg.Close)
	t.Cleanup(reg.other.Close)
	for name, deps := range pkgs {
		tgz := npmTarball(name, "1.0.0", deps)
		short := name[strings.LastIndex(name, "/")+1:]
		path := "/" + name + "/-/" + short + "-1.0.0.tgz"
		host := reg.URL
		if elsewhere[name] {
			host = reg.other.URL
		}
		reg.files[path] = tgz
		sum := sha512.Sum512(tgz)
		// A readme as real packuments have: documents of some KB, which
		// go out gzipped to npm once hit.
		readme := strings.Repeat("Install with npm and require it. ", 100)
		doc, _ := json.Marshal(map[string]any{"name": name, "dist-tags": map[string]string{"latest": "1.0.0"}, "readme": readme,
			"versions": map[string]any{"1.0.0": map[string]any{"name": name, "version": "1.0.0", "dependencies": deps,
				"dist": map[string]string{"tarball": host + path, "integrity": "sha512-" + base64.StdEncoding.EncodeToString(sum[:])}}}})
		reg.docs[name] = doc
	}
	return reg
}

func npmInstall(t *testing.T, registry string, pkgs ...string) time.Duration {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name":"proj","version":"1.0.0"}`), 0o644)
	args := append([]string{"install", "--registry", registry, "--cache", t.TempDir(), "--no-audit", "--no-fund", "--package-lock=false"}, pkgs...)
	cmd := exec.Command("npm", args...)
	cmd.Dir = dir
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm %v: %v\n%s", args, err, out)
	}
	took := time.Since(start)
	for _, p := range pkgs {
		name := strings.Split(strings.TrimPrefix(p, "@"), "@")[0]
		if strings.HasPrefix(p, "@") {
			name = "@" + name
		}
		if _, err := os.Stat(filepath.Join(dir, "node_modules", name, "package.json")); err != nil {
			t.Fatalf("%s not installed: %v", p, err)
		}
	}
	return took
}

func TestNPMInstallThroughProxy(t *testing.T) {
	needClient(t, "npm")
	reg := newNPMRegistry(t, map[string]map[string]string{
		"app":         {"left": "^1.0.0", "@team/right": "^1.0.0"},
		"left":        {"leaf": "1.0.0"},
		"@team/right": {"leaf": "1.0.0"},
		"leaf":        nil,
	}, map[string]bool{"leaf": true})
	p := start(t, t.TempDir(), "ADMIN_TOKEN="+token, "LOG_LEVEL=debug")
	createRemote(t, p, map[string]any{"name": "npm", "package_type": "npm", "base_url": reg.URL, "mutable_ttl": 300})
	proxy := p.url + "/api/v1/remote/npm/"

	// A second registry and a virtual over both: versions merged, each
	// tarball from the member that has it.
	reg2 := newNPMRegistry(t, map[string]map[string]string{"extra": {"leaf": "1.0.0"}, "leaf": nil}, nil)
	createRemote(t, p, map[string]any{"name": "npm2", "package_type": "npm", "base_url": reg2.URL})
	if resp, body := p.do("POST", "/api/v2/virtuals", token, map[string]any{"name": "npmall", "package_type": "npm", "members": []string{"npm", "npm2"}}); resp.StatusCode != 201 {
		t.Fatalf("create virtual: %d %s", resp.StatusCode, body)
	}
	virtual := p.url + "/api/v1/virtual/npmall/"

	var docBytes []int
	for run := range 3 {
		if run == 1 { // documents, merged documents and tarballs from the cache
			reg.Close()
			reg.other.Close()
			reg2.Close()
		}
		logged := len(p.logs.String())
		npmInstall(t, proxy, "app", "@team/right")
		npmInstall(t, virtual, "app", "extra")
		docBytes = append(docBytes, servedDocumentBytes(t, p.logs.String()[logged:], "npm"))
	}
	t.Logf("document bytes sent to npm by each install: %v", docBytes)
	// The third install's documents came from their gzip copies, started
	// by the second's hits (a miss starts none).
	if docBytes[2]*2 > docBytes[1] {
		t.Fatalf("documents sent to npm by each install: %v bytes; the third was not gzipped", docBytes)
	}
}

// servedDocumentBytes sums the bytes of the npm documents (not tarballs)
// that remote's debug request log says it sent.
func servedDocumentBytes(t *testing.T, log, remote string) int {
	t.Helper()
	n, docs := 0, 0
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, "msg=request") || !strings.Contains(line, " remote="+remote+" ") || strings.Contains(line, "/-/") {
			continue
		}
		for _, f := range strings.Fields(line) {
			if v, ok := strings.CutPrefix(f, "bytes="); ok {
				b, err := strconv.Atoi(v)
				if err != nil {
					t.Fatalf("request log: %q", line)
				}
				n += b
				docs++
			}
		}
	}
	if docs == 0 {
		t.Fatalf("no document requests of %s in the log", remote)
	}
	return n
}

// The machine's real npm registry (npm config get registry) as upstream.
func TestNPMInstallRealUpstream(t *testing.T) {
	needClient(t, "npm")
	out, err := exec.Command("npm", "config", "get", "registry").Output()
	upstream := strings.TrimSuffix(strings.TrimSpace(string(out)), "/")
	if err != nil || upstream == "" {
		t.Skip("NETWORK: npm names no registry")
	}
	if resp, err := http.Get(upstream + "/ms"); err != nil || resp.StatusCode != 200 {
		t.Skipf("NETWORK: the npm registry %s is unreachable: %v", upstream, err)
	}
	const pkg = "express@4.21.2" // about 60 packages in all
	p := start(t, t.TempDir(), "ADMIN_TOKEN="+token)
	createRemote(t, p, map[string]any{"name": "npmjs", "package_type": "npm", "base_url": upstream, "mutable_ttl": 600})
	proxy := p.url + "/api/v1/remote/npmjs/"
	direct := npmInstall(t, upstream+"/", pkg)
	cold := npmInstall(t, proxy, pkg)
	warm := npmInstall(t, proxy, pkg)
	t.Logf("npm install %s: direct %v, through the proxy cold %v, warm %v", pkg,
		direct.Round(time.Millisecond), cold.Round(time.Millisecond), warm.Round(time.Millisecond))
}
