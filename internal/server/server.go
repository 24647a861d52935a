package server

import (
	"net/http"
	"strings"
	"sync"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/fetch"
	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/metrics"
	"github.com/artifactapi/artifactapi/internal/registry"
)

// AccessLog takes one row per proxied request.
type AccessLog interface{ Access(meta.Access) }

// Server routes every request.
type Server struct {
	reg     *registry.Registry
	engine  *fetch.Engine
	api     http.Handler
	metrics *metrics.Metrics
	rec     AccessLog
	version string
	// publicURL is PUBLIC_URL: how clients reach this server, for types
	// that write absolute URLs into what they serve ("" = from the request).
	publicURL string
	// dockerOwners remembers which member of a docker virtual served a
	// repository's manifest, so its blobs come from the same member (per
	// replica; another replica finds them by member order).
	dockerOwners sync.Map
}

// Handler returns the root handler. Proxy paths are validated before the
// mux sees them, because the mux would answer ".." with a redirect.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/v2/", s.api)
	mux.Handle("GET /metrics", s.metrics.Handler())
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		writeText(w, "ArtifactAPI "+s.version+"\nproxy: /api/v1/remote/{name}/{path}, /api/v1/virtual/{name}/{path}, docker: /v2/{name}/...\nmanagement: /api/v2 (Bearer token)\n")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		apierr.WriteJSON(w, apierr.New(apierr.ErrNotFound, "no such endpoint: %s", r.URL.Path))
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case strings.HasPrefix(p, "/api/v1/remote/"):
			s.serveRemote(w, r)
		case strings.HasPrefix(p, "/api/v1/virtual/"):
			s.serveVirtual(w, r)
		case p == "/v2" || strings.HasPrefix(p, "/v2/"):
			s.serveDocker(w, r)
		default:
			mux.ServeHTTP(w, r)
		}
	})
}

func writeText(w http.ResponseWriter, s string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte(s))
}
