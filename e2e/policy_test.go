package e2e

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Release ages every policy test uses: one version well past min_age, one
// published an hour ago.
var (
	oldRelease = time.Now().Add(-30 * 24 * time.Hour).UTC().Truncate(time.Second)
	newRelease = time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
)

// get fetches url and returns its status and body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, b.String()
}

func putRemote(t *testing.T, p *proc, name string, body map[string]any) {
	t.Helper()
	if resp, out := p.do("PUT", "/api/v2/remotes/"+name, token, body); resp.StatusCode != 200 {
		t.Fatalf("update remote: %d %s", resp.StatusCode, out)
	}
}

// npm resolves the older version while the newer one is inside min_age,
// and the newer tarball cannot be fetched by its URL; blocked_versions
// takes a version out the same way; lifting the policy shows the newer
// one from the same cached document.
func TestReleasePolicyNPM(t *testing.T) {
	needClient(t, "npm")
	files := map[string][]byte{}
	versions := map[string]any{}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if b, ok := files[r.URL.Path]; ok {
			w.Write(b)
			return
		}
		if r.URL.Path != "/fresh" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"name": "fresh", "dist-tags": map[string]string{"latest": "1.1.0", "next": "1.1.0"},
			"versions": versions, "time": map[string]string{"created": oldRelease.Format(time.RFC3339), "modified": newRelease.Format(time.RFC3339),
				"1.0.0": oldRelease.Format(time.RFC3339), "1.1.0": newRelease.Format(time.RFC3339)}})
	}))
	defer up.Close()
	for _, v := range []string{"1.0.0", "1.1.0"} {
		tgz := npmTarball("fresh", v, nil)
		path := "/fresh/-/fresh-" + v + ".tgz"
		files[path] = tgz
		sum := sha512.Sum512(tgz)
		versions[v] = map[string]any{"name": "fresh", "version": v,
			"dist": map[string]string{"tarball": up.URL + path, "integrity": "sha512-" + base64.StdEncoding.EncodeToString(sum[:])}}
	}
	p := start(t, t.TempDir(), "ADMIN_TOKEN="+token)
	remote := map[string]any{"name": "npm", "package_type": "npm", "base_url": up.URL, "mutable_ttl": 300, "min_age": "72h"}
	createRemote(t, p, remote)
	proxy := p.url + "/api/v1/remote/npm/"

	installed := func() string {
		t.Helper()
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name":"proj","version":"1.0.0"}`), 0o644)
		cmd := exec.Command("npm", "install", "--registry", proxy, "--cache", t.TempDir(), "--no-audit", "--no-fund", "--package-lock=false", "fresh")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm install: %v\n%s", err, out)
		}
		var pj struct{ Version string }
		b, _ := os.ReadFile(filepath.Join(dir, "node_modules", "fresh", "package.json"))
		json.Unmarshal(b, &pj)
		return pj.Version
	}
	if v := installed(); v != "1.0.0" {
		t.Fatalf("npm installed fresh@%s inside min_age; want 1.0.0", v)
	}
	st, body := get(t, proxy+"fresh/-/fresh-1.1.0.tgz")
	if st != 403 || !strings.Contains(body, "min_age") {
		t.Fatalf("direct GET of the new tarball: %d %s", st, body)
	}
	_, doc := get(t, proxy+"fresh")
	if strings.Contains(doc, `"1.1.0"`) || !strings.Contains(doc, `"latest":"1.0.0"`) || strings.Contains(doc, `"next"`) {
		t.Fatalf("document still shows 1.1.0: %s", doc)
	}

	// blocked_versions without min_age: 1.0.0 is gone, 1.1.0 is latest.
	remote["min_age"], remote["blocked_versions"] = "", []string{"fresh@<1.1.0"}
	putRemote(t, p, "npm", remote)
	if v := installed(); v != "1.1.0" {
		t.Fatalf("installed fresh@%s; want 1.1.0 with 1.0.0 blocked", v)
	}
	if st, body := get(t, proxy+"fresh/-/fresh-1.0.0.tgz"); st != 403 || !strings.Contains(body, "blocked_versions") {
		t.Fatalf("direct GET of a blocked tarball: %d %s", st, body)
	}
	// Exempt from min_age: the newest is back, from the cached document.
	remote["min_age"], remote["blocked_versions"], remote["min_age_exempt"] = "72h", []string{}, []string{"fre*"}
	putRemote(t, p, "npm", remote)
	up.Close()
	if v := installed(); v != "1.1.0" {
		t.Fatalf("installed fresh@%s; want 1.1.0 for an exempt package", v)
	}
}

// pip downloads the older release while the newer one is inside min_age;
// the newer wheel is refused by URL; the HTML page is filtered too (dated
// by the JSON page's PEP 700 upload-time).
func TestReleasePolicyPip(t *testing.T) {
	python := needClient(t, "python3")
	type dist struct {
		file string
		data []byte
		at   time.Time
	}
	var dists []dist
	for v, at := range map[string]time.Time{"1.0.0": oldRelease, "1.1.0": newRelease} {
		f, d := wheel("fresh-pkg", v)
		dists = append(dists, dist{f, d, at})
	}
	var up *httptest.Server
	up = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, d := range dists {
			if r.URL.Path == "/packages/"+d.file {
				w.Write(d.data)
				return
			}
		}
		if r.URL.Path != "/simple/fresh-pkg/" {
			http.NotFound(w, r)
			return
		}
		if strings.Contains(r.Header.Get("Accept"), "application/vnd.pypi.simple.v1+json") {
			var files []map[string]any
			for _, d := range dists {
				files = append(files, map[string]any{"filename": d.file, "url": up.URL + "/packages/" + d.file,
					"hashes": map[string]string{"sha256": fmt.Sprintf("%x", sha256.Sum256(d.data))}, "upload-time": d.at.Format(time.RFC3339)})
			}
			w.Header().Set("Content-Type", "application/vnd.pypi.simple.v1+json")
			json.NewEncoder(w).Encode(map[string]any{"meta": map[string]string{"api-version": "1.1"}, "name": "fresh-pkg", "files": files, "versions": []string{"1.0.0", "1.1.0"}})
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<!DOCTYPE html><html><body>\n")
		for _, d := range dists {
			fmt.Fprintf(w, "<a href=\"%s/packages/%s#sha256=%x\">%s</a><br/>\n", up.URL, d.file, sha256.Sum256(d.data), d.file)
		}
		fmt.Fprint(w, "</body></html>\n")
	}))
	defer up.Close()
	p := start(t, t.TempDir(), "ADMIN_TOKEN="+token)
	createRemote(t, p, map[string]any{"name": "pypi", "package_type": "pypi", "base_url": up.URL, "min_age": "3d"})
	simple := p.url + "/api/v1/remote/pypi/simple/"

	dl := t.TempDir()
	pip(t, python, "download", "--no-deps", "--index-url", simple, "-d", dl, "fresh-pkg")
	got, _ := filepath.Glob(filepath.Join(dl, "*.whl"))
	if len(got) != 1 || !strings.Contains(got[0], "fresh_pkg-1.0.0-") {
		t.Fatalf("pip downloaded %v inside min_age; want 1.0.0", got)
	}
	if st, body := get(t, p.url+"/api/v1/remote/pypi/packages/fresh_pkg-1.1.0-py3-none-any.whl"); st != 403 || !strings.Contains(body, "min_age") {
		t.Fatalf("direct GET of the new wheel: %d %s", st, body)
	}
	req, _ := http.NewRequest("GET", simple+"fresh-pkg/", nil)
	req.Header.Set("Accept", "text/html")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var page strings.Builder
	buf := make([]byte, 4096)
	for n, err := resp.Body.Read(buf); n > 0 || err == nil; n, err = resp.Body.Read(buf) {
		page.Write(buf[:n])
	}
	resp.Body.Close()
	if strings.Contains(page.String(), "1.1.0") || !strings.Contains(page.String(), "fresh_pkg-1.0.0") {
		t.Fatalf("HTML page not filtered: %s", page.String())
	}
}

// go mod download of @latest picks the older version while the newer one
// is inside min_age, and the newer version's zip is refused.
func TestReleasePolicyGo(t *testing.T) {
	tree := t.TempDir()
	mod := "example.test/fresh"
	goproxyTree(t, tree, mod, "v1.0.0")
	goproxyTree(t, tree, mod, "v1.1.0")
	vdir := filepath.Join(tree, mod, "@v")
	os.WriteFile(filepath.Join(vdir, "list"), []byte("v1.0.0\nv1.1.0\n"), 0o644)
	for v, at := range map[string]time.Time{"v1.0.0": oldRelease, "v1.1.0": newRelease} {
		os.WriteFile(filepath.Join(vdir, v+".info"), []byte(`{"Version":"`+v+`","Time":"`+at.Format(time.RFC3339)+`"}`), 0o644)
	}
	latest, _ := os.ReadFile(filepath.Join(vdir, "v1.1.0.info"))
	os.WriteFile(filepath.Join(tree, mod, "@latest"), latest, 0o644)
	up := httptest.NewServer(http.FileServer(http.Dir(tree)))
	defer up.Close()
	p := start(t, t.TempDir(), "ADMIN_TOKEN="+token)
	createRemote(t, p, map[string]any{"name": "gomod", "package_type": "goproxy", "base_url": up.URL, "min_age": "72h"})
	proxy := p.url + "/api/v1/remote/gomod"

	cmd := exec.Command("go", "mod", "download", "-json", mod+"@latest")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "GOPROXY="+proxy, "GOSUMDB=off", "GOFLAGS=-modcacherw", "GOMODCACHE="+t.TempDir(), "GOTOOLCHAIN=local")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go mod download: %v\n%s", err, out)
	}
	var info struct{ Version string }
	json.Unmarshal(out, &info)
	if info.Version != "v1.0.0" {
		t.Fatalf("go mod download %s@latest got %q inside min_age; want v1.0.0\n%s", mod, info.Version, out)
	}
	if st, body := get(t, proxy+"/"+mod+"/@v/v1.1.0.zip"); st != 403 || !strings.Contains(body, "min_age") {
		t.Fatalf("direct GET of the new zip: %d %s", st, body)
	}
	if st, body := get(t, proxy+"/"+mod+"/@latest"); st != 200 || !strings.Contains(body, `"v1.0.0"`) {
		t.Fatalf("@latest: %d %s", st, body)
	}
}

// helm pull of a chart without --version takes the newest version outside
// min_age; asking for the newer one fails.
func TestReleasePolicyHelm(t *testing.T) {
	helm := helmClient(t)
	charts := map[string][]byte{"1.0.0": chartTgz("app", "1.0.0"), "2.0.0": chartTgz("app", "2.0.0")}
	dir := t.TempDir()
	index := "apiVersion: v1\nentries:\n  app:\n"
	for v, at := range map[string]time.Time{"2.0.0": newRelease, "1.0.0": oldRelease} {
		os.WriteFile(filepath.Join(dir, "app-"+v+".tgz"), charts[v], 0o644)
		index += fmt.Sprintf("  - apiVersion: v2\n    name: app\n    version: %s\n    created: %q\n    digest: %s\n    urls:\n    - app-%s.tgz\n", v, at.Format(time.RFC3339), hexSum(charts[v]), v)
	}
	os.WriteFile(filepath.Join(dir, "index.yaml"), []byte(index+"generated: \"2024-01-01T00:00:00Z\"\n"), 0o644)
	repo := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer repo.Close()
	p := start(t, t.TempDir(), "ADMIN_TOKEN="+token)
	createRemote(t, p, map[string]any{"name": "charts", "package_type": "helm", "base_url": repo.URL, "min_age": "72h"})
	home, out := t.TempDir(), t.TempDir()
	helmRun(t, helm, home, "repo", "add", "t", p.url+"/api/v1/remote/charts")
	helmRun(t, helm, home, "pull", "t/app", "-d", out)
	if _, err := os.Stat(filepath.Join(out, "app-1.0.0.tgz")); err != nil {
		entries, _ := os.ReadDir(out)
		t.Fatalf("helm pull t/app inside min_age: %v (got %v)", err, entries)
	}
	cmd := exec.Command(helm, "pull", "t/app", "--version", "2.0.0", "-d", out)
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+home+"/cache", "HELM_CONFIG_HOME="+home+"/config", "HELM_DATA_HOME="+home+"/data")
	if b, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(b), `chart "app" matching 2.0.0 not found`) {
		t.Fatalf("helm pull of the version inside min_age: %v\n%s", err, b)
	}
}
