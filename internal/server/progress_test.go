package server

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/artifactapi/artifactapi/internal/webui"
)

// sseEvents subscribes to the event stream and returns its events, decoded,
// from the moment it returns.
func (h *harness) sseEvents() <-chan map[string]any {
	h.t.Helper()
	req, _ := http.NewRequest("GET", h.srv.URL+"/api/v2/events", nil)
	req.Header.Set("Authorization", "Bearer test-token-0123456789")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.Header.Get("Content-Type") != "text/event-stream" {
		h.t.Fatalf("events: %v %v", resp, err)
	}
	done := make(chan struct{})
	h.t.Cleanup(func() {
		close(done)
		resp.Body.Close()
	})
	out := make(chan map[string]any, 256)
	lines := bufio.NewScanner(resp.Body)
	lines.Scan() // ": connected": subscribed from here on
	go func() {
		defer close(out)
		for lines.Scan() {
			if data, ok := strings.CutPrefix(lines.Text(), "data: "); ok {
				var e map[string]any
				json.Unmarshal([]byte(data), &e)
				select {
				case out <- e:
				case <-done:
					return
				}
			}
		}
	}()
	return out
}

func TestFillProgressEventsAndDuration(t *testing.T) {
	const size = 1 << 20
	body := randomBytes(size)
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(size))
		// Drip the file over about 1.2 s so several progress ticks pass.
		for i := 0; i < 12; i++ {
			w.Write(body[i*size/12 : (i+1)*size/12])
			w.(http.Flusher).Flush()
			time.Sleep(100 * time.Millisecond)
		}
		w.Write(body[12*(size/12):])
	})
	h := newHarness(t, nil)
	evs := h.sseEvents()
	h.remote("r", up.URL, nil)
	if resp, b, err := h.get("/api/v1/remote/r/big.bin"); err != nil || resp.StatusCode != 200 || len(b) != size {
		t.Fatalf("fetch: %v %v", resp, err)
	}
	var progress []map[string]any
	deadline := time.After(10 * time.Second)
	for {
		select {
		case e := <-evs:
			if e["path"] != "big.bin" {
				continue
			}
			switch e["type"] {
			case "fetch.progress":
				progress = append(progress, e)
			case "fetch.finished":
				if len(progress) < 2 {
					t.Fatalf("%d progress events for a 1.2 s fill, want several", len(progress))
				}
				last := 0.0
				for _, p := range progress {
					n, _ := p["bytes"].(float64)
					if p["size"] != float64(size) || n <= last || n >= size {
						t.Fatalf("progress %v after %v bytes: want growing bytes below size %d", p, last, size)
					}
					last = n
				}
				if d, _ := e["duration_ms"].(float64); d < 1000 {
					t.Fatalf("finished duration_ms %v, the upstream took over 1.2 s", e["duration_ms"])
				}
				return
			}
		case <-deadline:
			t.Fatalf("no fetch.finished; progress seen: %v", progress)
		}
	}
}

func TestStatsShowUpstreamHealth(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "broken", http.StatusBadGateway)
	})
	h := newHarness(t, nil)
	h.remote("bad", up.URL, nil)
	h.remote("idle", up.URL, nil)
	type health struct {
		Circuit   string
		LastError *struct {
			Time  time.Time
			Error string
		} `json:"last_error"`
	}
	var st struct{ Upstreams map[string]health }
	h.api("GET", "/api/v2/stats", nil, &st)
	if g := st.Upstreams["bad"]; g.Circuit != "closed" || g.LastError != nil {
		t.Fatalf("before any fetch: %+v", g)
	}
	for i := range 6 {
		h.get(fmt.Sprintf("/api/v1/remote/bad/f%d.bin", i))
	}
	h.api("GET", "/api/v2/stats", nil, &st)
	g := st.Upstreams["bad"]
	if g.Circuit != "open" || g.LastError == nil || !strings.Contains(g.LastError.Error, "502") || time.Since(g.LastError.Time) > time.Minute {
		t.Fatalf("after six 502s: %+v (last error %+v)", g, g.LastError)
	}
	if i := st.Upstreams["idle"]; i.Circuit != "closed" || i.LastError != nil {
		t.Fatalf("untouched remote: %+v", i)
	}
}

// A graceful shutdown ends open event streams, or it would wait on them
// until its timeout and clients would not move to another replica.
func TestEndStreamsClosesEventStreams(t *testing.T) {
	h := newHarness(t, nil)
	evs := h.sseEvents()
	h.app.EndStreams()
	select {
	case _, open := <-evs:
		if open {
			t.Fatal("an event instead of the end of the stream")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the event stream stayed open after EndStreams")
	}
	h.app.EndStreams() // a second call (Shutdown's and Close's) is harmless
}

func TestStatsSeriesFromTheAccessLog(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("payload")) })
	h := newHarness(t, nil)
	h.remote("r", up.URL, nil)
	for range 3 {
		h.get("/api/v1/remote/r/a.bin")
	}
	type point struct {
		Start    time.Time
		Requests int64
		Cache    map[string]int64
	}
	var out struct {
		StepSeconds float64 `json:"step_seconds"`
		Points      []point
	}
	// Traffic is written in batches each second.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if code := h.api("GET", "/api/v2/stats/series?window=10m&step=1m", nil, &out); code != 200 {
			t.Fatalf("series: %d", code)
		}
		var req, hits, misses int64
		for _, p := range out.Points {
			req += p.Requests
			hits += p.Cache["HIT"]
			misses += p.Cache["MISS"]
		}
		if req == 3 && hits == 2 && misses == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("series never showed 1 miss and 2 hits: %+v", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Every bucket of the window is there, a minute apart, oldest first.
	if out.StepSeconds != 60 || len(out.Points) < 10 || len(out.Points) > 11 {
		t.Fatalf("step %v, %d points", out.StepSeconds, len(out.Points))
	}
	for i := 1; i < len(out.Points); i++ {
		if d := out.Points[i].Start.Sub(out.Points[i-1].Start); d != time.Minute {
			t.Fatalf("points %d and %d are %v apart", i-1, i, d)
		}
	}
	for _, bad := range []string{"window=abc", "step=500ms", "window=24h&step=1s", "window=-1h", "window=800h"} {
		if code := h.api("GET", "/api/v2/stats/series?"+bad, nil, nil); code != 400 {
			t.Errorf("%s: %d, want 400", bad, code)
		}
	}
}

func TestTypesListTheirSettings(t *testing.T) {
	h := newHarness(t, nil)
	var out struct {
		Types []struct {
			Name     string
			Settings []struct{ Name, Kind, Description string }
		}
	}
	if code := h.api("GET", "/api/v2/types", nil, &out); code != 200 || len(out.Types) != 11 {
		t.Fatalf("types: %d %+v", code, out)
	}
	for _, ty := range out.Types {
		switch ty.Name {
		case "docker":
			if len(ty.Settings) != 2 || ty.Settings[0].Name != "ban_tags_enabled" || ty.Settings[0].Kind != "bool" || ty.Settings[1].Kind != "strings" || ty.Settings[1].Description == "" {
				t.Fatalf("docker settings %+v", ty.Settings)
			}
		case "generic":
			if len(ty.Settings) != 0 {
				t.Fatalf("generic settings %+v", ty.Settings)
			}
		}
	}
}

func TestRootServesTheUIToBrowsersAndTheBannerToScripts(t *testing.T) {
	h := newHarness(t, nil)
	resp, body, _ := h.get("/")
	if resp.StatusCode != 200 || !strings.Contains(string(body), "management: /api/v2") {
		t.Fatalf("banner: %d %q", resp.StatusCode, body)
	}
	if !webui.Built() {
		if os.Getenv("ARTIFACTAPI_REQUIRE_CLIENTS") != "" {
			t.Fatal("no built UI: make test builds it (make ui) before the Go tests")
		}
		t.Skip("no built UI in this build (make build embeds it)")
	}
	resp, body, _ = h.get("/", "Accept", "text/html,application/xhtml+xml")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `<div id="root">`) || resp.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("index: %d %v %q", resp.StatusCode, resp.Header, body)
	}
}
