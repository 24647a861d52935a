package e2e

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// needClient finds a client binary; it skips when the binary is missing,
// unless ARTIFACTAPI_REQUIRE_CLIENTS is set (CI), where that is a failure.
func needClient(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("ARTIFACTAPI_REQUIRE_CLIENTS") != "" {
			t.Fatalf("%s is not installed (scripts/install-clients.sh installs the test clients)", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return p
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func timed(t *testing.T, name string, args ...string) time.Duration {
	t.Helper()
	start := time.Now()
	run(t, name, args...)
	return time.Since(start)
}

// upstreamRegistry starts Debian's docker-registry (CNCF distribution) on a
// free loopback port over a temp folder.
func upstreamRegistry(t *testing.T) (addr string, stop func()) {
	bin := needClient(t, "docker-registry")
	dir := t.TempDir()
	addr = freePort(t)
	cfg := fmt.Sprintf("version: 0.1\nlog: {level: warn}\nstorage: {filesystem: {rootdirectory: %s}, delete: {enabled: true}}\nhttp: {addr: %s}\n",
		filepath.Join(dir, "data"), addr)
	os.WriteFile(filepath.Join(dir, "config.yml"), []byte(cfg), 0o644)
	cmd := exec.Command(bin, "serve", filepath.Join(dir, "config.yml"))
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop = func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}
	t.Cleanup(stop)
	for i := 0; ; i++ {
		if resp, err := http.Get("http://" + addr + "/v2/"); err == nil {
			resp.Body.Close()
			return addr, stop
		}
		if i > 200 {
			t.Fatalf("docker-registry did not start:\n%s", logs)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func randomContent(t *testing.T, n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// Real skopeo pulls through the built binary from a real registry: a
// multi-arch index and a ~100 MB image, cold, then warm with the upstream
// stopped. Times are logged for the closing note, never asserted.
func TestSkopeoThroughProxy(t *testing.T) {
	skopeo := needClient(t, "skopeo")
	regAddr, stopRegistry := upstreamRegistry(t)

	layout := newOCILayout(t)
	amd := layout.image("amd64", []byte("amd64 payload"))
	arm := layout.image("arm64", []byte("arm64 payload"))
	layout.tag(layout.index(amd, arm), "multi")
	layout.tag(layout.image("amd64", randomContent(t, 100<<20)), "big")
	pol := filepath.Join(t.TempDir(), "policy.json")
	os.WriteFile(pol, []byte(`{"default":[{"type":"insecureAcceptAnything"}]}`), 0o644)
	sk := func(args ...string) []string { return append([]string{"--policy", pol}, args...) }
	run(t, skopeo, sk("copy", "--all", "--dest-tls-verify=false", "oci:"+layout.dir+":multi", "docker://"+regAddr+"/test/app:multi")...)
	run(t, skopeo, sk("copy", "--dest-tls-verify=false", "oci:"+layout.dir+":big", "docker://"+regAddr+"/test/big:1")...)

	p := start(t, t.TempDir(), "ADMIN_TOKEN="+token)
	if resp, body := p.do("POST", "/api/v2/remotes", token, map[string]any{"name": "hub", "package_type": "docker",
		"base_url": "http://" + regAddr, "mutable_ttl": 300, "ban_tags_enabled": true, "ban_tags": []string{"latest"}}); resp.StatusCode != 201 {
		t.Fatalf("create remote: %d %s", resp.StatusCode, body)
	}
	proxy := strings.TrimPrefix(p.url, "http://")

	var raw struct {
		MediaType string
		Manifests []struct{ Platform struct{ Architecture string } }
	}
	json.Unmarshal([]byte(run(t, skopeo, sk("inspect", "--raw", "--tls-verify=false", "docker://"+proxy+"/hub/test/app:multi")...)), &raw)
	if raw.MediaType != "application/vnd.oci.image.index.v1+json" || len(raw.Manifests) != 2 {
		t.Fatalf("index through the proxy: %+v", raw)
	}
	var info struct{ Architecture string }
	json.Unmarshal([]byte(run(t, skopeo, sk("inspect", "--tls-verify=false", "--override-arch", "arm64", "docker://"+proxy+"/hub/test/app:multi")...)), &info)
	if info.Architecture != "arm64" {
		t.Fatalf("arm64 image through the index: %+v", info)
	}
	run(t, skopeo, sk("copy", "--all", "--src-tls-verify=false", "docker://"+proxy+"/hub/test/app:multi", "dir:"+t.TempDir())...)

	// A remote that requires a pull token: skopeo answers the Basic
	// challenge with --creds.
	createRemote(t, p, map[string]any{"name": "privhub", "package_type": "docker", "base_url": "http://" + regAddr, "auth_required": true})
	resp, body := p.do("POST", "/api/v2/tokens", token, map[string]any{"name": "puller", "repos": []string{"privhub"}})
	var tok struct{ Token string }
	if resp.StatusCode != 201 || json.Unmarshal(body, &tok) != nil {
		t.Fatalf("create token: %d %s", resp.StatusCode, body)
	}
	if out, err := exec.Command(skopeo, sk("inspect", "--raw", "--tls-verify=false", "docker://"+proxy+"/privhub/test/app:multi")...).CombinedOutput(); err == nil {
		t.Fatalf("skopeo without credentials: %s", out)
	}
	run(t, skopeo, sk("copy", "--all", "--src-tls-verify=false", "--src-creds", "puller:"+tok.Token, "docker://"+proxy+"/privhub/test/app:multi", "dir:"+t.TempDir())...)

	direct := timed(t, skopeo, sk("copy", "--src-tls-verify=false", "docker://"+regAddr+"/test/big:1", "dir:"+t.TempDir())...)
	cold := timed(t, skopeo, sk("copy", "--src-tls-verify=false", "docker://"+proxy+"/hub/test/big:1", "dir:"+t.TempDir())...)

	stopRegistry() // from here on everything comes from the cache
	warm := timed(t, skopeo, sk("copy", "--src-tls-verify=false", "docker://"+proxy+"/hub/test/big:1", "dir:"+t.TempDir())...)
	t.Logf("skopeo copy of a 100 MB image: direct from the registry %v, through the proxy cold %v, warm (registry stopped) %v",
		direct.Round(time.Millisecond), cold.Round(time.Millisecond), warm.Round(time.Millisecond))
	run(t, skopeo, sk("copy", "--all", "--src-tls-verify=false", "docker://"+proxy+"/hub/test/app:multi", "dir:"+t.TempDir())...)
	run(t, skopeo, sk("inspect", "--tls-verify=false", "docker://"+proxy+"/hub/test/app:multi")...)

	out, err := exec.Command(skopeo, sk("inspect", "--tls-verify=false", "docker://"+proxy+"/hub/test/app:latest")...).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "banned") {
		t.Fatalf("banned tag through skopeo: %v %s", err, out)
	}
}
