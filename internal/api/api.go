// Package api is the management API under /api/v2.
package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/events"
	"github.com/artifactapi/artifactapi/internal/fetch"
	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/pullauth"
	"github.com/artifactapi/artifactapi/internal/registry"
)

// Engine is the part of the fetch engine the API drives.
type Engine interface {
	Evict(ctx context.Context, remote, path, prefix string) (int, error)
	// Settle waits for the fills of remote under prefix that are storing
	// bytes their clients already have.
	Settle(ctx context.Context, remote, prefix string)
	Probe(ctx context.Context, rem *registry.Remote, path string) (fetch.ProbeResult, error)
}

// Check is one named health check.
type Check struct {
	Name    string
	Backend string
	Fn      func(ctx context.Context) error
	// Degrades: a failure makes the service degraded (200) rather than
	// down (503), because it still serves.
	Degrades bool
}

// API serves /api/v2.
type API struct {
	Store    meta.Store
	Registry *registry.Registry
	Engine   Engine
	Events   *events.Bus
	Checks   []Check
	Token    string
	Log      *slog.Logger
	// Pull is told when a pull token is revoked.
	Pull *pullauth.Checker
	// Storage describes the cache's bounds for /api/v2/stats.
	Storage func() Storage
	// Closing is closed when the server starts shutting down: event
	// streams end then, or a graceful shutdown would wait on them.
	Closing <-chan struct{}
	// Upstream tells what the proxy knows of a remote's upstream.
	Upstream func(ctx context.Context, remote string) UpstreamHealth
	// Warm runs warming jobs.
	Warm Warmer
}

// UpstreamHealth is a remote's circuit and its last failed fill.
type UpstreamHealth struct {
	Circuit   string               `json:"circuit"` // "closed" or "open"
	LastError *fetch.UpstreamError `json:"last_error,omitempty"`
	// Budget is the upstream's rate limit as it last said, while current.
	Budget *fetch.Budget `json:"budget,omitempty"`
	// BudgetLow: stale copies are served instead of revalidated.
	BudgetLow bool `json:"budget_low,omitempty"`
}

// Storage is the cache's bounds and what keeping them did.
type Storage struct {
	MaxSize        int64 `json:"max_size"`
	MinFree        int64 `json:"min_free"`
	FreeBytes      int64 `json:"free_bytes"`
	Evicted        int64 `json:"evicted"`
	OrphansRemoved int64 `json:"orphaned_blobs_removed"`
}

// Handler returns the routes; everything but health requires the token.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v2/health", a.health)
	auth := http.NewServeMux()
	auth.HandleFunc("GET /api/v2/remotes", a.listRemotes)
	auth.HandleFunc("POST /api/v2/remotes", a.createRemote)
	auth.HandleFunc("GET /api/v2/remotes/{name}", a.getRemote)
	auth.HandleFunc("PUT /api/v2/remotes/{name}", a.putRemote)
	auth.HandleFunc("DELETE /api/v2/remotes/{name}", a.deleteRemote)
	auth.HandleFunc("GET /api/v2/remotes/{name}/objects", a.listObjects)
	auth.HandleFunc("DELETE /api/v2/remotes/{name}/objects", a.evictObjects)
	auth.HandleFunc("GET /api/v2/virtuals", a.listVirtuals)
	auth.HandleFunc("POST /api/v2/virtuals", a.createVirtual)
	auth.HandleFunc("GET /api/v2/virtuals/{name}", a.getVirtual)
	auth.HandleFunc("PUT /api/v2/virtuals/{name}", a.putVirtual)
	auth.HandleFunc("DELETE /api/v2/virtuals/{name}", a.deleteVirtual)
	auth.HandleFunc("GET /api/v2/stats", a.stats)
	auth.HandleFunc("GET /api/v2/stats/series", a.series)
	auth.HandleFunc("GET /api/v2/types", a.types)
	auth.HandleFunc("POST /api/v2/probe", a.probe)
	auth.HandleFunc("POST /api/v2/warm", a.startWarm)
	auth.HandleFunc("GET /api/v2/warm/{id}", a.getWarm)
	auth.HandleFunc("GET /api/v2/events", a.events)
	auth.HandleFunc("GET /api/v2/tokens", a.listTokens)
	auth.HandleFunc("POST /api/v2/tokens", a.createToken)
	auth.HandleFunc("DELETE /api/v2/tokens/{name}", a.deleteToken)
	auth.HandleFunc("GET /api/v2/audit", a.listAudit)
	auth.HandleFunc("/api/v2/", func(w http.ResponseWriter, r *http.Request) {
		apierr.WriteJSON(w, apierr.New(apierr.ErrNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
	})
	mux.Handle("/api/v2/", a.RequireToken(a.audited(auth)))
	return mux
}

// RequireToken lets through requests that carry the admin token.
func (a *API) RequireToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.IsAdmin(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="artifactapi"`)
			apierr.WriteJSON(w, apierr.New(apierr.ErrUnauthorized, "missing or wrong bearer token"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// IsAdmin reports whether r carries the admin token ("Bearer", in any
// case, as RFC 9110 makes auth schemes case-insensitive).
func (a *API) IsAdmin(r *http.Request) bool {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return false
	}
	// Hash both sides so the comparison is constant-time whatever the
	// length of what the client sent.
	got, want := sha256.Sum256([]byte(strings.TrimSpace(tok))), sha256.Sum256([]byte(a.Token))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	if apierr.Status(err) >= 500 {
		a.Log.Error("api error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	apierr.WriteJSON(w, err)
}

// decode reads a JSON body strictly: unknown fields are an error, so a
// typo does not silently drop a setting.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return apierr.New(apierr.ErrInvalid, "invalid JSON body: %v", err)
	}
	if dec.More() {
		return apierr.New(apierr.ErrInvalid, "invalid JSON body: trailing data")
	}
	return nil
}

func notFoundAs(err error, what, name string) error {
	if errors.Is(err, meta.ErrNotFound) {
		return apierr.New(apierr.ErrNotFound, "%s %q not found", what, name)
	}
	return err
}

func conflictAs(err error, what, name string) error {
	if errors.Is(err, meta.ErrExists) {
		return apierr.New(apierr.ErrConflict, "%s %q already exists", what, name)
	}
	return err
}
