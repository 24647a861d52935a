// Package e2e drives the built binary over HTTP as a user would.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "artifactapi-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "artifactapi")
	build := exec.Command("go", "build", "-o", binary, "../cmd/artifactapi")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build failed:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	url  string
	logs *syncBuffer
}

// syncBuffer collects a child's output, written by exec's copying
// goroutine while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// start runs the binary on dataDir with the given extra environment and
// waits for its health endpoint.
func start(t *testing.T, dataDir string, env ...string) *proc {
	return startOn(t, freePort(t), dataDir, env...)
}

// startOn is start on a given address (a restart on the same port).
func startOn(t *testing.T, addr, dataDir string, env ...string) *proc {
	cmd := exec.Command(binary)
	// The tests' second hosts are other loopback ports, as in an
	// all-internal network; the egress test sets this back to false.
	cmd.Env = append(os.Environ(), "DATA_DIR="+dataDir, "LISTEN_ADDR="+addr, "UPSTREAM_ALLOW_PRIVATE=true")
	cmd.Env = append(cmd.Env, env...)
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{t: t, cmd: cmd, url: "http://" + addr, logs: logs}
	t.Cleanup(p.stop)
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(p.url + "/api/v2/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not become healthy: %v\n%s", err, logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *proc) stop() {
	if p.cmd.ProcessState != nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
}

func (p *proc) do(method, path, token string, body any) (*http.Response, []byte) {
	p.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(context.Background(), method, p.url+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		p.t.Fatalf("%s %s: body: %v", method, path, err)
	}
	return resp, b
}

// TestWalkthrough is the README's curl walk-through against the binary:
// create a remote, MISS, HIT, Range, evict, restart and HIT again.
func TestWalkthrough(t *testing.T) {
	payload := bytes.Repeat([]byte("artifact-bytes."), 70_000) // ~1 MB
	var upstreamHits atomic.Int64
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upstreamHits.Add(1)
		if r.URL.Path != "/releases/tool-1.0.tar.gz" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/gzip")
		w.Write(payload)
	}))
	defer up.Close()

	data := t.TempDir()
	p := start(t, data)
	tokenBytes, err := os.ReadFile(filepath.Join(data, "admin-token"))
	if err != nil {
		t.Fatalf("admin token not generated: %v", err)
	}
	if st, _ := os.Stat(filepath.Join(data, "admin-token")); st.Mode().Perm() != 0o600 {
		t.Fatalf("admin-token mode %v, want 0600", st.Mode().Perm())
	}
	token := strings.TrimSpace(string(tokenBytes))
	if !strings.Contains(p.logs.String(), "db=sqlite storage=fs state=memory") {
		t.Fatalf("startup log does not name the backends:\n%s", p.logs)
	}

	resp, body := p.do("POST", "/api/v2/remotes", token, map[string]any{
		"name": "tools", "package_type": "generic", "base_url": up.URL, "immutable_ttl": 0, "mutable_ttl": 600,
	})
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	const path = "/api/v1/remote/tools/releases/tool-1.0.tar.gz"
	resp, body = p.do("GET", path, "", nil)
	if resp.StatusCode != 200 || resp.Header.Get("X-Cache") != "MISS" || !bytes.Equal(body, payload) {
		t.Fatalf("first GET: %d %s %d bytes", resp.StatusCode, resp.Header.Get("X-Cache"), len(body))
	}
	resp, body = p.do("GET", path, "", nil)
	if resp.Header.Get("X-Cache") != "HIT" || !bytes.Equal(body, payload) {
		t.Fatalf("second GET: %s", resp.Header.Get("X-Cache"))
	}
	req, _ := http.NewRequest("GET", p.url+path, nil)
	req.Header.Set("Range", "bytes=100-199")
	rr, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	part, _ := io.ReadAll(rr.Body)
	rr.Body.Close()
	if rr.StatusCode != 206 || !bytes.Equal(part, payload[100:200]) {
		t.Fatalf("range: %d %q", rr.StatusCode, part)
	}
	if upstreamHits.Load() != 1 {
		t.Fatalf("upstream hits = %d, want 1", upstreamHits.Load())
	}

	// Restart: the cache and the configuration survive.
	p.stop()
	p = start(t, data)
	resp, body = p.do("GET", path, "", nil)
	if resp.Header.Get("X-Cache") != "HIT" || !bytes.Equal(body, payload) {
		t.Fatalf("after restart: %s", resp.Header.Get("X-Cache"))
	}

	resp, body = p.do("DELETE", "/api/v2/remotes/tools/objects?path=releases/tool-1.0.tar.gz", token, nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"evicted": 1`) {
		t.Fatalf("evict: %d %s", resp.StatusCode, body)
	}
	resp, _ = p.do("GET", path, "", nil)
	if resp.Header.Get("X-Cache") != "MISS" || upstreamHits.Load() != 2 {
		t.Fatalf("after evict: %s, upstream hits %d", resp.Header.Get("X-Cache"), upstreamHits.Load())
	}

	p.stop()
	p = start(t, data)
	resp, _ = p.do("GET", path, "", nil)
	if resp.Header.Get("X-Cache") != "HIT" {
		t.Fatalf("after evict, refill and restart: %s", resp.Header.Get("X-Cache"))
	}
	resp, _ = p.do("GET", "/api/v2/stats", token, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("stats: %d", resp.StatusCode)
	}
}

// TestBadConfigExitsNamingTheVariable: nothing falls back silently.
func TestBadConfigExitsNamingTheVariable(t *testing.T) {
	for _, kv := range []string{"DB_DRIVER=oracle", "STATE_DRIVER=etcd", "LISTEN_ADDR=nonsense", "LOG_LEVEL=chatty"} {
		cmd := exec.Command(binary)
		cmd.Env = append(os.Environ(), "DATA_DIR="+t.TempDir(), kv)
		out, err := cmd.CombinedOutput()
		name := strings.SplitN(kv, "=", 2)[0]
		if err == nil || !strings.Contains(string(out), name) {
			t.Errorf("%s: err=%v output=%q", kv, err, out)
		}
	}
}

func TestVersion(t *testing.T) {
	out, err := exec.Command(binary, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "artifactapi ") {
		t.Fatalf("%v %q", err, out)
	}
}

// The binary keeps DATA_DIR to its own user: the directory 0700, the
// database, the admin token and the secrets key 0600, and credentials are
// not in the database in plain text.
func TestDataDirPrivateAndSecretsSealed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(dir, 0o755); err != nil { // an earlier version's mode
		t.Fatal(err)
	}
	p := start(t, dir)
	token, _ := os.ReadFile(filepath.Join(dir, "admin-token"))
	body := `{"name":"private","package_type":"generic","base_url":"http://127.0.0.1:9/","username":"alice","password":"hunter2-at-rest"}`
	req, _ := http.NewRequest("POST", p.url+"/api/v2/remotes", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("create remote: %v %v", resp, err)
	}
	resp.Body.Close()
	p.stop()
	for name, want := range map[string]os.FileMode{".": 0o700, "artifactapi.db": 0o600, "admin-token": 0o600, "secrets-key": 0o600} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %o, want %o", name, got, want)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "artifactapi.db*"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if strings.Contains(string(b), "hunter2-at-rest") {
			t.Fatalf("%s holds the password in plain text", f)
		}
	}
}
