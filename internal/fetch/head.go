package fetch

import (
	"net/http"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/format"
)

// headMiss answers a HEAD of an uncached artifact from an upstream HEAD:
// a client asking whether something exists (or how large it is) must not
// make the proxy download and store it. An upstream that does not do HEAD
// (405, 501) gets the usual fill.
func (e *Engine) headMiss(w http.ResponseWriter, r *http.Request, c cacheState, path, self string) (format.Outcome, error) {
	ctx, rem := r.Context(), c.rem
	if _, err := e.State.Get(ctx, negKey(rem.Name, path)); err == nil {
		w.Header().Set("X-Cache", string(format.Hit))
		return format.Hit, errRemembered(rem.Name, path)
	}
	if _, _, err := e.published(ctx, rem, path, c.class); err != nil {
		return format.Bypass, err // an _ext path no index lists
	}
	if e.Breaker.Open(ctx, rem.Name) {
		return format.Bypass, apierr.New(apierr.ErrUnavailable, "%s: upstream circuit open after repeated failures", rem.Name)
	}
	req, client, err := e.upstreamRequest(ctx, http.MethodHead, rem, path)
	if err != nil {
		return format.Bypass, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return format.Miss, upstreamErr(rem.Name, err)
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusMethodNotAllowed, http.StatusNotImplemented:
		return e.fetch(w, r, c, path, self)
	case http.StatusNotFound, http.StatusGone:
		w.Header().Set("X-Cache", string(format.Miss))
		return format.Miss, apierr.New(apierr.ErrNotFound, "%s: %s not found upstream (%d)", rem.Name, path, resp.StatusCode)
	default:
		return format.Miss, statusErr(rem.Name, resp)
	}
	missHeaders(w.Header(), keepHeaders(resp.Header), resp.ContentLength)
	w.WriteHeader(http.StatusOK)
	return format.Miss, nil
}
