package server

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/artifactapi/artifactapi/internal/blob"
)

// sized serves 1000 bytes per path, different for every path.
func sized(t *testing.T) *upstream {
	return newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte(r.URL.Path[len(r.URL.Path)-1:]), 1000))
	})
}

func paths(h *harness, remote string) string {
	var ps []string
	for _, o := range h.objects(remote) {
		ps = append(ps, o["path"].(string))
	}
	return strings.Join(ps, ",")
}

// A remote over its max_size and the cache over CACHE_MAX_SIZE shed their
// least recently used objects; a hit counts as a use.
func TestJanitorEvictsLeastRecentlyUsed(t *testing.T) {
	up := sized(t)
	h := newHarness(t, map[string]string{"CACHE_MAX_SIZE": "4500B"})
	h.remote("r", up.URL, map[string]any{"max_size": 3000})
	h.remote("s", up.URL, nil)
	for _, p := range []string{"1", "2", "3", "4"} {
		if resp, _, _ := h.get("/api/v1/remote/r/f" + p); resp.StatusCode != 200 {
			t.Fatal(resp.StatusCode)
		}
	}
	if resp, _, _ := h.get("/api/v1/remote/r/f1"); resp.Header.Get("X-Cache") != "HIT" {
		t.Fatal("no hit")
	}
	h.objects("r") // listing waits for the fills to be stored
	// The recorder sums usage for 30 s; the sweep has it written first.
	rep, err := h.app.Janitor.Sweep(context.Background())
	if err != nil || rep.OverRemote != 1 {
		t.Fatalf("sweep: %+v %v", rep, err)
	}
	if got := paths(h, "r"); got != "f1,f3,f4" {
		t.Fatalf("after max_size: %s, want f1,f3,f4 (f2 least recently used)", got)
	}
	for _, p := range []string{"a", "b"} {
		h.get("/api/v1/remote/s/g" + p)
	}
	h.objects("s") // listing waits for them to be stored
	// 5000 bytes in all, over 4500: the oldest (f3) goes.
	if rep, err := h.app.Janitor.Sweep(context.Background()); err != nil || rep.OverGlobal != 1 {
		t.Fatalf("sweep: %+v %v", rep, err)
	}
	if got := paths(h, "r") + "|" + paths(h, "s"); got != "f1,f4|ga,gb" {
		t.Fatalf("after CACHE_MAX_SIZE: %s", got)
	}
	if b, _ := h.blobFiles(); b != 4 {
		t.Fatalf("%d blobs left, want 4", b)
	}
	var st struct{ Storage map[string]float64 }
	h.api("GET", "/api/v2/stats", nil, &st)
	if st.Storage["evicted"] != 2 || st.Storage["max_size"] != 4500 || st.Storage["free_bytes"] <= 0 {
		t.Fatalf("stats: %v", st.Storage)
	}
}

// unused_days evicts what nobody asked for; blobs no row refers to go
// once older than the grace period, never sooner.
func TestJanitorUnusedDaysAndOrphans(t *testing.T) {
	up := sized(t)
	h := newHarness(t, nil)
	h.remote("old", up.URL, map[string]any{"unused_days": 2})
	h.remote("keep", up.URL, nil)
	h.get("/api/v1/remote/old/f1")
	h.get("/api/v1/remote/keep/f2")
	h.objects("old") // listing waits for both to be stored: their blobs are no orphans
	h.objects("keep")
	orphan, err := h.app.Blobs.Put(context.Background(), strings.NewReader("left by a crash"), blob.Expect{Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	j := h.app.Janitor
	j.Now = func() time.Time { return time.Now().Add(24 * time.Hour) }
	if rep, _ := j.Sweep(context.Background()); rep.Unused != 0 || rep.Orphans != 1 {
		t.Fatalf("a day later: %+v", rep)
	}
	if _, err := h.app.Blobs.Stat(context.Background(), orphan.SHA256); err == nil {
		t.Fatal("the orphaned blob is still there")
	}
	j.Now = func() time.Time { return time.Now().Add(3 * 24 * time.Hour) }
	if rep, _ := j.Sweep(context.Background()); rep.Unused != 1 {
		t.Fatalf("three days later: %+v", rep)
	}
	if paths(h, "old") != "" || paths(h, "keep") != "f2" {
		t.Fatalf("after unused_days: old=%q keep=%q", paths(h, "old"), paths(h, "keep"))
	}
	// A fresh unreferenced blob (a fill between its blob and its row) stays.
	fresh, _ := h.app.Blobs.Put(context.Background(), strings.NewReader("a fill in progress"), blob.Expect{Size: -1})
	j.Now = time.Now
	j.Sweep(context.Background())
	if _, err := h.app.Blobs.Stat(context.Background(), fresh.SHA256); err != nil {
		t.Fatal("a blob inside the grace period was collected")
	}
}

// Below the free-space reserve fills are refused with 507 and health is
// degraded; hits are still served.
func TestFreeSpaceReserve(t *testing.T) {
	up := sized(t)
	h := newHarness(t, nil)
	h.remote("r", up.URL, nil)
	if resp, _, _ := h.get("/api/v1/remote/r/f1"); resp.StatusCode != 200 {
		t.Fatal(resp.StatusCode)
	}
	// Stored (listing waits for it) before a second server opens the
	// data dir and clears its temps.
	if len(h.objects("r")) != 1 {
		t.Fatal("f1 not stored")
	}
	full := newHarness(t, map[string]string{"CACHE_MIN_FREE": "4000000TB", "DATA_DIR": h.dir})
	_ = full
	h.app.Close()
	resp, body, _ := full.get("/api/v1/remote/r/f2")
	if resp.StatusCode != http.StatusInsufficientStorage || !strings.Contains(string(body), "CACHE_MIN_FREE") {
		t.Fatalf("a miss below the reserve: %d %s", resp.StatusCode, body)
	}
	if resp, _, _ := full.get("/api/v1/remote/r/f1"); resp.StatusCode != 200 || resp.Header.Get("X-Cache") != "HIT" {
		t.Fatalf("a hit below the reserve: %d", resp.StatusCode)
	}
	var health struct {
		Status string
		Checks map[string]struct{ Status string }
	}
	full.api("GET", "/api/v2/health", nil, &health)
	if health.Status != "degraded" || health.Checks["disk"].Status != "degraded" {
		t.Fatalf("health below the reserve: %+v", health)
	}
	if up.hits.Load() != 1 {
		t.Fatalf("a refused fill reached the upstream: %d requests", up.hits.Load())
	}
}
