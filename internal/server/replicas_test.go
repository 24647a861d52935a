package server

import (
	"bytes"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/artifactapi/artifactapi/internal/testenv"
)

// Two servers on one set of shared backends (PostgreSQL + S3 + Redis), as
// two replicas behind a load balancer.
func replicas(t *testing.T) (*harness, *harness) {
	env := testenv.ScaleOut(t)
	return newHarness(t, env), newHarness(t, env)
}

// knows waits until h has a remote created through another replica: the
// news travels by pub/sub, which on a loaded machine can take longer than
// a test's next request.
func knows(t *testing.T, h *harness, remote string) {
	t.Helper()
	waitUntil(t, "replica to know remote "+remote, func() bool {
		_, ok := h.app.Server.reg.Remote(remote)
		return ok
	})
}

func TestReplicasOneFillAcrossReplicas(t *testing.T) {
	const clients = 12
	data := randomBytes(5 << 20)
	release := make(chan struct{})
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if !held(r, release) {
			return
		}
		w.Write(data)
	})
	a, b := replicas(t)
	a.remote("r", up.URL, nil)
	knows(t, b, "r")
	var wg sync.WaitGroup
	errs := make(chan string, clients)
	for i := range clients {
		h := a
		if i%2 == 1 {
			h = b
		}
		wg.Go(func() {
			resp, body, err := h.get("/api/v1/remote/r/layer.bin")
			if err != nil || resp.StatusCode != 200 || !bytes.Equal(body, data) {
				errs <- "a client got a wrong answer"
			}
		})
	}
	waitUntil(t, "every client to wait on a fill", func() bool {
		return a.app.Engine.Waiters("r", "layer.bin")+b.app.Engine.Waiters("r", "layer.bin") == clients
	})
	close(release)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	if n := up.hits.Load(); n != 1 {
		t.Fatalf("upstream fetched %d times for one artifact on two replicas, want 1", n)
	}
	// Stored once, visible to both.
	if objs := b.objects("r"); len(objs) != 1 {
		t.Fatalf("objects on the other replica: %v", objs)
	}
}

func TestReplicasConfigChangeInForceEverywhere(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("v")) })
	a, b := replicas(t)
	inForce := func(what string, cond func() bool) {
		t.Helper()
		start := time.Now()
		waitUntil(t, what, cond)
		t.Logf("%s after %v", what, time.Since(start).Round(time.Millisecond))
	}
	status := func(h *harness, path string) int {
		resp, _, err := h.get(path)
		if err != nil {
			return 0
		}
		return resp.StatusCode
	}
	a.remote("cfg", up.URL, nil)
	inForce("a created remote to serve on the other replica", func() bool { return status(b, "/api/v1/remote/cfg/x/1") == 200 })
	if code := a.api("PUT", "/api/v2/remotes/cfg", map[string]any{"name": "cfg", "package_type": "generic", "base_url": up.URL,
		"patterns": []string{"^y/"}}, nil); code != 200 {
		t.Fatalf("update: %d", code)
	}
	inForce("a changed pattern to apply on the other replica", func() bool { return status(b, "/api/v1/remote/cfg/x/2") == 403 })
	if code := a.api("DELETE", "/api/v2/remotes/cfg", nil, nil); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	inForce("a deleted remote to be gone on the other replica", func() bool { return status(b, "/api/v1/remote/cfg/y/1") == 404 })
}

// sseEvents reads SSE events of one type from h until n were seen.
func sseEvents(t *testing.T, h *harness, typ string, n int, act func()) []map[string]any {
	t.Helper()
	evs := h.sseEvents()
	act()
	var out []map[string]any
	for len(out) < n {
		select {
		case e := <-evs:
			if e["type"] == typ {
				out = append(out, e)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("saw %d %s events of %d", len(out), typ, n)
		}
	}
	return out
}

func TestReplicasShareEventsStatsAndCircuit(t *testing.T) {
	failing := false
	var mu sync.Mutex
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if failing {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		w.Write([]byte("artifact"))
	})
	a, b := replicas(t)
	a.remote("r", up.URL, nil)
	knows(t, b, "r")

	// A fetch on one replica is an event on the other's stream.
	evs := sseEvents(t, b, "fetch.finished", 1, func() { a.get("/api/v1/remote/r/one") })
	if evs[0]["path"] != "one" {
		t.Fatalf("event %v", evs[0])
	}
	// Stats count both replicas' traffic.
	b.get("/api/v1/remote/r/one") // a hit on b
	waitUntil(t, "cluster-wide stats", func() bool {
		var st struct {
			Remotes map[string]struct{ Hits, Misses int64 }
		}
		a.api("GET", "/api/v2/stats", nil, &st)
		return st.Remotes["r"].Hits == 1 && st.Remotes["r"].Misses == 1
	})

	// A circuit opened by failures seen on one replica is open on the other.
	mu.Lock()
	failing = true
	mu.Unlock()
	for i := range 5 {
		a.get("/api/v1/remote/r/fail" + string(rune('a'+i)))
	}
	before := up.hits.Load()
	resp, body, _ := b.get("/api/v1/remote/r/other")
	if resp.StatusCode != 503 || up.hits.Load() != before {
		t.Fatalf("other replica with the circuit open: %d %s, upstream asked %d more times", resp.StatusCode, body, up.hits.Load()-before)
	}
}

func TestReplicasEvictionSeenEverywhere(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("evict me")) })
	a, b := replicas(t)
	a.remote("r", up.URL, nil)
	knows(t, b, "r")
	a.get("/api/v1/remote/r/e")
	if resp, _, _ := b.get("/api/v1/remote/r/e"); resp.Header.Get("X-Cache") != "HIT" {
		t.Fatalf("other replica: %s, want HIT", resp.Header.Get("X-Cache"))
	}
	var out map[string]any
	if code := a.api("DELETE", "/api/v2/remotes/r/objects?path=e", nil, &out); code != 200 {
		t.Fatalf("evict: %d %v", code, out)
	}
	if resp, _, _ := b.get("/api/v1/remote/r/e"); resp.Header.Get("X-Cache") != "MISS" || up.hits.Load() != 2 {
		t.Fatalf("after eviction on a, b served %s with %d upstream fetches", resp.Header.Get("X-Cache"), up.hits.Load())
	}
}

// A replica holding a row that went stale reads it again before asking
// the upstream: another replica's revalidation is not announced, but it
// is in the database.
func TestReplicasSeeEachOthersRevalidation(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write([]byte("tag contents"))
	})
	a, b := replicas(t)
	a.remote("r", up.URL, map[string]any{"mutable_patterns": []string{"^tags/"}, "mutable_ttl": 1})
	knows(t, b, "r")
	a.get("/api/v1/remote/r/tags/x")
	if resp, _, _ := b.get("/api/v1/remote/r/tags/x"); resp.Header.Get("X-Cache") != "HIT" {
		t.Fatalf("b before expiry: %s, want HIT", resp.Header.Get("X-Cache"))
	}
	time.Sleep(1100 * time.Millisecond)
	if resp, _, _ := a.get("/api/v1/remote/r/tags/x"); resp.Header.Get("X-Cache") != "REVALIDATED" {
		t.Fatalf("a after expiry: %s, want REVALIDATED", resp.Header.Get("X-Cache"))
	}
	resp, body, _ := b.get("/api/v1/remote/r/tags/x")
	if resp.Header.Get("X-Cache") != "HIT" || string(body) != "tag contents" || up.hits.Load() != 2 {
		t.Fatalf("b after a revalidated: %s %q, upstream asked %d times (want 2)", resp.Header.Get("X-Cache"), body, up.hits.Load())
	}
}
