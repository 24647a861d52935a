package server

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/artifactapi/artifactapi/internal/config"
)

// harness is a whole server on temp backends, driven over real HTTP.
type harness struct {
	t   testing.TB
	app *App
	srv *httptest.Server
	dir string
}

func newHarness(t testing.TB, env map[string]string) *harness {
	t.Helper()
	dir := t.TempDir()
	// Second hosts in these tests are other loopback ports: the egress
	// guard lets them through as it would an all-internal network.
	vars := map[string]string{"DATA_DIR": dir, "ADMIN_TOKEN": "test-token-0123456789", "UPSTREAM_ALLOW_PRIVATE": "true"}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	app, err := Open(context.Background(), cfg, log, "test")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.Server.Handler())
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		app.Close()
	})
	return &harness{t: t, app: app, srv: srv, dir: dir}
}

// api calls the management API and decodes the JSON answer into out.
func (h *harness) api(method, path string, body any, out any) int {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		if s, ok := body.(string); ok {
			rd = strings.NewReader(s)
		} else {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
	}
	req, _ := http.NewRequest(method, h.srv.URL+path, rd)
	req.Header.Set("Authorization", "Bearer test-token-0123456789")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

func (h *harness) remote(name, base string, extra map[string]any) {
	h.t.Helper()
	body := map[string]any{"name": name, "package_type": "generic", "base_url": base}
	for k, v := range extra {
		body[k] = v
	}
	var out map[string]any
	if code := h.api("POST", "/api/v2/remotes", body, &out); code != 201 {
		h.t.Fatalf("create remote: %d %v", code, out)
	}
}

// get fetches a proxied path and reads the whole body; err is the body
// read error (an aborted stream).
func (h *harness) get(path string, hdr ...string) (*http.Response, []byte, error) {
	h.t.Helper()
	req, _ := http.NewRequest("GET", h.srv.URL+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// pull is get with the admin token, as a client of a remote that requires
// authentication sends it (remotes with upstream credentials do).
func (h *harness) pull(path string, hdr ...string) (*http.Response, []byte, error) {
	h.t.Helper()
	return h.get(path, append([]string{"Authorization", "Bearer test-token-0123456789"}, hdr...)...)
}

// objects lists what is cached for a remote.
func (h *harness) objects(remote string) []map[string]any {
	var out struct{ Objects []map[string]any }
	h.api("GET", "/api/v2/remotes/"+remote+"/objects", nil, &out)
	return out.Objects
}

// blobFiles counts committed blobs (files, and small ones in the
// database: INLINE_BLOB_MAX) and leftover temps on disk.
func (h *harness) blobFiles() (blobs, temps int) {
	if dbFile := filepath.Join(h.dir, "artifactapi.db"); fileExists(dbFile) {
		db, err := sql.Open("sqlite", "file:"+dbFile+"?mode=ro")
		if err != nil {
			h.t.Fatal(err)
		}
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM blobs`).Scan(&n); err != nil {
			h.t.Fatalf("count small blobs: %v", err)
		}
		db.Close()
		blobs += n
	}
	root := filepath.Join(h.dir, "blobs")
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if rel, _ := filepath.Rel(root, p); strings.HasPrefix(rel, "tmp"+string(filepath.Separator)) {
			temps++
		} else {
			blobs++
		}
		return nil
	})
	return
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// assertNothingStored checks a failed fill left no row, no blob, no temp.
func (h *harness) assertNothingStored(remote string) {
	h.t.Helper()
	if objs := h.objects(remote); len(objs) != 0 {
		h.t.Fatalf("objects stored after a failed fill: %v", objs)
	}
	if b, tmp := h.blobFiles(); b != 0 || tmp != 0 {
		h.t.Fatalf("after a failed fill: %d blobs, %d temps on disk", b, tmp)
	}
}

// upstream is a test origin that counts requests per path.
type upstream struct {
	*httptest.Server
	hits atomic.Int64
}

func newUpstream(t testing.TB, h http.HandlerFunc) *upstream {
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.hits.Add(1)
		if h != nil {
			h(w, r)
		}
	}))
	t.Cleanup(u.Close)
	return u
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}
