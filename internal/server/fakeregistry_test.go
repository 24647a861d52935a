package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// fakeRegistry is a minimal Registry v2 upstream for tests: manifests by
// tag and digest, blobs, tag lists with pagination, an optional bearer
// token endpoint, and switches for failures.
type fakeRegistry struct {
	*httptest.Server
	mu        sync.Mutex
	manifests map[string]fakeManifest // "repo:ref" -> manifest
	blobs     map[string][]byte       // digest -> bytes
	tags      map[string][]string

	token      string // when set, every /v2/ request needs "Bearer "+token
	realm      string // the token realm it names (default: its own /token)
	basic      string // when set, every /v2/ request needs Basic auth "user:pass"
	tokenCalls atomic.Int64
	tokenAuth  atomic.Value // the Authorization its token endpoint last saw
	status     int          // when set, manifests and blobs answer it (429, 500 ...)
	corrupt    bool
	blobHost   *httptest.Server // when set, blobs redirect there
	requests   atomic.Int64
	gets       sync.Map // path -> *atomic.Int64
}

type fakeManifest struct {
	mediaType string
	body      []byte
}

func digestOf(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func newFakeRegistry(t *testing.T) *fakeRegistry {
	f := &fakeRegistry{manifests: map[string]fakeManifest{}, blobs: map[string][]byte{}, tags: map[string][]string{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

// push stores an image: one layer and a config, under repo:tag; returns
// the manifest digest.
func (f *fakeRegistry) push(repo, tag, mediaType string, layer []byte) string {
	config := []byte(`{"architecture":"amd64","os":"linux"}`)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.blobs[digestOf(layer)] = layer
	f.blobs[digestOf(config)] = config
	m, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": mediaType,
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digestOf(config), "size": len(config)},
		"layers": []any{map[string]any{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digestOf(layer), "size": len(layer)}}})
	f.setManifest(repo, tag, mediaType, m)
	return digestOf(m)
}

func (f *fakeRegistry) setManifest(repo, tag, mediaType string, body []byte) {
	fm := fakeManifest{mediaType, body}
	f.manifests[repo+":"+tag] = fm
	f.manifests[repo+":"+digestOf(body)] = fm
	for _, t := range f.tags[repo] {
		if t == tag {
			return
		}
	}
	f.tags[repo] = append(f.tags[repo], tag)
}

func (f *fakeRegistry) count(path string) int64 {
	c, _ := f.gets.LoadOrStore(path, &atomic.Int64{})
	return c.(*atomic.Int64).Load()
}

func (f *fakeRegistry) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/token" {
		f.tokenCalls.Add(1)
		f.tokenAuth.Store(r.Header.Get("Authorization"))
		json.NewEncoder(w).Encode(map[string]any{"token": f.token, "expires_in": 300})
		return
	}
	f.requests.Add(1)
	c, _ := f.gets.LoadOrStore(r.URL.Path, &atomic.Int64{})
	c.(*atomic.Int64).Add(1)
	if f.token != "" && r.Header.Get("Authorization") != "Bearer "+f.token {
		realm := f.realm
		if realm == "" {
			realm = f.URL + "/token"
		}
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="%s",service="fake"`, realm))
		http.Error(w, `{"errors":[{"code":"UNAUTHORIZED"}]}`, http.StatusUnauthorized)
		return
	}
	if user, pass, _ := r.BasicAuth(); f.basic != "" && user+":"+pass != f.basic {
		w.Header().Set("WWW-Authenticate", `Basic realm="fake"`)
		http.Error(w, `{"errors":[{"code":"UNAUTHORIZED"}]}`, http.StatusUnauthorized)
		return
	}
	p := strings.TrimPrefix(r.URL.Path, "/v2/")
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.status != 0 && !strings.HasSuffix(p, "/tags/list") {
		http.Error(w, "failing", f.status)
		return
	}
	switch {
	case strings.Contains(p, "/manifests/"):
		repo, ref, _ := strings.Cut(p, "/manifests/")
		m, ok := f.manifests[repo+":"+ref]
		if !ok {
			http.Error(w, `{"errors":[{"code":"MANIFEST_UNKNOWN"}]}`, http.StatusNotFound)
			return
		}
		if !strings.Contains(r.Header.Get("Accept"), m.mediaType) {
			http.Error(w, "not acceptable", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", m.mediaType)
		w.Header().Set("Docker-Content-Digest", digestOf(m.body))
		w.Header().Set("Etag", `"`+digestOf(m.body)+`"`)
		if r.Header.Get("If-None-Match") == `"`+digestOf(m.body)+`"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write(m.body)
	case strings.Contains(p, "/blobs/"):
		_, d, _ := strings.Cut(p, "/blobs/")
		b, ok := f.blobs[d]
		if !ok {
			http.Error(w, `{"errors":[{"code":"BLOB_UNKNOWN"}]}`, http.StatusNotFound)
			return
		}
		if f.blobHost != nil {
			http.Redirect(w, r, f.blobHost.URL+"/cdn/"+d, http.StatusTemporaryRedirect)
			return
		}
		if f.corrupt {
			b = append([]byte("tampered"), b...)
		}
		w.Write(b)
	case strings.HasSuffix(p, "/tags/list"):
		repo := strings.TrimSuffix(p, "/tags/list")
		tags := f.tags[repo]
		if n := r.URL.Query().Get("n"); n == "1" && len(tags) > 1 {
			last := r.URL.Query().Get("last")
			i := 0
			for i < len(tags) && last != "" && tags[i] <= last {
				i++
			}
			tags = tags[i:min(i+1, len(tags))]
			if len(tags) == 1 && tags[0] != f.tags[repo][len(f.tags[repo])-1] {
				w.Header().Set("Link", fmt.Sprintf(`</v2/%s/tags/list?last=%s&n=1>; rel="next"`, repo, tags[0]))
			}
		}
		json.NewEncoder(w).Encode(map[string]any{"name": repo, "tags": tags})
	default:
		http.NotFound(w, r)
	}
}
