package server

import (
	"context"
	"io"
	"net/http"

	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/registry"
)

// host is the engine as one package type's front end sees it
// (format.Host): only that type's remotes and virtuals exist for it. The
// remotes and exchanges it is handed back are the ones it gave out.
type host struct {
	s   *Server
	typ string
}

func (h *host) Proxy(w http.ResponseWriter, r *http.Request, prefix string, fail format.ErrorWriter, serve func(format.Exchange, string, string) error) {
	h.s.proxy(w, r, prefix, fail, func(rec *respRecorder, name, path string) error { return serve(rec, name, path) })
}

func (h *host) Authenticate(w http.ResponseWriter, r *http.Request) error {
	if !h.s.reg.AnyAuthRequired(h.typ) {
		return nil
	}
	err := h.s.pull.Allow(r.Context(), r, "")
	if err != nil {
		w.Header().Set("WWW-Authenticate", basicChallenge)
	}
	return err
}

func (h *host) Remote(name string) (format.Remote, bool) {
	rem, ok := h.s.reg.Remote(name)
	if !ok || rem.PackageType != h.typ {
		return nil, false
	}
	return rem, true
}

func (h *host) Virtual(name string) ([]string, bool) {
	v, ok := h.s.reg.Virtual(name)
	if !ok || v.PackageType != h.typ {
		return nil, false
	}
	return v.Members, true
}

func (h *host) Serve(x format.Exchange, r *http.Request, rem format.Remote, path string) error {
	o, err := h.s.engine.Serve(x, r, rem.(*registry.Remote), path, h.s.base(r)+"/api/v1/remote/"+rem.RemoteName())
	x.Answered(o)
	return err
}

func (h *host) Ensure(ctx context.Context, rem format.Remote, path string) (meta.Object, format.Outcome, error) {
	return h.s.engine.Ensure(ctx, rem.(*registry.Remote), path)
}

func (h *host) Open(ctx context.Context, obj meta.Object) (io.ReadCloser, error) {
	return h.s.engine.OpenObject(ctx, obj)
}

func (h *host) ServeObject(x format.Exchange, r *http.Request, rem format.Remote, obj meta.Object, o format.Outcome) error {
	x.Answered(o)
	return h.s.engine.ServeObject(x, r, rem.(*registry.Remote), obj, o, h.s.base(r)+"/api/v1/remote/"+rem.RemoteName())
}

func (h *host) Upstream(ctx context.Context, method string, rem format.Remote, path, rawQuery string, hdr http.Header) (*http.Response, error) {
	return h.s.engine.Upstream(ctx, method, rem.(*registry.Remote), path, rawQuery, hdr)
}

func (h *host) FirstOf(x format.Exchange, virtual, path string, members []string, try func(format.Remote) error) error {
	return h.s.firstOf(x.(*respRecorder), virtual, path, members, func(rem *registry.Remote) error { return try(rem) })
}
