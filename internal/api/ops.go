package api

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/meta"
)

func (a *API) stats(w http.ResponseWriter, r *http.Request) {
	st, err := a.Store.Stats(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var total meta.RemoteStats
	for _, s := range st {
		total.Counters.Add(s.Counters)
		total.Objects += s.Objects
		total.StoredBytes += s.StoredBytes
	}
	out := map[string]any{"totals": total, "remotes": st}
	if a.Upstream != nil {
		ups := map[string]UpstreamHealth{}
		for _, rem := range a.Registry.Remotes() {
			h := a.Upstream(r.Context(), rem.Name)
			if !a.IsAdmin(r) && h.LastError != nil {
				// Error texts name hosts: for the admin only.
				h.LastError.Error = ""
			}
			ups[rem.Name] = h
		}
		out["upstreams"] = ups
	}
	if a.Storage != nil {
		out["storage"] = a.Storage()
	}
	writeJSON(w, http.StatusOK, out)
}

type checkResult struct {
	Backend string `json:"backend"`
	Status  string `json:"status"`
	Error   string `json:"error,omitempty"`
}

// health runs every backend check at once, each bounded by a timeout.
func (a *API) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	results := make(map[string]checkResult, len(a.Checks))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, c := range a.Checks {
		wg.Go(func() {
			res := checkResult{Backend: c.Backend, Status: "ok"}
			if err := c.Fn(ctx); err != nil {
				res.Status, res.Error = "down", err.Error()
				if c.Degrades {
					res.Status = "degraded"
				}
			}
			mu.Lock()
			results[c.Name] = res
			mu.Unlock()
		})
	}
	wg.Wait()
	if !a.IsAdmin(r) {
		// Error texts name hosts and files: for the admin only.
		for k, res := range results {
			res.Error = ""
			results[k] = res
		}
	}
	status, code := "ok", http.StatusOK
	for _, res := range results {
		switch {
		case res.Status == "down":
			status, code = "down", http.StatusServiceUnavailable
		case res.Status == "degraded" && status == "ok":
			status = "degraded"
		}
	}
	writeJSON(w, code, map[string]any{"status": status, "checks": results})
}

func (a *API) probe(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Remote string `json:"remote"`
		Path   string `json:"path"`
	}
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	rem, ok := a.Registry.Remote(in.Remote)
	if !ok {
		a.fail(w, r, apierr.New(apierr.ErrNotFound, "remote %q not found", in.Remote))
		return
	}
	if in.Path == "" {
		a.fail(w, r, apierr.New(apierr.ErrInvalid, "path is required"))
		return
	}
	res, err := a.Engine.Probe(r.Context(), rem, in.Path)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// events streams the event bus as Server-Sent Events, flushing each one.
func (a *API) events(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		a.fail(w, r, fmt.Errorf("streaming unsupported"))
		return
	}
	ch, err := a.Events.Subscribe(r.Context())
	if err != nil {
		a.fail(w, r, apierr.New(apierr.ErrUnavailable, "event bus unavailable"))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": connected\n\n")
	flusher.Flush()
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-a.Closing:
			return
		case msg, ok := <-ch:
			if !ok {
				return
			}
			fmt.Fprintf(w, "data: %s\n\n", msg)
			flusher.Flush()
		case <-ping.C:
			fmt.Fprint(w, ": ping\n\n")
			flusher.Flush()
		}
	}
}

// series is requests over time from the per-second traffic, for charts:
// ?window=1h&step=1m (window up to 31 days, though traffic is kept
// ACCESS_LOG_DAYS; whole seconds per step; at most 1000 buckets). Every bucket of the window is present, empty
// ones with zeros, so a chart needs no gap logic.
func (a *API) series(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	window, err := durationParam(q.Get("window"), time.Hour)
	if err != nil {
		a.fail(w, r, apierr.New(apierr.ErrInvalid, "window: %v", err))
		return
	}
	step, err := durationParam(q.Get("step"), time.Minute)
	if err != nil {
		a.fail(w, r, apierr.New(apierr.ErrInvalid, "step: %v", err))
		return
	}
	switch {
	case step < time.Second || step%time.Second != 0:
		a.fail(w, r, apierr.New(apierr.ErrInvalid, "step must be whole seconds"))
		return
	case window > 31*24*time.Hour:
		a.fail(w, r, apierr.New(apierr.ErrInvalid, "window must be at most 31 days"))
		return
	case window/step > 1000:
		a.fail(w, r, apierr.New(apierr.ErrInvalid, "window/step is %d buckets; at most 1000", window/step))
		return
	}
	now := time.Now().UTC()
	// Buckets are aligned to the Unix epoch, as the stores group them.
	since := time.Unix(0, now.Add(-window).UnixNano()/int64(step)*int64(step)).UTC()
	pts, err := a.Store.TrafficSeries(r.Context(), since, step)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := make([]meta.SeriesPoint, 0, window/step+1)
	for t, i := since, 0; !t.After(now); t = t.Add(step) {
		if i < len(pts) && pts[i].Start.Equal(t) {
			out = append(out, pts[i])
			i++
			continue
		}
		out = append(out, meta.SeriesPoint{Start: t, Cache: map[string]int64{}})
	}
	writeJSON(w, http.StatusOK, map[string]any{"step_seconds": step.Seconds(), "points": out})
}

func durationParam(s string, def time.Duration) (time.Duration, error) {
	if s == "" {
		return def, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration like 90s, 15m or 24h", s)
	}
	return d, nil
}

// types lists the served package types and the settings each declares, so
// a client (the web UI's remote form) can offer the right fields.
func (a *API) types(w http.ResponseWriter, r *http.Request) {
	type setting struct {
		Name        string `json:"name"`
		Kind        string `json:"kind"`
		Description string `json:"description"`
	}
	type typ struct {
		Name     string    `json:"name"`
		Settings []setting `json:"settings"`
	}
	reg := a.Registry.Types()
	out := make([]typ, 0, len(reg.Names()))
	for _, name := range reg.Names() {
		t := typ{Name: name, Settings: []setting{}}
		if c, _ := reg.Get(name); c.Settings != nil {
			for _, f := range c.Settings.Fields() {
				t.Settings = append(t.Settings, setting{Name: f.Name, Kind: string(f.Kind), Description: f.Description})
			}
		}
		out = append(out, t)
	}
	writeJSON(w, http.StatusOK, map[string]any{"types": out})
}
