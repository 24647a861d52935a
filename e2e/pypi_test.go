package e2e

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
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

// wheel builds a pure-Python wheel of name (normalised, e.g. demo-pkg).
func wheel(name, version string) (file string, data []byte) {
	mod := strings.ReplaceAll(name, "-", "_")
	info := mod + "-" + version + ".dist-info/"
	files := map[string]string{
		mod + "/__init__.py": "VERSION = '" + version + "'\n",
		info + "METADATA":    "Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\n",
		info + "WHEEL":       "Wheel-Version: 1.0\nGenerator: artifactapi-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
	}
	var record strings.Builder
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range []string{mod + "/__init__.py", info + "METADATA", info + "WHEEL"} {
		w, _ := zw.Create(f)
		w.Write([]byte(files[f]))
		sum := sha256.Sum256([]byte(files[f]))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", f, base64.RawURLEncoding.EncodeToString(sum[:]), len(files[f]))
	}
	record.WriteString(info + "RECORD,,\n")
	w, _ := zw.Create(info + "RECORD")
	w.Write([]byte(record.String()))
	zw.Close()
	return mod + "-" + version + "-py3-none-any.whl", buf.Bytes()
}

// demoPkgIndex is an index whose only page, demo-pkg's, lists link.
func demoPkgIndex(link string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/simple/demo-pkg/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, "<!DOCTYPE html><html><body>%s</body></html>\n", link)
	}))
}

func pip(t *testing.T, python string, args ...string) {
	t.Helper()
	args = append([]string{"-m", "pip", "--isolated", "--disable-pip-version-check", "--no-cache-dir"}, args...)
	cmd := exec.Command(python, args...)
	cmd.Env = append(os.Environ(), "PIP_FIND_LINKS=", "PIP_CONFIG_FILE=/dev/null")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pip %v: %v\n%s", args, err, out)
	}
}

func TestPipThroughProxy(t *testing.T) {
	python := needClient(t, "python3")
	file, data := wheel("demo-pkg", "1.0.0")
	sum := sha256.Sum256(data)
	filesHost := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/packages/"+file {
			w.Write(data)
			return
		}
		http.NotFound(w, r)
	}))
	defer filesHost.Close()
	index := demoPkgIndex(fmt.Sprintf("<a href=\"%s/packages/%s#sha256=%x\" data-requires-python=\"&gt;=3.7\">%s</a>", filesHost.URL, file, sum, file))
	defer index.Close()
	p := start(t, t.TempDir(), "ADMIN_TOKEN="+token)
	createRemote(t, p, map[string]any{"name": "pypi", "package_type": "pypi", "base_url": index.URL, "mutable_ttl": 300})
	simple := p.url + "/api/v1/remote/pypi/simple/"

	venv := t.TempDir() // one venv, reinstalled into each time
	if out, err := exec.Command(python, "-m", "venv", venv).CombinedOutput(); err != nil {
		t.Fatalf("venv: %v\n%s", err, out)
	}
	install := func(simple string) {
		dl := t.TempDir()
		pip(t, python, "download", "--no-deps", "--index-url", simple, "-d", dl, "Demo_Pkg")
		if _, err := os.Stat(filepath.Join(dl, file)); err != nil {
			t.Fatalf("pip download: %v", err)
		}
		pip(t, filepath.Join(venv, "bin", "python"), "install", "--force-reinstall", "--index-url", simple, "demo-pkg==1.0.0")
		out, err := exec.Command(filepath.Join(venv, "bin", "python"), "-c", "import demo_pkg; print(demo_pkg.VERSION)").CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "1.0.0" {
			t.Fatalf("import after install: %v %s", err, out)
		}
	}
	// A virtual over this remote and an empty index: the merged page.
	empty := httptest.NewServer(http.NotFoundHandler())
	defer empty.Close()
	createRemote(t, p, map[string]any{"name": "empty", "package_type": "pypi", "base_url": empty.URL})
	if resp, body := p.do("POST", "/api/v2/virtuals", token, map[string]any{"name": "python", "package_type": "pypi", "members": []string{"empty", "pypi"}}); resp.StatusCode != 201 {
		t.Fatalf("create virtual: %d %s", resp.StatusCode, body)
	}
	for _, warm := range []bool{false, true} {
		if warm { // the pages (both representations pip asked for) and the wheel from the cache
			index.Close()
			filesHost.Close()
		}
		install(simple)
		install(p.url + "/api/v1/virtual/python/simple/")
	}
}

// pip reads a version's PEP 658 metadata while it resolves and downloads
// the file after: the metadata's fill prefetches the file, which pip's
// download then joins or hits. Each is fetched once.
func TestPipMetadataPrefetchesItsFile(t *testing.T) {
	python := needClient(t, "python3")
	file, data := wheel("demo-pkg", "1.0.0")
	metadata := []byte("Metadata-Version: 2.1\nName: demo-pkg\nVersion: 1.0.0\n")
	files, asked := counting(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/packages/" + file + ".metadata":
			// The prefetch starts alongside this request: pip cannot ask
			// for the wheel before it does.
			time.Sleep(100 * time.Millisecond)
			w.Write(metadata)
		case "/packages/" + file:
			w.Write(data)
		default:
			http.NotFound(w, r)
		}
	}))
	filesHost := httptest.NewServer(files)
	defer filesHost.Close()
	index := demoPkgIndex(fmt.Sprintf("<a href=\"%s/packages/%s#sha256=%x\" data-dist-info-metadata=\"sha256=%[4]x\" data-core-metadata=\"sha256=%[4]x\">%[2]s</a>",
		filesHost.URL, file, sha256.Sum256(data), sha256.Sum256(metadata)))
	defer index.Close()
	p := start(t, t.TempDir(), "ADMIN_TOKEN="+token)
	createRemote(t, p, map[string]any{"name": "pypi", "package_type": "pypi", "base_url": index.URL})

	dl := t.TempDir()
	pip(t, python, "download", "--no-deps", "--index-url", p.url+"/api/v1/remote/pypi/simple/", "-d", dl, "demo-pkg==1.0.0")
	if got, err := os.ReadFile(filepath.Join(dl, file)); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("pip download: %v", err)
	}
	for _, f := range []string{file + ".metadata", file} {
		if n := asked("/packages/" + f); n != 1 {
			t.Errorf("upstream asked for %s %d times, want 1", f, n)
		}
	}
	if n := prefetches(t, p, "pypi"); n != "1" {
		t.Errorf("%q prefetches counted, want 1: the wheel", n)
	}
}
