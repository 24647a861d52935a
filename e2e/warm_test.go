package e2e

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// warmCLI runs `artifactapi warm` for file on remote and returns what it
// printed; it must exit 0 (nothing failed).
func warmCLI(t *testing.T, p *proc, remote, file string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, append(append([]string{"warm", "--endpoint", p.url, "--token", token, "--remote", remote}, args...), file)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("artifactapi warm %s: %v\n%s", file, err, out)
	}
	if !strings.Contains(string(out), "0 failed") {
		t.Fatalf("artifactapi warm %s:\n%s", file, out)
	}
	return string(out)
}

// Each lockfile kind, warmed by the CLI, then installed by its real client
// with the upstream stopped: everything came from the warm.
func TestWarmThenInstallOffline(t *testing.T) {
	t.Run("npm", func(t *testing.T) {
		needClient(t, "npm")
		reg := newNPMRegistry(t, map[string]map[string]string{
			"app": {"left": "^1.0.0", "@team/right": "^1.0.0"}, "left": {"leaf": "1.0.0"}, "@team/right": {"leaf": "1.0.0"}, "leaf": nil,
		}, map[string]bool{"leaf": true})
		proj := t.TempDir()
		os.WriteFile(filepath.Join(proj, "package.json"), []byte(`{"name":"proj","version":"1.0.0","dependencies":{"app":"1.0.0"}}`), 0o644)
		cmd := exec.Command("npm", "install", "--package-lock-only", "--registry", reg.URL+"/", "--cache", t.TempDir(), "--no-audit", "--no-fund")
		cmd.Dir = proj
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm lock: %v\n%s", err, out)
		}
		p := start(t, t.TempDir(), "ADMIN_TOKEN="+token)
		createRemote(t, p, map[string]any{"name": "npm", "package_type": "npm", "base_url": reg.URL})
		out := warmCLI(t, p, "npm", filepath.Join(proj, "package-lock.json"))
		if !strings.Contains(out, "4 items: 4 cached") {
			t.Fatalf("warm: %s", out)
		}
		reg.Close()
		reg.other.Close()
		cmd = exec.Command("npm", "ci", "--registry", p.url+"/api/v1/remote/npm/", "--cache", t.TempDir(), "--no-audit", "--no-fund")
		cmd.Dir = proj
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci with the upstream stopped: %v\n%s", err, out)
		}
		if _, err := os.Stat(filepath.Join(proj, "node_modules", "leaf", "index.js")); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("pip", func(t *testing.T) {
		python := needClient(t, "python3")
		file, data := wheel("demo-pkg", "1.0.0")
		sum := sha256.Sum256(data)
		index := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/packages/" + file:
				w.Write(data)
			case "/simple/demo-pkg/":
				fmt.Fprintf(w, "<html><body><a href=\"../../packages/%s#sha256=%x\">%s</a></body></html>\n", file, sum, file)
			default:
				http.NotFound(w, r)
			}
		}))
		defer index.Close()
		p := start(t, t.TempDir(), "ADMIN_TOKEN="+token)
		createRemote(t, p, map[string]any{"name": "pypi", "package_type": "pypi", "base_url": index.URL})
		req := filepath.Join(t.TempDir(), "requirements.txt")
		os.WriteFile(req, []byte(fmt.Sprintf("# pinned\nDemo_Pkg==1.0.0 \\\n    --hash=sha256:%x\n", sum)), 0o644)
		warmCLI(t, p, "pypi", req)
		index.Close()
		dl := t.TempDir()
		pip(t, python, "download", "--no-deps", "--require-hashes", "-r", req, "--index-url", p.url+"/api/v1/remote/pypi/simple/", "-d", dl)
		if _, err := os.Stat(filepath.Join(dl, file)); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("go", func(t *testing.T) {
		tree := t.TempDir()
		goproxyTree(t, tree, "example.test/m", "v1.0.0")
		up := httptest.NewServer(http.FileServer(http.Dir(tree)))
		defer up.Close()
		mod := t.TempDir()
		os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module example.test/app\n\ngo 1.21\n\nrequire example.test/m v1.0.0\n"), 0o644)
		os.WriteFile(filepath.Join(mod, "main.go"), []byte("package main\n\nimport \"example.test/m\"\n\nfunc main() { println(m.V) }\n"), 0o644)
		gocmd := func(proxy string, args ...string) {
			t.Helper()
			cmd := exec.Command("go", args...)
			cmd.Dir = mod
			cmd.Env = append(os.Environ(), "GOPROXY="+proxy, "GOSUMDB=off", "GOFLAGS=-modcacherw -mod=mod", "GOMODCACHE="+t.TempDir(), "GOTOOLCHAIN=local", "GONOSUMDB=", "GOPRIVATE=", "GONOPROXY=")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go %v via %s: %v\n%s", args, proxy, err, out)
			}
		}
		gocmd(up.URL, "mod", "download", "all") // writes go.sum straight from the origin
		p := start(t, t.TempDir(), "ADMIN_TOKEN="+token)
		createRemote(t, p, map[string]any{"name": "gomod", "package_type": "goproxy", "base_url": up.URL})
		warmCLI(t, p, "gomod", filepath.Join(mod, "go.sum"))
		up.Close()
		gocmd(p.url+"/api/v1/remote/gomod", "build", "-o", filepath.Join(t.TempDir(), "app"), ".")
	})

	t.Run("helm", func(t *testing.T) {
		helm := helmClient(t)
		demo := chartTgz("demo", "0.1.0")
		repoDir := t.TempDir()
		os.WriteFile(filepath.Join(repoDir, "demo-0.1.0.tgz"), demo, 0o644)
		os.WriteFile(filepath.Join(repoDir, "index.yaml"), []byte(fmt.Sprintf("apiVersion: v1\nentries:\n  demo:\n  - apiVersion: v2\n    name: demo\n    version: 0.1.0\n    digest: %s\n    urls:\n    - demo-0.1.0.tgz\ngenerated: \"2024-01-01T00:00:00Z\"\n", hexSum(demo))), 0o644)
		repo := httptest.NewServer(http.FileServer(http.Dir(repoDir)))
		defer repo.Close()
		p := start(t, t.TempDir(), "ADMIN_TOKEN="+token)
		createRemote(t, p, map[string]any{"name": "charts", "package_type": "helm", "base_url": repo.URL})
		lock := filepath.Join(t.TempDir(), "Chart.lock")
		os.WriteFile(lock, []byte("dependencies:\n- name: demo\n  repository: "+p.url+"/api/v1/remote/charts\n  version: 0.1.0\n- name: local\n  repository: file://../local\n  version: 1.0.0\ndigest: sha256:0\ngenerated: \"2024-01-01T00:00:00Z\"\n"), 0o644)
		warmCLI(t, p, "charts", lock)
		repo.Close()
		home, out := t.TempDir(), t.TempDir()
		helmRun(t, helm, home, "repo", "add", "t", p.url+"/api/v1/remote/charts")
		helmRun(t, helm, home, "pull", "t/demo", "--version", "0.1.0", "-d", out)
	})

	t.Run("images", func(t *testing.T) {
		skopeo := needClient(t, "skopeo")
		regAddr, stopRegistry := upstreamRegistry(t)
		layout := newOCILayout(t)
		layout.tag(layout.index(layout.image("amd64", []byte("amd64 payload")), layout.image("arm64", []byte("arm64 payload"))), "multi")
		layout.tag(layout.image("amd64", []byte("single")), "one")
		pol := filepath.Join(t.TempDir(), "policy.json")
		os.WriteFile(pol, []byte(`{"default":[{"type":"insecureAcceptAnything"}]}`), 0o644)
		run(t, skopeo, "--policy", pol, "copy", "--all", "--dest-tls-verify=false", "oci:"+layout.dir+":multi", "docker://"+regAddr+"/team/app:multi")
		run(t, skopeo, "--policy", pol, "copy", "--dest-tls-verify=false", "oci:"+layout.dir+":one", "docker://"+regAddr+"/team/one:1")
		p := start(t, t.TempDir(), "ADMIN_TOKEN="+token)
		createRemote(t, p, map[string]any{"name": "reg", "package_type": "docker", "base_url": "http://" + regAddr})
		list := filepath.Join(t.TempDir(), "images.txt")
		os.WriteFile(list, []byte(regAddr+"/team/app:multi\nteam/one:1\n"), 0o644)
		warmCLI(t, p, "reg", list)
		stopRegistry()
		host := strings.TrimPrefix(p.url, "http://")
		for _, img := range []string{"team/app:multi", "team/one:1"} {
			run(t, skopeo, "--policy", pol, "copy", "--all", "--src-tls-verify=false", "docker://"+host+"/reg/"+img, "dir:"+t.TempDir())
		}
	})

	t.Run("failure exits non-zero", func(t *testing.T) {
		p := start(t, t.TempDir(), "ADMIN_TOKEN="+token)
		up := httptest.NewServer(http.NotFoundHandler())
		defer up.Close()
		createRemote(t, p, map[string]any{"name": "files", "package_type": "generic", "base_url": up.URL})
		list := filepath.Join(t.TempDir(), "paths.txt")
		os.WriteFile(list, []byte("missing/file.bin\n"), 0o644)
		out, err := exec.Command(binary, "warm", "--endpoint", p.url, "--token", token, "--remote", "files", list).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "failed  missing/file.bin") || !strings.Contains(string(out), "1 failed") {
			t.Fatalf("warm of a missing path: %v\n%s", err, out)
		}
		out, err = exec.Command(binary, "warm", "--endpoint", p.url, "--token", token, "--remote", "nope", list).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "no remote named") {
			t.Fatalf("unknown remote: %v\n%s", err, out)
		}
	})
}
