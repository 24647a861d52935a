// Package webui serves the web UI built from ui/ (make build writes it
// into dist/ and go:embed puts it into the binary).
package webui

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed all:dist
var dist embed.FS

// Prefix is where the UI's assets are served (vite's base).
const Prefix = "/ui/"

// Built reports whether this binary carries a built UI (a plain go build
// without make build does not).
func Built() bool {
	_, err := fs.Stat(dist, "dist/index.html")
	return err == nil
}

// security keeps the UI to its own origin: scripts and data from here only.
func security(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

// Index serves the UI's page. It changes with every build, so browsers
// revalidate it; the assets it names carry content hashes.
func Index(w http.ResponseWriter, r *http.Request) {
	b, err := dist.ReadFile("dist/index.html")
	if err != nil {
		http.Error(w, "the web UI is not built into this binary: run make build", http.StatusNotFound)
		return
	}
	security(w.Header())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(b)
}

// Assets serves the built files under Prefix.
func Assets() http.Handler {
	sub, _ := fs.Sub(dist, "dist")
	files := http.StripPrefix(strings.TrimSuffix(Prefix, "/"), http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		security(w.Header())
		if strings.HasPrefix(r.URL.Path, Prefix+"assets/") {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		}
		if strings.HasSuffix(r.URL.Path, "/") || strings.Contains(r.URL.Path, "/.") {
			http.NotFound(w, r) // no listings, no dotfiles
			return
		}
		files.ServeHTTP(w, r)
	})
}
