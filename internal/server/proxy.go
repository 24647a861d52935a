// Package server wires the backends, the fetch engine and the APIs into one
// HTTP handler.
package server

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/registry"
)

const maxPathLen = 2048

// cleanPath checks an artifact path before anything else sees it: traversal,
// NUL bytes, empty segments and over-long paths are 400, never an upstream
// request.
func cleanPath(p string) (string, error) {
	switch {
	case p == "":
		return "", apierr.New(apierr.ErrInvalid, "empty artifact path")
	case len(p) > maxPathLen:
		return "", apierr.New(apierr.ErrInvalid, "path longer than %d bytes", maxPathLen)
	case strings.ContainsAny(p, "\x00\\"):
		return "", apierr.New(apierr.ErrInvalid, "path contains a NUL byte or backslash")
	}
	// A trailing slash is a directory-style URL (a PyPI project page), not
	// an empty segment.
	for _, seg := range strings.Split(strings.TrimSuffix(p, "/"), "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", apierr.New(apierr.ErrInvalid, "path has an empty, '.' or '..' segment")
		}
	}
	for _, c := range p {
		if c < 0x20 || c == 0x7f {
			return "", apierr.New(apierr.ErrInvalid, "path contains a control character")
		}
	}
	return p, nil
}

// splitProxyPath splits "/api/v1/remote/{name}/{path...}" after the prefix.
func splitProxyPath(urlPath, prefix string) (name, path string, err error) {
	rest := strings.TrimPrefix(urlPath, prefix)
	name, path, _ = strings.Cut(rest, "/")
	if err := registry.ValidName(name); err != nil {
		return "", "", err
	}
	path, err = cleanPath(path)
	return name, path, err
}

// basicChallenge is what a pull without a token is answered with: every
// package client answers Basic with its configured credentials.
const basicChallenge = `Basic realm="artifactapi"`

func plainErr(w http.ResponseWriter, _ *http.Request, err error) { apierr.WriteJSON(w, err) }

// proxy is what every proxy route shares: path checks, the access record,
// the read-only method rule and one place that writes the error (fail, in
// the route's protocol form).
func (s *Server) proxy(w http.ResponseWriter, r *http.Request, prefix string, fail format.ErrorWriter,
	serve func(rec *respRecorder, name, path string) error) {
	name, path, err := splitProxyPath(r.URL.Path, prefix)
	rec := s.record(w, r, name, path)
	defer rec.done()
	if err == nil {
		err = s.methodOK(r)
	}
	if err == nil && s.reg.AuthRequired(name) {
		if err = s.pull.Allow(r.Context(), r, name); apierr.Status(err) == http.StatusUnauthorized {
			rec.Header().Set("WWW-Authenticate", basicChallenge)
		}
	}
	if err == nil {
		err = serve(rec, name, path)
	}
	if err != nil {
		fail(rec, r, err)
	}
}

func (s *Server) serveRemote(w http.ResponseWriter, r *http.Request) {
	s.proxy(w, r, "/api/v1/remote/", plainErr, func(rec *respRecorder, name, path string) error {
		rem, ok := s.reg.Remote(name)
		if !ok {
			rec.remote = "" // unknown names stay out of metric labels
			return apierr.New(apierr.ErrNotFound, "remote %q not found", name)
		}
		return s.serveFrom(rec, r, rem, path)
	})
}

// serveFrom asks the engine for path on rem, in the representation the
// client asked for, knowing the address the client reaches rem by.
func (s *Server) serveFrom(rec *respRecorder, r *http.Request, rem *registry.Remote, path string) error {
	if n := rem.Type.Negotiator; n != nil {
		if v := n.Variant(path, r); v != path {
			path = v
			rec.Header().Add("Vary", "Accept")
		}
	}
	o, err := s.engine.Serve(rec, r, rem, path, s.base(r)+"/api/v1/remote/"+rem.Name)
	rec.outcome = o
	return err
}

// base is PUBLIC_URL, or the scheme and host this request came in on.
func (s *Server) base(r *http.Request) string {
	if s.publicURL != "" {
		return s.publicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	return scheme + "://" + r.Host
}

func (s *Server) methodOK(r *http.Request) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return apierr.New(apierr.ErrInvalid, "method %s not allowed: the proxy is read-only", r.Method)
	}
	return nil
}

// respRecorder captures status and bytes for the traffic record and metrics while
// keeping the writer's Flush and sendfile (ReadFrom) paths.
type respRecorder struct {
	http.ResponseWriter
	s       *Server
	r       *http.Request
	remote  string
	path    string
	outcome format.Outcome
	status  int
	bytes   int64
	start   time.Time
}

func (s *Server) record(w http.ResponseWriter, r *http.Request, remote, path string) *respRecorder {
	return &respRecorder{ResponseWriter: w, s: s, r: r, remote: remote, path: path, start: time.Now()}
}

// Attribute implements format.Exchange.
func (w *respRecorder) Attribute(remote, path string) { w.remote, w.path = remote, path }

// Answered implements format.Exchange.
func (w *respRecorder) Answered(o format.Outcome) { w.outcome = o }

func (w *respRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *respRecorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// ReadFrom lets http.ServeContent use sendfile through the wrapper.
func (w *respRecorder) ReadFrom(src io.Reader) (int64, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	rf, ok := w.ResponseWriter.(io.ReaderFrom)
	if !ok {
		return io.Copy(struct{ io.Writer }{w}, src)
	}
	n, err := rf.ReadFrom(src)
	w.bytes += n
	return n, err
}

func (w *respRecorder) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *respRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// done logs the request; deferred, so it also runs when the handler aborts
// the connection (the abort panic continues after it).
func (w *respRecorder) done() {
	status := w.status
	if p := recover(); p != nil {
		if errors.Is(asErr(p), http.ErrAbortHandler) {
			status = 499 // aborted mid-body
		}
		defer panic(p)
	}
	cache := string(w.outcome)
	if cache == "" {
		cache = string(format.Bypass)
	}
	w.s.metrics.Requests.WithLabelValues(w.remote, cache, statusClass(status)).Inc()
	w.s.metrics.BytesServed.WithLabelValues(w.remote).Add(float64(w.bytes))
	w.s.rec.Access(meta.Access{Time: w.start, Remote: w.remote, Path: w.path, Method: w.r.Method, Status: status,
		Cache: cache, Bytes: w.bytes, Duration: time.Since(w.start), Client: w.r.RemoteAddr})
}

func asErr(p any) error {
	if err, ok := p.(error); ok {
		return err
	}
	return nil
}

// statusClasses are the metric's labels, made once rather than per request.
var statusClasses = [...]string{"0xx", "1xx", "2xx", "3xx", "4xx", "5xx"}

func statusClass(code int) string {
	if code == 0 {
		code = 200
	}
	if c := code / 100; c >= 0 && c < len(statusClasses) {
		return statusClasses[c]
	}
	return strconv.Itoa(code/100) + "xx"
}
