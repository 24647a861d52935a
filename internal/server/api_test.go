package server

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestAuthRequired(t *testing.T) {
	h := newHarness(t, nil)
	for _, tok := range []string{"", "Bearer wrong", "Bearer test-token-012345678", "Basic dGVzdA=="} {
		req, _ := http.NewRequest("GET", h.srv.URL+"/api/v2/remotes", nil)
		if tok != "" {
			req.Header.Set("Authorization", tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Fatalf("token %q: %d, want 401", tok, resp.StatusCode)
		}
	}
	resp, err := http.Get(h.srv.URL + "/api/v2/health")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("health without token: %v %v", resp, err)
	}
}

func TestRemoteValidationStoresNothing(t *testing.T) {
	h := newHarness(t, nil)
	base := map[string]any{"name": "ok", "package_type": "generic", "base_url": "http://127.0.0.1:1"}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for a, b := range base {
			m[a] = b
		}
		m[k] = v
		return m
	}
	cases := map[string]any{
		"unknown type":      with("package_type", "cobol"),
		"bad name":          with("name", "has space"),
		"traversal name":    with("name", ".."),
		"bad url":           with("base_url", "ftp://x"),
		"relative url":      with("base_url", "/just/a/path"),
		"bad regex":         with("patterns", []string{"("}),
		"bad mutable":       with("mutable_patterns", []string{"[z-a]"}),
		"negative ttl":      with("mutable_ttl", -1),
		"negative imm ttl":  with("immutable_ttl", -5),
		"unknown field":     with("colour", "blue"),
		"too many patterns": with("patterns", make([]string, 257)),
		"missing url":       map[string]any{"name": "x", "package_type": "generic"},
		"not json":          "{nope",
	}
	for name, body := range cases {
		var out map[string]string
		if code := h.api("POST", "/api/v2/remotes", body, &out); code != 400 || out["error"] == "" {
			t.Errorf("%s: %d %v, want 400 with an error", name, code, out)
		}
	}
	var list struct{ Remotes []any }
	h.api("GET", "/api/v2/remotes", nil, &list)
	if len(list.Remotes) != 0 {
		t.Fatalf("invalid input stored: %v", list.Remotes)
	}
	if code := h.api("POST", "/api/v2/remotes", base, nil); code != 201 {
		t.Fatalf("valid create: %d", code)
	}
	var out map[string]string
	if code := h.api("POST", "/api/v2/remotes", base, &out); code != 409 {
		t.Fatalf("duplicate: %d %v", code, out)
	}
}

func TestCredentialsAreWriteOnly(t *testing.T) {
	h := newHarness(t, nil)
	body := map[string]any{"name": "sec", "package_type": "generic", "base_url": "http://127.0.0.1:1",
		"username": "alice", "password": "hunter2-secret", "token": ""}
	var created map[string]any
	h.api("POST", "/api/v2/remotes", body, &created)
	for _, path := range []string{"/api/v2/remotes", "/api/v2/remotes/sec"} {
		req, _ := http.NewRequest("GET", h.srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer test-token-0123456789")
		resp, _ := http.DefaultClient.Do(req)
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(raw), "hunter2") || strings.Contains(string(raw), "alice") {
			t.Fatalf("%s leaks credentials: %s", path, raw)
		}
	}
	if created["auth"] != "basic" {
		t.Fatalf("auth kind = %v", created["auth"])
	}
	// A replace without credentials keeps them while the origin stays.
	var updated map[string]any
	h.api("PUT", "/api/v2/remotes/sec", map[string]any{"package_type": "generic", "base_url": "http://127.0.0.1:1/other/"}, &updated)
	if updated["auth"] != "basic" || updated["base_url"] != "http://127.0.0.1:1/other/" {
		t.Fatalf("after PUT: %v", updated)
	}
	stored, _ := h.app.Meta.GetRemote(t.Context(), "sec")
	if stored.Password != "hunter2-secret" {
		t.Fatal("password lost on replace")
	}
	// Another origin (here another port) never inherits them.
	h.api("PUT", "/api/v2/remotes/sec", map[string]any{"package_type": "generic", "base_url": "http://127.0.0.1:2/other/"}, &updated)
	if stored, _ := h.app.Meta.GetRemote(t.Context(), "sec"); updated["auth"] != "none" || stored.Password != "" || stored.Username != "" {
		t.Fatalf("credentials followed base_url to another origin: %v", updated)
	}
	// Unless given with it.
	h.api("PUT", "/api/v2/remotes/sec", map[string]any{"package_type": "generic", "base_url": "https://127.0.0.1:3/", "token": "t0k"}, &updated)
	if updated["auth"] != "bearer" {
		t.Fatalf("credentials given with a new origin: %v", updated)
	}
}

func TestUpstreamCredentialsSent(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "bob" || p != "pw" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		w.Write([]byte("secret file"))
	})
	h := newHarness(t, nil)
	h.remote("r", up.URL, map[string]any{"username": "bob", "password": "pw"})
	// The client's own Authorization (here the admin token, which a
	// remote with credentials requires) is never forwarded upstream.
	req, _ := http.NewRequest("GET", h.srv.URL+"/api/v1/remote/r/f", nil)
	req.Header.Set("Authorization", "Bearer test-token-0123456789")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %v", resp, err)
	}
}

func TestPolicyAndPaths(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("x")) })
	h := newHarness(t, nil)
	h.remote("r", up.URL, map[string]any{"patterns": []string{`^allowed/`}, "blocklist": []string{`secret`}})
	for path, want := range map[string]int{
		"/api/v1/remote/r/allowed/ok.bin":                200,
		"/api/v1/remote/r/allowed/dir/":                  200,
		"/api/v1/remote/r/allowed/dir//":                 400,
		"/api/v1/remote/r//":                             400,
		"/api/v1/remote/r/other/x.bin":                   403,
		"/api/v1/remote/r/allowed/secret.bin":            403,
		"/api/v1/remote/r/allowed/../other/x":            400,
		"/api/v1/remote/r/allowed//x":                    400,
		"/api/v1/remote/r/allowed/%2e%2e/x":              400,
		"/api/v1/remote/r/allowed/a%00b":                 400,
		"/api/v1/remote/nope/x":                          404,
		"/api/v1/remote/r/" + strings.Repeat("a/", 1100): 400,
	} {
		req, _ := http.NewRequest("GET", h.srv.URL+path, nil)
		req.URL.RawPath = "" // keep the path exactly as written
		req.URL.Opaque = strings.TrimPrefix(h.srv.URL, "http:") + path
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", path[:min(len(path), 60)], resp.StatusCode, want)
		}
	}
	if up.hits.Load() != 2 {
		t.Fatalf("upstream hits = %d: refused requests must not reach it", up.hits.Load())
	}
	req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/remote/r/allowed/ok.bin", nil)
	resp, _ := http.DefaultClient.Do(req)
	if resp.StatusCode != 400 {
		t.Fatalf("POST to proxy: %d", resp.StatusCode)
	}
}

func TestObjectsPagingAndEvict(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(r.URL.Path)) })
	h := newHarness(t, nil)
	h.remote("r", up.URL, nil)
	for _, p := range []string{"a/1", "a/2", "a/3", "b/1", "b/2"} {
		h.get("/api/v1/remote/r/" + p)
	}
	var seen []string
	cursor := ""
	for range 10 {
		var page struct {
			Objects []struct {
				Path   string
				SHA256 string
				Size   int64
			}
			NextCursor string `json:"next_cursor"`
		}
		if code := h.api("GET", "/api/v2/remotes/r/objects?limit=2&cursor="+cursor, nil, &page); code != 200 {
			t.Fatalf("list: %d", code)
		}
		for _, o := range page.Objects {
			seen = append(seen, o.Path)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if strings.Join(seen, ",") != "a/1,a/2,a/3,b/1,b/2" {
		t.Fatalf("paged: %v", seen)
	}
	var out map[string]any
	if code := h.api("GET", "/api/v2/remotes/r/objects?limit=0", nil, &out); code != 400 {
		t.Fatalf("limit=0: %d", code)
	}
	var ev map[string]int
	h.api("DELETE", "/api/v2/remotes/r/objects?prefix=a/", nil, &ev)
	if ev["evicted"] != 3 || len(h.objects("r")) != 2 {
		t.Fatalf("evict prefix: %v, left %d", ev, len(h.objects("r")))
	}
	resp, _, _ := h.get("/api/v1/remote/r/a/1")
	if resp.Header.Get("X-Cache") != "MISS" {
		t.Fatal("evicted object served from cache")
	}
	if code := h.api("GET", "/api/v2/remotes/zzz/objects", nil, nil); code != 404 {
		t.Fatalf("objects of unknown remote: %d", code)
	}
}

func TestVirtualFirstMemberWins(t *testing.T) {
	a := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/only-b" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("from a"))
	})
	b := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("from b")) })
	h := newHarness(t, nil)
	h.remote("a", a.URL, nil)
	h.remote("b", b.URL, nil)
	var out map[string]any
	if code := h.api("POST", "/api/v2/virtuals", map[string]any{"name": "all", "package_type": "generic", "members": []string{"a", "b"}}, &out); code != 201 {
		t.Fatalf("create virtual: %d %v", code, out)
	}
	if _, body, _ := h.get("/api/v1/virtual/all/x"); string(body) != "from a" {
		t.Fatalf("x: %q", body)
	}
	if _, body, _ := h.get("/api/v1/virtual/all/only-b"); string(body) != "from b" {
		t.Fatalf("only-b: %q", body)
	}
	// A member that is down does not hide the next one.
	down := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) })
	h.remote("down", down.URL, nil)
	h.api("PUT", "/api/v2/virtuals/all", map[string]any{"package_type": "generic", "members": []string{"down", "b"}}, nil)
	if resp, body, _ := h.get("/api/v1/virtual/all/y"); resp.StatusCode != 200 || string(body) != "from b" {
		t.Fatalf("with the first member down: %d %q", resp.StatusCode, body)
	}
	h.api("PUT", "/api/v2/virtuals/all", map[string]any{"package_type": "generic", "members": []string{"down"}}, nil)
	if resp, _, _ := h.get("/api/v1/virtual/all/z"); resp.StatusCode != 502 {
		t.Fatalf("only member down: %d, want its 502", resp.StatusCode)
	}
	if resp, _, _ := h.get("/api/v1/virtual/nope/z"); resp.StatusCode != 404 {
		t.Fatalf("unknown virtual: %d", resp.StatusCode)
	}
	for name, body := range map[string]map[string]any{
		"missing member": {"name": "v2", "package_type": "generic", "members": []string{"a", "zzz"}},
		"no members":     {"name": "v3", "package_type": "generic", "members": []string{}},
		"twice":          {"name": "v4", "package_type": "generic", "members": []string{"a", "a"}},
		"unknown type":   {"name": "v5", "package_type": "cobol", "members": []string{"a"}},
	} {
		if code := h.api("POST", "/api/v2/virtuals", body, nil); code != 400 {
			t.Errorf("%s: %d, want 400", name, code)
		}
	}
	if code := h.api("POST", "/api/v2/virtuals", map[string]any{"name": "a", "package_type": "generic", "members": []string{"b"}}, nil); code != 409 {
		t.Errorf("virtual named like a remote: %d, want 409", code)
	}
}

func TestProbeStatsEventsMetrics(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("probe me")) })
	h := newHarness(t, nil)
	// Subscribe before acting so every event is seen.
	evs := h.sseEvents()

	h.remote("r", up.URL, nil)
	var probe map[string]any
	h.api("POST", "/api/v2/probe", map[string]string{"remote": "r", "path": "p.bin"}, &probe)
	if probe["status"] != 200.0 || probe["size"] != 8.0 || probe["sha256"] == "" {
		t.Fatalf("probe: %v", probe)
	}
	if len(h.objects("r")) != 0 {
		t.Fatal("probe cached something")
	}
	h.get("/api/v1/remote/r/p.bin")
	h.get("/api/v1/remote/r/p.bin")

	want := map[string]bool{"remote.created": false, "fetch.started": false, "fetch.finished": false, "hit": false}
	deadline := time.After(10 * time.Second)
	for missing := len(want); missing > 0; {
		select {
		case e := <-evs:
			typ, _ := e["type"].(string)
			if seen, ok := want[typ]; ok && !seen {
				want[typ] = true
				missing--
			}
		case <-deadline:
			t.Fatalf("events seen: %v", want)
		}
	}

	waitUntil(t, "stats to be flushed", func() bool {
		var st struct {
			Totals map[string]int64
		}
		h.api("GET", "/api/v2/stats", nil, &st)
		return st.Totals["hits"] == 1 && st.Totals["misses"] == 1 && st.Totals["objects"] == 1 && st.Totals["bytes_fetched"] == 8
	})
	if resp, _ := http.Get(h.srv.URL + "/metrics"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("metrics without the token: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", h.srv.URL+"/metrics", nil)
	req.Header.Set("Authorization", "bearer test-token-0123456789") // the scheme is case-insensitive
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `artifactapi_requests_total{cache="HIT",code="2xx",remote="r"} 1`) {
		t.Fatalf("metrics missing the hit:\n%s", body)
	}
}

func TestDeleteRemoteEvictsAndStopsServing(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("x")) })
	h := newHarness(t, nil)
	h.remote("r", up.URL, nil)
	h.get("/api/v1/remote/r/f")
	if code := h.api("DELETE", "/api/v2/remotes/r", nil, nil); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	if resp, _, _ := h.get("/api/v1/remote/r/f"); resp.StatusCode != 404 {
		t.Fatalf("deleted remote still serves: %d", resp.StatusCode)
	}
	if b, _ := h.blobFiles(); b != 0 {
		t.Fatalf("%d blobs left after deleting the remote", b)
	}
	if code := h.api("DELETE", "/api/v2/remotes/r", nil, nil); code != 404 {
		t.Fatalf("delete twice: %d", code)
	}
}

func TestHealthReportsDownBackend(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("x")) })
	h := newHarness(t, nil)
	h.remote("r", up.URL, nil)
	h.app.Meta.Close() // the database goes away under the running server
	resp, err := http.Get(h.srv.URL + "/api/v2/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Status string
		Checks map[string]struct{ Backend, Status, Error string }
	}
	json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != 503 || out.Status != "down" || out.Checks["db"].Status != "down" || out.Checks["storage"].Status != "ok" {
		t.Fatalf("health with the database closed: %d %+v", resp.StatusCode, out)
	}
	if out.Checks["db"].Error != "" {
		t.Fatalf("health shows error texts to anyone: %+v", out)
	}
	if h.api("GET", "/api/v2/health", nil, &out); out.Checks["db"].Error == "" {
		t.Fatalf("the admin sees no error text: %+v", out)
	}
	// A storage error is never a miss: no upstream request, a clear 503.
	if resp, body, _ := h.get("/api/v1/remote/r/f"); resp.StatusCode != 503 || up.hits.Load() != 0 {
		t.Fatalf("proxy with the database closed: %d %s, upstream hits %d", resp.StatusCode, body, up.hits.Load())
	}
	var list map[string]any
	if code := h.api("GET", "/api/v2/remotes", nil, &list); code != 503 {
		t.Fatalf("list remotes with the database closed: %d %v", code, list)
	}
}
