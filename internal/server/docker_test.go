package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

const ociManifest = "application/vnd.oci.image.manifest.v1+json"

func (h *harness) dockerRemote(name, base string, extra map[string]any) {
	h.t.Helper()
	body := map[string]any{"name": name, "package_type": "docker", "base_url": base, "mutable_ttl": 300}
	for k, v := range extra {
		body[k] = v
	}
	var out map[string]any
	if code := h.api("POST", "/api/v2/remotes", body, &out); code != 201 {
		h.t.Fatalf("create docker remote: %d %v", code, out)
	}
}

// registryError decodes the registry JSON error form.
func registryError(t *testing.T, body []byte) string {
	t.Helper()
	var e struct {
		Errors []struct{ Code, Message string }
	}
	if err := json.Unmarshal(body, &e); err != nil || len(e.Errors) != 1 {
		t.Fatalf("not a registry error: %q", body)
	}
	return e.Errors[0].Code
}

func TestDockerPullThroughThenServedWithUpstreamGone(t *testing.T) {
	reg := newFakeRegistry(t)
	layer := randomBytes(300_000)
	digest := reg.push("team/app", "1.0", ociManifest, layer)
	h := newHarness(t, nil)
	h.dockerRemote("hub", reg.URL, nil)

	resp, _, _ := h.get("/v2/")
	if resp.StatusCode != 200 || resp.Header.Get("Docker-Distribution-API-Version") != "registry/2.0" {
		t.Fatalf("/v2/: %d %v", resp.StatusCode, resp.Header)
	}
	accept := []string{"Accept", ociManifest + ", application/vnd.docker.distribution.manifest.v2+json"}
	req, _ := http.NewRequest("HEAD", h.srv.URL+"/v2/hub/team/app/manifests/1.0", nil)
	req.Header.Set(accept[0], accept[1])
	head, err := http.DefaultClient.Do(req)
	if err != nil || head.StatusCode != 200 || head.Header.Get("Docker-Content-Digest") != digest ||
		head.Header.Get("Content-Type") != ociManifest || head.ContentLength <= 0 || !strings.Contains(head.Header.Get("Vary"), "Accept") {
		t.Fatalf("HEAD manifest: %v %v", err, head.Header)
	}
	resp, manifest, _ := h.get("/v2/hub/team/app/manifests/1.0", accept...)
	if resp.StatusCode != 200 || digestOf(manifest) != digest {
		t.Fatalf("GET manifest: %d %s", resp.StatusCode, manifest)
	}
	if resp, body, _ := h.get("/v2/hub/team/app/manifests/"+digest, accept...); resp.StatusCode != 200 || !bytes.Equal(body, manifest) {
		t.Fatalf("manifest by digest: %d", resp.StatusCode)
	}
	blobPath := "/v2/hub/team/app/blobs/" + digestOf(layer)
	if resp, body, _ := h.get(blobPath); resp.StatusCode != 200 || !bytes.Equal(body, layer) || resp.Header.Get("Docker-Content-Digest") != digestOf(layer) {
		t.Fatalf("blob: %d %v", resp.StatusCode, resp.Header)
	}

	reg.Close() // the upstream is gone: everything pulled comes from the cache
	for _, p := range []string{"/v2/hub/team/app/manifests/1.0", "/v2/hub/team/app/manifests/" + digest, blobPath} {
		if resp, _, err := h.get(p, accept...); err != nil || resp.StatusCode != 200 || resp.Header.Get("X-Cache") != "HIT" {
			t.Fatalf("%s with the upstream gone: %v %d %s", p, err, resp.StatusCode, resp.Header.Get("X-Cache"))
		}
	}
	if resp, body, _ := h.get(blobPath, "Range", "bytes=10-19"); resp.StatusCode != 206 || !bytes.Equal(body, layer[10:20]) {
		t.Fatalf("range on a cached blob: %d", resp.StatusCode)
	}
}

func TestDockerErrorsInRegistryForm(t *testing.T) {
	reg := newFakeRegistry(t)
	reg.push("team/app", "1.0", ociManifest, []byte("layer"))
	h := newHarness(t, nil)
	h.dockerRemote("hub", reg.URL, nil)
	cases := []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", "/v2/hub/team/app/manifests/nope", 404, "MANIFEST_UNKNOWN"},
		{"GET", "/v2/hub/team/app/blobs/sha256:" + strings.Repeat("0", 64), 404, "BLOB_UNKNOWN"},
		{"GET", "/v2/nosuch/team/app/manifests/1.0", 404, "NAME_UNKNOWN"},
		{"GET", "/v2/hub/Team/app/manifests/1.0", 400, "NAME_INVALID"},
		{"GET", "/v2/hub/team/app/blobs/md5:abc", 400, "DIGEST_INVALID"},
		{"GET", "/v2/hub/team/app/manifests/.INVALID_MANIFEST_NAME", 404, "MANIFEST_UNKNOWN"},
		{"HEAD", "/v2/hub/team/app/manifests/.INVALID_MANIFEST_NAME", 404, ""},
		{"GET", "/v2/hub/team/app/manifests/sha512:abcd", 404, "MANIFEST_UNKNOWN"},
		{"PUT", "/v2/hub/team/app/manifests/1.0", 405, "UNSUPPORTED"},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, h.srv.URL+c.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body bytes.Buffer
		body.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status || c.method != "HEAD" && registryError(t, body.Bytes()) != c.code {
			t.Errorf("%s %s: %d %s, want %d %s", c.method, c.path, resp.StatusCode, body.String(), c.status, c.code)
		}
		if d := resp.Header.Get("Docker-Content-Digest"); d != "" {
			t.Errorf("%s %s: an error answer carries Docker-Content-Digest %s", c.method, c.path, d)
		}
	}
	if n := reg.count("/v2/team/app/manifests/.INVALID_MANIFEST_NAME"); n != 0 {
		t.Errorf("an impossible manifest name reached the upstream %d times", n)
	}
}

func TestDockerTokenDanceAndRedirectWithoutCredentials(t *testing.T) {
	var cdnAuth atomic.Value
	cdnAuth.Store("")
	reg := newFakeRegistry(t)
	layer := randomBytes(50_000)
	cdn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cdnAuth.Store(r.Header.Get("Authorization"))
		w.Write(layer)
	}))
	defer cdn.Close()
	reg.token, reg.blobHost = "secret-token", cdn
	reg.push("team/app", "1.0", ociManifest, layer)
	h := newHarness(t, nil)
	h.dockerRemote("priv", reg.URL, map[string]any{"username": "u", "password": "p"})

	if resp, body, _ := h.pull("/v2/priv/team/app/manifests/1.0"); resp.StatusCode != 200 {
		t.Fatalf("manifest behind a token: %d %s", resp.StatusCode, body)
	}
	if resp, body, _ := h.pull("/v2/priv/team/app/blobs/" + digestOf(layer)); resp.StatusCode != 200 || !bytes.Equal(body, layer) {
		t.Fatalf("redirected blob: %d", resp.StatusCode)
	}
	if n := reg.tokenCalls.Load(); n != 1 {
		t.Errorf("token fetched %d times for one repository, want 1 (cached)", n)
	}
	if a := cdnAuth.Load().(string); a != "" {
		t.Errorf("the redirect target received credentials: %q", a)
	}
}

func TestDockerCorruptBlobRefusedAndNotStored(t *testing.T) {
	reg := newFakeRegistry(t)
	layer := randomBytes(100_000)
	reg.push("team/app", "1.0", ociManifest, layer)
	reg.corrupt = true
	h := newHarness(t, nil)
	h.dockerRemote("hub", reg.URL, nil)
	resp, body, err := h.get("/v2/hub/team/app/blobs/" + digestOf(layer))
	if err == nil && resp.StatusCode == 200 {
		t.Fatalf("a blob not matching its digest was served whole (%d bytes)", len(body))
	}
	for _, o := range h.objects("hub") {
		if strings.Contains(o["path"].(string), "/blobs/") {
			t.Fatalf("corrupt blob stored: %v", o)
		}
	}
}

func TestDockerBannedTagNeverReachesUpstream(t *testing.T) {
	reg := newFakeRegistry(t)
	reg.push("library/redis", "latest", ociManifest, []byte("l"))
	reg.push("library/redis", "latest-alpine", ociManifest, []byte("m"))
	h := newHarness(t, nil)
	h.dockerRemote("hub", reg.URL, map[string]any{"ban_tags_enabled": true, "ban_tags": []string{"latest"}, "patterns": []string{"^library/redis"}})
	resp, body, _ := h.get("/v2/hub/library/redis/manifests/latest")
	if resp.StatusCode != 403 || registryError(t, body) != "DENIED" || !strings.Contains(string(body), "banned") {
		t.Fatalf("banned tag: %d %s", resp.StatusCode, body)
	}
	if reg.requests.Load() != 0 {
		t.Fatal("a banned tag reached the upstream")
	}
	if resp, _, _ := h.get("/v2/hub/library/redis/manifests/latest-alpine"); resp.StatusCode != 200 {
		t.Fatalf("a tag that only starts like a banned one: %d", resp.StatusCode)
	}
	if resp, body, _ := h.get("/v2/hub/library/postgres/manifests/16"); resp.StatusCode != 403 || registryError(t, body) != "DENIED" {
		t.Fatalf("repository outside patterns: %d %s", resp.StatusCode, body)
	}
}

func TestDockerRateLimitServesCachedTag(t *testing.T) {
	reg := newFakeRegistry(t)
	reg.push("team/app", "1.0", ociManifest, []byte("layer"))
	h := newHarness(t, nil)
	h.dockerRemote("hub", reg.URL, map[string]any{"mutable_ttl": 0}) // tags revalidate every time
	if resp, _, _ := h.get("/v2/hub/team/app/manifests/1.0"); resp.StatusCode != 200 {
		t.Fatal(resp.StatusCode)
	}
	reg.mu.Lock()
	reg.status = http.StatusTooManyRequests
	reg.mu.Unlock()
	if resp, _, _ := h.get("/v2/hub/team/app/manifests/1.0"); resp.StatusCode != 200 || resp.Header.Get("X-Cache") != "STALE" {
		t.Fatalf("429 with a cached tag: %d %s", resp.StatusCode, resp.Header.Get("X-Cache"))
	}
	resp, body, _ := h.get("/v2/hub/team/app/manifests/2.0")
	if resp.StatusCode != 429 || registryError(t, body) != "TOOMANYREQUESTS" {
		t.Fatalf("429 without a cached copy: %d %s", resp.StatusCode, body)
	}
}

func TestDockerAcceptNegotiationAndTagPages(t *testing.T) {
	reg := newFakeRegistry(t)
	reg.push("team/app", "v1", ociManifest, []byte("a"))
	reg.push("team/app", "v2", ociManifest, []byte("b"))
	h := newHarness(t, nil)
	h.dockerRemote("hub", reg.URL, nil)
	h.get("/v2/hub/team/app/manifests/v1") // cached as OCI
	before := reg.count("/v2/team/app/manifests/v1")
	// A client that only reads Docker schema 2 must not get the cached OCI
	// manifest: the request goes upstream in its terms (here: none there).
	resp, _, _ := h.get("/v2/hub/team/app/manifests/v1", "Accept", "application/vnd.docker.distribution.manifest.v2+json")
	if resp.StatusCode != 404 || reg.count("/v2/team/app/manifests/v1") != before+1 {
		t.Fatalf("schema-2-only client: %d, upstream asked %d times", resp.StatusCode, reg.count("/v2/team/app/manifests/v1")-before)
	}
	resp, body, _ := h.get("/v2/hub/team/app/tags/list?n=1")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"v1"`) {
		t.Fatalf("first page: %d %s", resp.StatusCode, body)
	}
	if link := resp.Header.Get("Link"); link != `</v2/hub/team/app/tags/list?last=v1&n=1>; rel="next"` {
		t.Fatalf("Link not rewritten to the proxy: %q", link)
	}
	if !strings.Contains(string(body), `"name":"hub/team/app"`) {
		t.Fatalf("a page of tags names the upstream's repository: %s", body)
	}
	// Pages are cut from the whole list, fetched once and cached.
	for range 2 {
		resp, body, _ := h.get("/v2/hub/team/app/tags/list")
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"v2"`) || resp.Header.Get("X-Cache") != "HIT" {
			t.Fatalf("whole tag list: %d %s %s", resp.StatusCode, body, resp.Header.Get("X-Cache"))
		}
		// The name is the repository as the client asked for it.
		var list struct{ Name string }
		if json.Unmarshal(body, &list); list.Name != "hub/team/app" {
			t.Fatalf("tag list name %q, want hub/team/app", list.Name)
		}
	}
	if resp, body, _ := h.get("/v2/hub/team/app/tags/list?n=1&last=v1"); !strings.Contains(string(body), `["v2"]`) || resp.Header.Get("Link") != "" {
		t.Fatalf("last page: %s, Link %q", body, resp.Header.Get("Link"))
	}
	if n := reg.count("/v2/team/app/tags/list"); n != 1 {
		t.Fatalf("the upstream was asked for the tag list %d times", n)
	}
}

func TestDockerHerdOnLargeLayerOneUpstreamFetch(t *testing.T) {
	reg := newFakeRegistry(t)
	layer := randomBytes(100 << 20)
	reg.push("team/big", "1", ociManifest, layer)
	h := newHarness(t, nil)
	h.dockerRemote("hub", reg.URL, nil)
	path := "/v2/hub/team/big/blobs/" + digestOf(layer)
	var wg sync.WaitGroup
	want := digestOf(layer)
	for range 8 {
		wg.Go(func() {
			// Hashed as it streams: eight 100 MB bodies held at once would
			// cost gigabytes under the race detector.
			resp, err := http.Get(h.srv.URL + path)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			sum := sha256.New()
			n, err := io.Copy(sum, resp.Body)
			if err != nil || resp.StatusCode != 200 || "sha256:"+hex.EncodeToString(sum.Sum(nil)) != want {
				t.Errorf("client: %v %d, %d bytes", err, resp.StatusCode, n)
			}
		})
	}
	wg.Wait()
	if n := reg.count("/v2/team/big/blobs/" + digestOf(layer)); n != 1 {
		t.Fatalf("upstream asked %d times for one 100 MB layer", n)
	}
}

func TestDockerVirtualFirstMemberWithManifest(t *testing.T) {
	empty, full := newFakeRegistry(t), newFakeRegistry(t)
	layer := []byte("layer bytes")
	full.push("team/app", "1.0", ociManifest, layer)
	h := newHarness(t, nil)
	h.dockerRemote("a", empty.URL, nil)
	h.dockerRemote("b", full.URL, nil)
	if code := h.api("POST", "/api/v2/virtuals", map[string]any{"name": "all", "package_type": "docker", "members": []string{"a", "b"}}, nil); code != 201 {
		t.Fatalf("create virtual: %d", code)
	}
	if resp, _, _ := h.get("/v2/all/team/app/manifests/1.0"); resp.StatusCode != 200 {
		t.Fatalf("manifest via virtual: %d", resp.StatusCode)
	}
	before := empty.requests.Load()
	if resp, body, _ := h.get("/v2/all/team/app/blobs/" + digestOf(layer)); resp.StatusCode != 200 || !bytes.Equal(body, layer) {
		t.Fatalf("blob via virtual: %d", resp.StatusCode)
	}
	if empty.requests.Load() != before {
		t.Fatal("the blob was asked of a member that did not serve the manifest")
	}
}

// Docker Hub counts manifest GETs as pulls: a stale tag is revalidated with
// a HEAD, and fetched again only when its digest changed.
func TestDockerTagRevalidatedWithHead(t *testing.T) {
	reg := newFakeRegistry(t)
	var heads, gets atomic.Int64
	inner := reg.Config.Handler
	reg.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/manifests/") {
			map[string]*atomic.Int64{"HEAD": &heads, "GET": &gets}[r.Method].Add(1)
		}
		inner.ServeHTTP(w, r)
	})
	reg.push("team/app", "1.0", ociManifest, []byte("one"))
	h := newHarness(t, nil)
	h.dockerRemote("hub", reg.URL, map[string]any{"mutable_ttl": 0}) // stale at once
	for range 3 {
		if resp, _, _ := h.get("/v2/hub/team/app/manifests/1.0"); resp.StatusCode != 200 {
			t.Fatal(resp.StatusCode)
		}
	}
	if gets.Load() != 1 || heads.Load() != 2 {
		t.Fatalf("upstream saw %d GETs and %d HEADs, want 1 GET then HEADs", gets.Load(), heads.Load())
	}
	d2 := reg.push("team/app", "1.0", ociManifest, []byte("two")) // the tag moves
	resp, body, _ := h.get("/v2/hub/team/app/manifests/1.0")
	if resp.StatusCode != 200 || digestOf(body) != d2 || gets.Load() != 2 {
		t.Fatalf("after the tag moved: %d, digest %s want %s, %d GETs", resp.StatusCode, digestOf(body), d2, gets.Load())
	}
}

func TestDockerBasicChallengeAndBadCredentials(t *testing.T) {
	reg := newFakeRegistry(t)
	reg.basic = "u:p"
	reg.push("team/app", "1.0", ociManifest, []byte("l"))
	h := newHarness(t, nil)
	h.dockerRemote("good", reg.URL, map[string]any{"username": "u", "password": "p"})
	h.dockerRemote("bad", reg.URL, map[string]any{"username": "u", "password": "wrong"})
	if resp, body, _ := h.pull("/v2/good/team/app/manifests/1.0"); resp.StatusCode != 200 {
		t.Fatalf("basic auth: %d %s", resp.StatusCode, body)
	}
	resp, body, _ := h.pull("/v2/bad/team/app/manifests/1.0")
	if resp.StatusCode != 403 || registryError(t, body) != "DENIED" || !strings.Contains(string(body), "credentials") {
		t.Fatalf("wrong credentials: %d %s", resp.StatusCode, body)
	}
}
