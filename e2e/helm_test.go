package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// chartTgz builds a minimal Helm chart archive.
func chartTgz(name, version string) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for file, body := range map[string]string{
		name + "/Chart.yaml":  fmt.Sprintf("apiVersion: v2\nname: %s\nversion: %s\n", name, version),
		name + "/values.yaml": "replicas: 1\n",
	} {
		tw.WriteHeader(&tar.Header{Name: file, Mode: 0o644, Size: int64(len(body))})
		tw.Write([]byte(body))
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// helmClient finds helm on PATH or in bin/ (scripts/install-clients.sh).
func helmClient(t *testing.T) string { return builtClient(t, "helm") }

// builtClient finds a client scripts/install-clients.sh builds into bin/,
// or one on PATH.
func builtClient(t *testing.T, name string) string {
	if p, err := filepath.Abs("../bin/" + name); err == nil {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return needClient(t, name)
}

func helmRun(t *testing.T, helm, home string, args ...string) {
	t.Helper()
	cmd := exec.Command(helm, args...)
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+home+"/cache", "HELM_CONFIG_HOME="+home+"/config", "HELM_DATA_HOME="+home+"/data")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("helm %v: %v\n%s", args, err, out)
	}
}

func TestHelmRepoAddAndPullThroughProxy(t *testing.T) {
	helm := helmClient(t)
	demo, other := chartTgz("demo", "0.1.0"), chartTgz("other", "1.0.0")
	second := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/releases/other-1.0.0.tgz" {
			w.Write(other)
			return
		}
		http.NotFound(w, r)
	}))
	defer second.Close()
	repoDir := t.TempDir()
	os.MkdirAll(filepath.Join(repoDir, "charts"), 0o755)
	os.WriteFile(filepath.Join(repoDir, "charts", "demo-0.1.0.tgz"), demo, 0o644)
	os.WriteFile(filepath.Join(repoDir, "index.yaml"), []byte(fmt.Sprintf(`apiVersion: v1
entries:
  demo:
  - apiVersion: v2
    name: demo
    version: 0.1.0
    digest: %s
    urls:
    - charts/demo-0.1.0.tgz
  other:
  - apiVersion: v2
    name: other
    version: 1.0.0
    digest: %s
    urls:
    - %s/releases/other-1.0.0.tgz
generated: "2024-01-01T00:00:00Z"
`, hexSum(demo), hexSum(other), second.URL)), 0o644)
	repo := httptest.NewServer(http.FileServer(http.Dir(repoDir)))
	defer repo.Close()

	p := start(t, t.TempDir(), "ADMIN_TOKEN="+token)
	createRemote(t, p, map[string]any{"name": "charts", "package_type": "helm", "base_url": repo.URL, "mutable_ttl": 300})
	if resp, body := p.do("POST", "/api/v2/virtuals", token, map[string]any{"name": "helm", "package_type": "helm", "members": []string{"charts"}}); resp.StatusCode != 201 {
		t.Fatalf("create virtual: %d %s", resp.StatusCode, body)
	}
	pull := func(repoPath string) {
		home, out := t.TempDir(), t.TempDir()
		helmRun(t, helm, home, "repo", "add", "t", p.url+repoPath)
		helmRun(t, helm, home, "pull", "t/demo", "--version", "0.1.0", "-d", out)
		helmRun(t, helm, home, "pull", "t/other", "--version", "1.0.0", "-d", out)
		for file, want := range map[string][]byte{"demo-0.1.0.tgz": demo, "other-1.0.0.tgz": other} {
			if got, err := os.ReadFile(filepath.Join(out, file)); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%s pulled wrong: %v", file, err)
			}
		}
	}
	for _, warm := range []bool{false, true} {
		if warm { // the index and both charts from the cache
			repo.Close()
			second.Close()
		}
		pull("/api/v1/remote/charts")
		pull("/api/v1/virtual/helm") // the merged index, charts through the member
	}
}
