package server

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// Remotes with upstream credentials (or auth_required) answer 401 without
// a pull token; tokens are shown once, stored hashed, scoped, expiring and
// revocable, and every change is in the audit log.
func TestPullTokens(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("private bytes")) })
	h := newHarness(t, nil)
	h.remote("private", up.URL, map[string]any{"token": "upstream-secret"})
	h.remote("other", up.URL, map[string]any{"auth_required": true})
	h.remote("public", up.URL, nil)
	var v map[string]any
	if h.api("POST", "/api/v2/virtuals", map[string]any{"name": "all", "package_type": "generic", "members": []string{"public", "private"}}, &v); v["name"] != "all" {
		t.Fatalf("virtual: %v", v)
	}

	if resp, _, _ := h.get("/api/v1/remote/public/a"); resp.StatusCode != 200 {
		t.Fatalf("public remote: %d", resp.StatusCode)
	}
	for _, p := range []string{"/api/v1/remote/private/a", "/api/v1/remote/other/a", "/api/v1/virtual/all/a"} {
		resp, body, _ := h.get(p)
		if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") || !strings.Contains(string(body), "pull token") {
			t.Fatalf("%s without a token: %d %s", p, resp.StatusCode, body)
		}
	}
	if up.hits.Load() != 1 {
		t.Fatalf("refused pulls reached the upstream: %d requests", up.hits.Load())
	}

	var tok map[string]any
	if code := h.api("POST", "/api/v2/tokens", map[string]any{"name": "ci", "repos": []string{"private", "all"}}, &tok); code != 201 {
		t.Fatalf("create token: %d %v", code, tok)
	}
	secret, _ := tok["token"].(string)
	if !strings.HasPrefix(secret, "aapt_") {
		t.Fatalf("token secret %q", secret)
	}
	basic := func(user, pass string) string {
		req, _ := http.NewRequest("GET", "/", nil)
		req.SetBasicAuth(user, pass)
		return req.Header.Get("Authorization")
	}
	for name, auth := range map[string]string{"bearer": "Bearer " + secret, "basic": basic("anyone", secret), "lower case": "bearer " + secret} {
		if resp, body, _ := h.get("/api/v1/remote/private/a", "Authorization", auth); resp.StatusCode != 200 || string(body) != "private bytes" {
			t.Errorf("%s: %d %s", name, resp.StatusCode, body)
		}
	}
	if resp, _, _ := h.get("/api/v1/virtual/all/a", "Authorization", "Bearer "+secret); resp.StatusCode != 200 {
		t.Errorf("through the virtual: %d", resp.StatusCode)
	}
	if resp, _, _ := h.get("/api/v1/remote/other/a", "Authorization", "Bearer "+secret); resp.StatusCode != 403 {
		t.Errorf("a remote outside the token's repos: %d", resp.StatusCode)
	}
	if resp, _, _ := h.get("/api/v1/remote/private/a", "Authorization", basic("x", "aapt_guessed")); resp.StatusCode != 401 {
		t.Errorf("a wrong token: %d", resp.StatusCode)
	}

	// Listed without its secret; stored as a hash only.
	var list struct{ Tokens []map[string]any }
	h.api("GET", "/api/v2/tokens", nil, &list)
	if len(list.Tokens) != 1 || list.Tokens[0]["name"] != "ci" || list.Tokens[0]["token"] != nil {
		t.Fatalf("listed tokens: %v", list.Tokens)
	}
	stored, _ := h.app.Meta.ListTokens(t.Context())
	if stored[0].Hash == secret || len(stored[0].Hash) != 64 {
		t.Fatalf("stored %q", stored[0].Hash)
	}

	// Expired tokens and revoked ones admit nobody.
	var short map[string]any
	h.api("POST", "/api/v2/tokens", map[string]any{"name": "short", "expires_at": time.Now().Add(time.Second).Format(time.RFC3339Nano)}, &short)
	if code := h.api("POST", "/api/v2/tokens", map[string]any{"name": "past", "expires_at": "2001-01-01T00:00:00Z"}, nil); code != 400 {
		t.Errorf("a token expiring in the past: %d", code)
	}
	waitUntil(t, "the short token to expire", func() bool {
		resp, _, _ := h.get("/api/v1/remote/private/a", "Authorization", "Bearer "+short["token"].(string))
		return resp.StatusCode == 401
	})
	if code := h.api("DELETE", "/api/v2/tokens/ci", nil, nil); code != 204 {
		t.Fatalf("revoke: %d", code)
	}
	if resp, _, _ := h.get("/api/v1/remote/private/a", "Authorization", "Bearer "+secret); resp.StatusCode != 401 {
		t.Errorf("a revoked token: %d", resp.StatusCode)
	}

	// Every change is audited, newest first; reads are not.
	var audit struct {
		Entries []map[string]any
	}
	h.api("GET", "/api/v2/audit", nil, &audit)
	var actions []string
	for _, e := range audit.Entries {
		actions = append(actions, e["action"].(string)+" "+e["target"].(string)+" "+e["actor"].(string))
	}
	want := []string{"DELETE /api/v2/tokens/ci ci admin", "POST /api/v2/tokens past admin", "POST /api/v2/tokens short admin", "POST /api/v2/tokens ci admin",
		"POST /api/v2/virtuals all admin", "POST /api/v2/remotes public admin", "POST /api/v2/remotes other admin", "POST /api/v2/remotes private admin"}
	if strings.Join(actions, "|") != strings.Join(want, "|") {
		t.Fatalf("audit:\n%s\nwant\n%s", strings.Join(actions, "\n"), strings.Join(want, "\n"))
	}
	if audit.Entries[1]["status"] != float64(400) {
		t.Errorf("a refused change is audited with its status: %v", audit.Entries[1])
	}
}
