package server

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// internalHost is a server on another loopback address, standing in for
// a host inside the company network; it counts the connections that reach
// it.
type internalHost struct {
	addr  string
	conns atomic.Int64
}

func newInternalHost(t *testing.T) *internalHost {
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	ih := &internalHost{addr: ln.Addr().String()}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("internal secret")) }),
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				ih.conns.Add(1)
			}
		}}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ih
}

// Hosts the upstream names — a redirect, a chart an index lists on
// another host — are refused when they are private, before any connection
// is made; the operator can allow one by name.
func TestEgressGuardRefusesHostsTheUpstreamChose(t *testing.T) {
	inner := newInternalHost(t)
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/leak":
			http.Redirect(w, r, "http://"+inner.addr+"/secret", http.StatusFound)
		case "/index.yaml":
			fmt.Fprintf(w, "apiVersion: v1\nentries:\n  demo:\n  - name: demo\n    version: 1.0.0\n    digest: %s\n    urls:\n    - http://%s/charts/demo-1.0.0.tgz\n",
				strings.Repeat("a", 64), inner.addr)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		}
	})
	h := newHarness(t, map[string]string{"UPSTREAM_ALLOW_PRIVATE": "false"})
	h.remote("files", up.URL, nil)
	resp, body, _ := h.get("/api/v1/remote/files/leak")
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(body), "egress refused") {
		t.Fatalf("redirect to an internal host: %d %s", resp.StatusCode, body)
	}
	h.assertNothingStored("files")

	var out map[string]any
	if code := h.api("POST", "/api/v2/remotes", map[string]any{"name": "charts", "package_type": "helm", "base_url": up.URL}, &out); code != 201 {
		t.Fatalf("helm remote: %d %v", code, out)
	}
	if resp, _, _ := h.get("/api/v1/remote/charts/index.yaml"); resp.StatusCode != 200 {
		t.Fatalf("index: %d", resp.StatusCode)
	}
	chart := "/api/v1/remote/charts/_ext/http/" + inner.addr + "/charts/demo-1.0.0.tgz"
	if resp, body, _ := h.get(chart); resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(body), "egress refused") {
		t.Fatalf("chart listed on an internal host: %d %s", resp.StatusCode, body)
	}
	if n := inner.conns.Load(); n != 0 {
		t.Fatalf("%d connections reached the internal host", n)
	}
	if resp, body, _ := h.get("/api/v1/remote/files/loop"); resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(body), "redirect") {
		t.Fatalf("redirect loop: %d %s", resp.StatusCode, body)
	}

	// Allowed by name: the same redirect is followed.
	h.remote("trusted", up.URL, map[string]any{"allowed_hosts": []string{inner.addr}})
	if resp, body, _ := h.get("/api/v1/remote/trusted/leak"); resp.StatusCode != 200 || string(body) != "internal secret" {
		t.Fatalf("allowed host: %d %s", resp.StatusCode, body)
	}
	if inner.conns.Load() == 0 {
		t.Fatal("the allowed host was not reached")
	}
}

// A base URL is the operator's choice and may be private; link-local and
// metadata addresses only when allowed by name. (Checked, never dialled.)
func TestBaseURLLinkLocalRefusedUnlessAllowed(t *testing.T) {
	h := newHarness(t, map[string]string{"UPSTREAM_ALLOW_PRIVATE": "false"})
	for _, base := range []string{"http://169.254.169.254/latest/", "http://[fe80::1]/", "http://100.100.100.200/", "http://0.0.0.0/"} {
		var out map[string]string
		if code := h.api("POST", "/api/v2/remotes", map[string]any{"name": "m", "package_type": "generic", "base_url": base}, &out); code != 400 || !strings.Contains(out["error"], "base_url") {
			t.Errorf("%s: %d %v, want 400 naming base_url", base, code, out)
		}
	}
	if code := h.api("POST", "/api/v2/remotes", map[string]any{"name": "meta", "package_type": "generic", "base_url": "http://169.254.169.254/",
		"allowed_hosts": []string{"169.254.169.254"}}, nil); code != 201 {
		t.Errorf("link-local base allowed by name: %d", code)
	}
	for _, base := range []string{"http://10.1.2.3/", "http://127.0.0.1:9/", "http://[::1]:9/"} {
		if code := h.api("POST", "/api/v2/remotes", map[string]any{"name": "p" + fmt.Sprint(len(base)), "package_type": "generic", "base_url": base}, nil); code != 201 {
			t.Errorf("private base %s: %d", base, code)
		}
	}
	for _, bad := range [][]string{{"http://x"}, {"a b"}, {"h:99999"}, {""}} {
		if code := h.api("POST", "/api/v2/remotes", map[string]any{"name": "bad", "package_type": "generic", "base_url": "http://127.0.0.1:9/", "allowed_hosts": bad}, nil); code != 400 {
			t.Errorf("allowed_hosts %q: %d, want 400", bad, code)
		}
	}
}

// Credentials go to the exact origin they were given for: not to another
// port of the same host on a redirect.
func TestCredentialsStayOnTheirOrigin(t *testing.T) {
	var leaked atomic.Value
	other := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		leaked.Store(r.Header.Get("Authorization"))
		w.Write([]byte("moved"))
	})
	var sent atomic.Value
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		sent.Store(r.Header.Get("Authorization"))
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusFound)
	})
	h := newHarness(t, nil)
	h.remote("creds", up.URL, map[string]any{"username": "alice", "password": "s3cret"})
	if resp, _, _ := h.pull("/api/v1/remote/creds/a.bin"); resp.StatusCode != 200 {
		t.Fatalf("redirected fetch: %d", resp.StatusCode)
	}
	if s, _ := sent.Load().(string); !strings.HasPrefix(s, "Basic ") {
		t.Fatalf("the remote's own origin got no credentials: %q", s)
	}
	if l, _ := leaked.Load().(string); l != "" {
		t.Fatalf("credentials sent to another port after a redirect: %q", l)
	}
}

// A docker token realm is the upstream's choice: the remote's credentials
// go there only over TLS or on the registry's own origin.
func TestDockerRealmGetsCredentialsOnlyWhenSafe(t *testing.T) {
	var sawAuth atomic.Value
	realm := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		sawAuth.Store(r.Header.Get("Authorization"))
		json.NewEncoder(w).Encode(map[string]any{"token": "tok", "expires_in": 300})
	})
	reg := newFakeRegistry(t)
	reg.token, reg.realm = "tok", realm.URL+"/token"
	reg.push("team/app", "1.0", ociManifest, []byte("layer"))
	h := newHarness(t, nil)
	h.dockerRemote("hub", reg.URL, map[string]any{"username": "alice", "password": "s3cret"})
	if resp, body, _ := h.pull("/v2/hub/team/app/manifests/1.0"); resp.StatusCode != 200 {
		t.Fatalf("pull through a foreign realm: %d %s", resp.StatusCode, body)
	}
	if a, _ := sawAuth.Load().(string); a != "" {
		t.Fatalf("credentials sent over plain http to a realm on another origin: %q", a)
	}
	// The registry's own realm gets them.
	own := newFakeRegistry(t)
	own.token = "tok"
	own.push("team/app", "1.0", ociManifest, []byte("layer"))
	h.dockerRemote("own", own.URL, map[string]any{"username": "alice", "password": "s3cret"})
	if resp, _, _ := h.pull("/v2/own/team/app/manifests/1.0"); resp.StatusCode != 200 || own.tokenCalls.Load() == 0 {
		t.Fatalf("own realm: %d, %d token calls", resp.StatusCode, own.tokenCalls.Load())
	}
	if a, _ := own.tokenAuth.Load().(string); !strings.HasPrefix(a, "Basic ") {
		t.Fatalf("the registry's own realm got no credentials: %q", a)
	}
}
