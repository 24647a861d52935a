package server

import (
	"net/http"
	"strings"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/fetch"
	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/metrics"
	"github.com/artifactapi/artifactapi/internal/pullauth"
	"github.com/artifactapi/artifactapi/internal/registry"
	"github.com/artifactapi/artifactapi/internal/webui"
)

// AccessLog takes a record of each proxied request.
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
	// pull admits pulls from remotes and virtuals that require a token.
	pull *pullauth.Checker
	// metricsAuth guards /metrics (the admin token unless METRICS_PUBLIC).
	metricsAuth func(http.Handler) http.Handler
}

// typeRoute is a route a package type mounted (format.FrontEnd).
type typeRoute struct {
	format.Route
	typ string
}

func (t typeRoute) matches(p string) bool {
	return p == t.Prefix || p == strings.TrimSuffix(t.Prefix, "/") || strings.HasPrefix(p, t.Prefix)
}

// typeRoutes asks every type with a front end for its routes, each over a
// host that knows only that type's remotes and virtuals.
func (s *Server) typeRoutes() []typeRoute {
	var out []typeRoute
	types := s.reg.Types()
	for _, name := range types.Names() {
		t, _ := types.Get(name)
		if t.FrontEnd == nil {
			continue
		}
		for _, r := range t.FrontEnd.Routes(&host{s: s, typ: name}) {
			out = append(out, typeRoute{Route: r, typ: name})
		}
	}
	return out
}

// Handler returns the root handler. Proxy paths are validated before the
// mux sees them, because the mux would answer ".." with a redirect.
func (s *Server) Handler() http.Handler {
	routes := s.typeRoutes()
	banner := "ArtifactAPI " + s.version + "\nproxy: /api/v1/remote/{name}/{path}, /api/v1/virtual/{name}/{path}"
	for _, t := range routes {
		banner += ", " + t.typ + ": " + t.Prefix + "{name}/..."
	}
	banner += "\nmanagement: /api/v2 (Bearer token)\n"
	mux := http.NewServeMux()
	mux.Handle("/api/v2/", s.api)
	mux.Handle("GET /metrics", s.metricsAuth(s.metrics.Handler()))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		// Browsers get the web UI; curl and scripts the text banner.
		if webui.Built() && strings.Contains(r.Header.Get("Accept"), "text/html") {
			webui.Index(w, r)
			return
		}
		writeText(w, banner)
	})
	mux.Handle("GET "+webui.Prefix, webui.Assets())
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		apierr.WriteJSON(w, apierr.New(apierr.ErrNotFound, "no such endpoint: %s", r.URL.Path))
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case strings.HasPrefix(p, "/api/v1/remote/"):
			s.serveRemote(w, r)
		case strings.HasPrefix(p, "/api/v1/virtual/"):
			s.serveVirtual(w, r)
		default:
			for _, t := range routes {
				if t.matches(p) {
					t.Handler.ServeHTTP(w, r)
					return
				}
			}
			mux.ServeHTTP(w, r)
		}
	})
}

func writeText(w http.ResponseWriter, s string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte(s))
}
