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
