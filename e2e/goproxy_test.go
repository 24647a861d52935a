package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// goproxyTree writes a GOPROXY file tree for mod@version into dir.
func goproxyTree(t *testing.T, dir, mod, version string) {
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "go.mod"), []byte("module "+mod+"\n\ngo 1.21\n"), 0o644)
	os.WriteFile(filepath.Join(src, "m.go"), []byte("package m\n\nconst V = \""+version+"\"\n"), 0o644)
	esc, _ := module.EscapePath(mod)
	vdir := filepath.Join(dir, esc, "@v")
	os.MkdirAll(vdir, 0o755)
	f, err := os.Create(filepath.Join(vdir, version+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	if err := modzip.CreateFromDir(f, module.Version{Path: mod, Version: version}, src); err != nil {
		t.Fatal(err)
	}
	f.Close()
	os.WriteFile(filepath.Join(vdir, version+".mod"), []byte("module "+mod+"\n\ngo 1.21\n"), 0o644)
	os.WriteFile(filepath.Join(vdir, version+".info"), []byte(`{"Version":"`+version+`","Time":"2024-01-01T00:00:00Z"}`), 0o644)
	os.WriteFile(filepath.Join(vdir, "list"), []byte(version+"\n"), 0o644)
}

// goDownload runs `go mod download -json mod@version` against goproxy with
// a fresh module cache and returns how long it took.
func goDownload(t *testing.T, goproxy, sumdb, target string) time.Duration {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", target)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "GOPROXY="+goproxy, "GOSUMDB="+sumdb, "GOFLAGS=-modcacherw",
		"GOMODCACHE="+t.TempDir(), "GONOSUMDB=", "GOPRIVATE=", "GONOPROXY=", "GOTOOLCHAIN=local")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go mod download %s via %s: %v\n%s", target, goproxy, err, out)
	}
	var info struct{ Zip, Error string }
	json.Unmarshal(out, &info)
	if info.Error != "" || info.Zip == "" {
		t.Fatalf("go mod download: %s", out)
	}
	return time.Since(start)
}

func createRemote(t *testing.T, p *proc, body map[string]any) {
	t.Helper()
	if resp, out := p.do("POST", "/api/v2/remotes", token, body); resp.StatusCode != 201 {
		t.Fatalf("create remote: %d %s", resp.StatusCode, out)
	}
}

// counting wraps h to count the requests for each path; asked reads the
// count.
func counting(h http.Handler) (counted http.Handler, asked func(path string) int) {
	var mu sync.Mutex
	n := map[string]int{}
	counted = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n[r.URL.Path]++
		mu.Unlock()
		h.ServeHTTP(w, r)
	})
	asked = func(path string) int {
		mu.Lock()
		defer mu.Unlock()
		return n[path]
	}
	return counted, asked
}

// prefetches is what /metrics counts of remote's prefetches ("" for none).
func prefetches(t *testing.T, p *proc, remote string) string {
	t.Helper()
	_, out := p.do("GET", "/metrics", token, nil)
	m := regexp.MustCompile(`artifactapi_prefetches_total\{remote="` + regexp.QuoteMeta(remote) + `"\} (\d+)`).FindSubmatch(out)
	if m == nil {
		return ""
	}
	return string(m[1])
}

func TestGoModDownloadThroughProxy(t *testing.T) {
	tree := t.TempDir()
	goproxyTree(t, tree, "example.test/m", "v1.0.0")
	goproxyTree(t, tree, "example.test/Upper", "v1.2.0") // case-encoded as !upper
	files := http.FileServer(http.Dir(tree))
	handler, asked := counting(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".info") {
			// The prefetches start alongside this request: the client
			// cannot ask for the .zip before they do.
			time.Sleep(100 * time.Millisecond)
		}
		files.ServeHTTP(w, r)
	}))
	up := httptest.NewServer(handler)
	defer up.Close()
	p := start(t, t.TempDir(), "ADMIN_TOKEN="+token)
	createRemote(t, p, map[string]any{"name": "gomod", "package_type": "goproxy", "base_url": up.URL})
	proxy := p.url + "/api/v1/remote/gomod"

	// The .info's fill prefetches the .mod and the .zip the go command
	// asks for next: each is fetched once, the client joining the fill.
	goDownload(t, proxy, "off", "example.test/m@v1.0.0")
	for _, ext := range []string{"info", "mod", "zip"} {
		if n := asked("/example.test/m/@v/v1.0.0." + ext); n != 1 {
			t.Errorf("upstream asked for the .%s %d times, want 1", ext, n)
		}
	}
	if n := prefetches(t, p, "gomod"); n != "2" {
		t.Errorf("%q prefetches counted, want 2: the .mod and the .zip", n)
	}
	goDownload(t, proxy, "off", "example.test/Upper@v1.2.0")
	// A module the upstream does not have is a 404, so the go command falls
	// through a GOPROXY list to the next entry.
	fallback := t.TempDir()
	goproxyTree(t, fallback, "example.test/other", "v0.1.0")
	second := httptest.NewServer(http.FileServer(http.Dir(fallback)))
	defer second.Close()
	goDownload(t, proxy+","+second.URL, "off", "example.test/other@v0.1.0")

	up.Close() // warm: from the cache alone
	goDownload(t, proxy, "off", "example.test/m@v1.0.0")
	goDownload(t, proxy, "off", "example.test/Upper@v1.2.0")
}

// firstGoproxy is the first real proxy in `go env GOPROXY` (never written
// into the repo: it is whatever this machine uses).
func firstGoproxy(t *testing.T) string {
	out, err := exec.Command("go", "env", "GOPROXY").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range strings.FieldsFunc(strings.TrimSpace(string(out)), func(r rune) bool { return r == ',' || r == '|' }) {
		if e != "direct" && e != "off" {
			return e
		}
	}
	t.Skip("NETWORK: go env GOPROXY names no proxy")
	return ""
}

// The real Go module proxy as upstream, with the checksum database
// verified through the proxy's sumdb pass-through.
func TestGoModDownloadRealUpstream(t *testing.T) {
	upstream := firstGoproxy(t)
	if resp, err := http.Get(upstream + "/golang.org/x/sync/@v/list"); err != nil || resp.StatusCode != 200 {
		t.Skipf("NETWORK: the Go module proxy %s is unreachable: %v", upstream, err)
	}
	const target = "golang.org/x/sync@v0.8.0"
	p := start(t, t.TempDir(), "ADMIN_TOKEN="+token)
	createRemote(t, p, map[string]any{"name": "golang", "package_type": "goproxy", "base_url": upstream})
	proxy := p.url + "/api/v1/remote/golang"
	direct := goDownload(t, upstream, "sum.golang.org", target)
	cold := goDownload(t, proxy, "sum.golang.org", target)
	warm := goDownload(t, proxy, "sum.golang.org", target)
	t.Logf("go mod download %s: direct %v, through the proxy cold %v, warm %v", target,
		direct.Round(time.Millisecond), cold.Round(time.Millisecond), warm.Round(time.Millisecond))
}
