package server

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/artifactapi/artifactapi/internal/format/types"
	"github.com/artifactapi/artifactapi/internal/testenv"
)

// typeCase is a package type's part in the shared conformance suite: an
// upstream serving one artifact (whole, or broken: short or tampered) and
// the path a client asks it by.
type typeCase struct {
	upstream func(t *testing.T, body []byte, broken bool) (base string, stop func())
	path     func(remote string, body []byte) string
	remote   map[string]any
}

// fileUpstream serves body at path, or half of it under a full
// Content-Length when broken.
func fileUpstream(path string) func(t *testing.T, body []byte, broken bool) (string, func()) {
	return func(t *testing.T, body []byte, broken bool) (string, func()) {
		up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != path {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			if broken {
				w.Write(body[:len(body)/2]) // then the connection ends: a short body
				return
			}
			w.Write(body)
		})
		return up.URL, up.Close
	}
}

var typeCases = map[string]typeCase{
	"alpine": {
		upstream: fileUpstream("/v3.20/main/x86_64/keys.pub"),
		path: func(remote string, _ []byte) string {
			return "/api/v1/remote/" + remote + "/v3.20/main/x86_64/keys.pub"
		},
	},
	"rpm": {
		upstream: fileUpstream("/Packages/h/hello-1.0-1.noarch.rpm"),
		path: func(remote string, _ []byte) string {
			return "/api/v1/remote/" + remote + "/Packages/h/hello-1.0-1.noarch.rpm"
		},
	},
	"puppet": {
		upstream: fileUpstream("/v3/files/demo-hello-1.0.0.tar.gz"),
		path: func(remote string, _ []byte) string {
			return "/api/v1/remote/" + remote + "/v3/files/demo-hello-1.0.0.tar.gz"
		},
	},
	"apt": {
		upstream: fileUpstream("/pool/main/d/demo/demo_1.0_amd64.deb"),
		path: func(remote string, _ []byte) string {
			return "/api/v1/remote/" + remote + "/pool/main/d/demo/demo_1.0_amd64.deb"
		},
	},
	"terraform": {
		upstream: fileUpstream("/v1/providers/demo/hello/versions"),
		path: func(remote string, _ []byte) string {
			return "/api/v1/remote/" + remote + "/v1/providers/demo/hello/versions"
		},
	},
	"generic": {
		upstream: fileUpstream("/dir/artifact.bin"),
		path:     func(remote string, _ []byte) string { return "/api/v1/remote/" + remote + "/dir/artifact.bin" },
	},
	"helm": {
		upstream: fileUpstream("/charts/demo-0.1.0.tgz"),
		path:     func(remote string, _ []byte) string { return "/api/v1/remote/" + remote + "/charts/demo-0.1.0.tgz" },
	},
	"npm": {
		upstream: fileUpstream("/demo/-/demo-1.0.0.tgz"),
		path:     func(remote string, _ []byte) string { return "/api/v1/remote/" + remote + "/demo/-/demo-1.0.0.tgz" },
	},
	"pypi": {
		upstream: fileUpstream("/packages/demo-1.0.0-py3-none-any.whl"),
		path: func(remote string, _ []byte) string {
			return "/api/v1/remote/" + remote + "/packages/demo-1.0.0-py3-none-any.whl"
		},
	},
	"goproxy": {
		upstream: fileUpstream("/example.test/m/@v/v1.0.0.zip"),
		path: func(remote string, _ []byte) string {
			return "/api/v1/remote/" + remote + "/example.test/m/@v/v1.0.0.zip"
		},
	},
	"docker": {
		upstream: func(t *testing.T, body []byte, broken bool) (string, func()) {
			reg := newFakeRegistry(t)
			reg.push("team/app", "1.0", ociManifest, body)
			reg.corrupt = broken
			return reg.URL, reg.Close
		},
		path: func(remote string, body []byte) string { return "/v2/" + remote + "/team/app/blobs/" + digestOf(body) },
	},
}

// TestEveryTypeConformance runs the same checks on every served package
// type, on the embedded backends and (when the services are there) on
// PostgreSQL + S3 + Redis.
func TestEveryTypeConformance(t *testing.T) {
	for _, name := range types.All().Names() {
		tc, ok := typeCases[name]
		if !ok {
			t.Errorf("package type %s has no case in the conformance suite", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			t.Run("embedded", func(t *testing.T) { runTypeSuite(t, name, tc, func(testing.TB) map[string]string { return nil }) })
			t.Run("scaleout", func(t *testing.T) { runTypeSuite(t, name, tc, testenv.ScaleOut) })
		})
	}
}

func runTypeSuite(t *testing.T, typ string, tc typeCase, env func(testing.TB) map[string]string) {
	body := randomBytes(200_000)
	newRemote := func(t *testing.T, broken bool) (*harness, string, func()) {
		base, stop := tc.upstream(t, body, broken)
		h := newHarness(t, env(t))
		fields := map[string]any{"name": "r", "package_type": typ, "base_url": base}
		for k, v := range tc.remote {
			fields[k] = v
		}
		var out map[string]any
		if code := h.api("POST", "/api/v2/remotes", fields, &out); code != 201 {
			t.Fatalf("create %s remote: %d %v", typ, code, out)
		}
		return h, tc.path("r", body), stop
	}
	t.Run("ColdThenHitThenUpstreamGone", func(t *testing.T) {
		h, path, stop := newRemote(t, false)
		if resp, got, err := h.get(path); err != nil || resp.StatusCode != 200 || !bytes.Equal(got, body) {
			t.Fatalf("cold: %v %d", err, resp.StatusCode)
		}
		if resp, got, _ := h.get(path); resp.Header.Get("X-Cache") != "HIT" || !bytes.Equal(got, body) {
			t.Fatalf("warm: %s", resp.Header.Get("X-Cache"))
		}
		stop()
		if resp, got, err := h.get(path); err != nil || resp.StatusCode != 200 || !bytes.Equal(got, body) {
			t.Fatalf("upstream gone: %v %d", err, resp.StatusCode)
		}
	})
	t.Run("HeadAndRange", func(t *testing.T) {
		h, path, _ := newRemote(t, false)
		h.get(path)
		req, _ := http.NewRequest("HEAD", h.srv.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 || resp.ContentLength != int64(len(body)) {
			t.Fatalf("HEAD: %v %d %d", err, resp.StatusCode, resp.ContentLength)
		}
		if resp, got, _ := h.get(path, "Range", "bytes=100-199"); resp.StatusCode != 206 || !bytes.Equal(got, body[100:200]) {
			t.Fatalf("Range: %d", resp.StatusCode)
		}
	})
	t.Run("BrokenFillStoresNothing", func(t *testing.T) {
		h, path, _ := newRemote(t, true)
		if resp, got, err := h.get(path); err == nil && resp.StatusCode == 200 && len(got) > 0 {
			t.Fatalf("a broken upstream answer completed as a 200 (%d bytes)", len(got))
		}
		for _, o := range h.objects("r") {
			if o["size"] == float64(len(body)/2) || strings.HasSuffix(path, o["path"].(string)) {
				t.Fatalf("stored after a broken fill: %v", o)
			}
		}
	})
	t.Run("VirtualFirstMemberWithThePath", func(t *testing.T) {
		if !strings.HasPrefix(tc.path("r", body), "/api/v1/remote/r/") {
			t.Skip("this type's virtuals are reached through its own front end, tested with it")
		}
		other := randomBytes(1000)
		baseA, _ := tc.upstream(t, other, false)
		baseB, _ := tc.upstream(t, body, false)
		empty := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
		h := newHarness(t, env(t))
		for name, base := range map[string]string{"a": baseA, "b": baseB, "none": empty.URL} {
			fields := map[string]any{"name": name, "package_type": typ, "base_url": base}
			for k, v := range tc.remote {
				fields[k] = v
			}
			if code := h.api("POST", "/api/v2/remotes", fields, nil); code != 201 {
				t.Fatalf("create %s remote %s: %d", typ, name, code)
			}
		}
		for v, members := range map[string][]string{"ab": {"a", "b"}, "nb": {"none", "b"}} {
			if code := h.api("POST", "/api/v2/virtuals", map[string]any{"name": v, "package_type": typ, "members": members}, nil); code != 201 {
				t.Fatalf("create %s virtual %s: %d", typ, v, code)
			}
		}
		rel := strings.TrimPrefix(tc.path("r", body), "/api/v1/remote/r/")
		if resp, got, err := h.get("/api/v1/virtual/ab/" + rel); err != nil || resp.StatusCode != 200 || !bytes.Equal(got, other) {
			t.Fatalf("both members have it: %v %d, want the first member's", err, resp.StatusCode)
		}
		if resp, got, err := h.get("/api/v1/virtual/nb/" + rel); err != nil || resp.StatusCode != 200 || !bytes.Equal(got, body) {
			t.Fatalf("only the second member has it: %v %d", err, resp.StatusCode)
		}
	})
	t.Run("TraversalRefused", func(t *testing.T) {
		h, path, _ := newRemote(t, false)
		i := strings.LastIndex(path, "/")
		if resp, _, _ := h.get(path[:i] + "/../../etc/passwd"); resp.StatusCode != 400 {
			t.Fatalf("traversal: %d", resp.StatusCode)
		}
	})
}
