package server

import (
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// An upstream whose rate limit counts down: while the budget has room a
// stale tag is revalidated; once it is nearly spent the stale copy is
// served (X-Cache: STALE) without asking the upstream, until the window
// passes; a 429 holds revalidation back for its Retry-After. Stats and
// metrics show the budget.
func TestUpstreamBudgetServesStaleWhenLow(t *testing.T) {
	var remaining, throttle atomic.Int64
	remaining.Store(7)
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if throttle.Load() > 0 {
			w.Header().Set("Retry-After", "2")
			http.Error(w, "too many requests", http.StatusTooManyRequests)
			return
		}
		left := remaining.Add(-1)
		w.Header().Set("ratelimit-limit", "100;w=2")
		w.Header().Set("ratelimit-remaining", strconv.FormatInt(left, 10)+";w=2")
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write([]byte("manifest of tags/latest"))
	})
	h := newHarness(t, nil)
	evs := h.sseEvents()
	h.remote("hub", up.URL, map[string]any{"mutable_patterns": []string{"^tags/"}, "mutable_ttl": 0})
	get := func(want string) {
		t.Helper()
		resp, b, err := h.get("/api/v1/remote/hub/tags/latest")
		if err != nil || resp.StatusCode != 200 || string(b) != "manifest of tags/latest" || resp.Header.Get("X-Cache") != want {
			t.Fatalf("GET: %v %d %q X-Cache %s, want %s", err, resp.StatusCode, b, resp.Header.Get("X-Cache"), want)
		}
	}
	get("MISS")        // upstream: 6 left of 100
	get("REVALIDATED") // 5 left: at 5% of the limit, low
	hits := up.hits.Load()
	get("STALE")
	get("STALE")
	if up.hits.Load() != hits {
		t.Fatal("the upstream was asked while its budget was low")
	}
	var stats struct {
		Upstreams map[string]struct {
			Budget    *struct{ Remaining, Limit int64 }
			BudgetLow bool `json:"budget_low"`
		}
	}
	h.api("GET", "/api/v2/stats", nil, &stats)
	if u := stats.Upstreams["hub"]; !u.BudgetLow || u.Budget == nil || u.Budget.Remaining != 5 || u.Budget.Limit != 100 {
		t.Fatalf("stats: %+v", stats.Upstreams)
	}
	_, metrics, _ := h.get("/metrics", "Authorization", "Bearer test-token-0123456789")
	if !strings.Contains(string(metrics), `artifactapi_upstream_ratelimit_remaining{remote="hub"} 5`) {
		t.Fatal("metrics do not show the budget")
	}

	waitEvent(t, evs, "upstream.budget_low", "hub")

	// The window passes: revalidated again, and the upstream has recovered.
	time.Sleep(2100 * time.Millisecond)
	remaining.Store(100)
	get("REVALIDATED")
	get("REVALIDATED")
	waitEvent(t, evs, "upstream.budget_recovered", "hub")

	// A 429 with Retry-After: the stale copy answers, and nothing more is
	// asked until the upstream said it may be.
	throttle.Store(1)
	get("STALE")
	hits = up.hits.Load()
	get("STALE")
	if up.hits.Load() != hits {
		t.Fatal("the upstream was asked inside its Retry-After")
	}
	h.api("GET", "/api/v2/stats", nil, &stats)
	if !stats.Upstreams["hub"].BudgetLow {
		t.Fatalf("stats after a 429: %+v", stats.Upstreams["hub"])
	}
	throttle.Store(0)
	time.Sleep(2100 * time.Millisecond)
	get("REVALIDATED")
}

// waitEvent waits for an event of type typ about remote.
func waitEvent(t *testing.T, evs <-chan map[string]any, typ, remote string) map[string]any {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e := <-evs:
			if e["type"] == typ && e["remote"] == remote {
				return e
			}
		case <-timeout:
			t.Fatalf("no %s event for %s", typ, remote)
		}
	}
}
