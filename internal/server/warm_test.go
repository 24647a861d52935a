package server

import (
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/artifactapi/artifactapi/internal/warm"
)

// warm posts a file to be warmed on remote and waits for the job's
// report; a refusal returns its status and no report.
func (h *harness) warm(remote, file, kind, body string) (warm.Report, int) {
	h.t.Helper()
	q := url.Values{"remote": {remote}, "file": {file}, "kind": {kind}}
	req, _ := http.NewRequest("POST", h.srv.URL+"/api/v2/warm?"+q.Encode(), strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer test-token-0123456789")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var rep warm.Report
	if resp.StatusCode != http.StatusAccepted {
		return rep, resp.StatusCode
	}
	json.NewDecoder(resp.Body).Decode(&rep)
	for deadline := time.Now().Add(30 * time.Second); rep.State == "running"; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			h.t.Fatalf("warming job still running: %+v", rep)
		}
		h.api("GET", "/api/v2/warm/"+rep.ID, nil, &rep)
	}
	return rep, resp.StatusCode
}

func statuses(rep warm.Report) map[string]string {
	out := map[string]string{}
	for _, it := range rep.Items {
		out[it.Name] = it.Status
		if it.Error != "" {
			out[it.Name] += ": " + it.Error
		}
	}
	return out
}

// A package-lock.json warms every package's document and tarball
// (verified as any fill); a second run finds them there; a version the
// release policy blocks fails with its reason; then the cache answers with
// the upstream gone.
func TestWarmNPMLockfile(t *testing.T) {
	tarballs, docs := map[string][]byte{}, map[string][]byte{}
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if b, ok := tarballs[r.URL.Path]; ok {
			w.Write(b)
		} else if b, ok := docs[strings.TrimPrefix(r.URL.Path, "/")]; ok {
			w.Write(b)
		} else {
			http.NotFound(w, r)
		}
	})
	for _, name := range []string{"left", "@team/right"} {
		short := name[strings.LastIndex(name, "/")+1:]
		versions := map[string]any{}
		for _, v := range []string{"1.0.0", "2.0.0"} {
			p := "/" + name + "/-/" + short + "-" + v + ".tgz"
			body := []byte("tarball " + name + " " + v)
			tarballs[p] = body
			sum := sha512.Sum512(body)
			versions[v] = map[string]any{"version": v, "dist": map[string]string{"tarball": up.URL + p, "integrity": "sha512-" + base64.StdEncoding.EncodeToString(sum[:])}}
		}
		docs[name], _ = json.Marshal(map[string]any{"name": name, "dist-tags": map[string]string{"latest": "2.0.0"}, "versions": versions})
	}
	h := newHarness(t, nil)
	h.remote("npm", up.URL, map[string]any{"package_type": "npm", "blocked_versions": []string{"left@2.0.0"}})
	lock := `{"name":"app","lockfileVersion":3,"packages":{"":{"name":"app"},
		"node_modules/left":{"version":"1.0.0"},
		"node_modules/@team/right":{"version":"2.0.0"},
		"node_modules/@team/right/node_modules/left":{"version":"2.0.0"},
		"node_modules/linked":{"link":true},
		"node_modules/gone":{"version":"1.0.0"}}}`
	rep, code := h.warm("npm", "package-lock.json", "", lock)
	if code != 202 || rep.State != "done" || rep.Total != 4 || rep.Cached != 2 || rep.Failed != 2 {
		t.Fatalf("first run: %d %+v", code, statuses(rep))
	}
	st := statuses(rep)
	if !strings.Contains(st["left@2.0.0"], "blocked_versions") || !strings.HasPrefix(st["gone@1.0.0"], "failed: gone#abbreviated") || st["@team/right@2.0.0"] != "cached" {
		t.Fatalf("items: %v", st)
	}
	rep, _ = h.warm("npm", "package-lock.json", "", lock)
	if rep.Present != 2 || rep.Cached != 0 {
		t.Fatalf("second run: %v", statuses(rep))
	}
	up.Close()
	resp, b, _ := h.get("/api/v1/remote/npm/@team/right/-/right-2.0.0.tgz")
	if resp.StatusCode != 200 || string(b) != "tarball @team/right 2.0.0" {
		t.Fatalf("warmed tarball with the upstream gone: %d %s", resp.StatusCode, b)
	}
}

// A list of paths warms any type; refusals are clear and start nothing.
func TestWarmPathsAndRefusals(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/files/") {
			fmt.Fprint(w, "content of "+r.URL.Path)
			return
		}
		http.NotFound(w, r)
	})
	h := newHarness(t, nil)
	evs := h.sseEvents()
	h.remote("files", up.URL, nil)
	h.remote("npm", up.URL, map[string]any{"package_type": "npm"})
	if code := h.api("POST", "/api/v2/virtuals", map[string]any{"name": "all", "package_type": "generic", "members": []string{"files"}}, nil); code != 201 {
		t.Fatal(code)
	}
	rep, _ := h.warm("files", "list.txt", "", "# tools\nfiles/a.txt\n/files/b.txt\n\nfiles/a.txt\nmissing/c.txt\n")
	if st := statuses(rep); rep.Total != 3 || st["files/a.txt"] != "cached" || st["files/b.txt"] != "cached" || !strings.HasPrefix(st["missing/c.txt"], "failed") {
		t.Fatalf("paths: %v", st)
	}
	if e := waitEvent(t, evs, "warm.finished", "files"); e["path"] != rep.ID || e["count"] != 3.0 || e["error"] != "1 of 3 failed" {
		t.Fatalf("warm.finished: %v", e)
	}
	for _, c := range []struct {
		remote, file, kind, body string
		code                     int
	}{
		{"nope", "x.txt", "", "a", 404},
		{"all", "x.txt", "", "a", 400},
		{"npm", "package-lock.json", "", "not json", 400},
		{"npm", "yarn.lock", "", "{}", 400},
		{"files", "x.txt", "", "\n# nothing\n", 400},
		{"files", "go.sum", "gosum", "x", 400},
	} {
		if _, code := h.warm(c.remote, c.file, c.kind, c.body); code != c.code {
			t.Errorf("%s %s: %d, want %d", c.remote, c.file, code, c.code)
		}
	}
	var out map[string]any
	if code := h.api("GET", "/api/v2/warm/no-such-job", nil, &out); code != 404 {
		t.Errorf("unknown job: %d", code)
	}
}
