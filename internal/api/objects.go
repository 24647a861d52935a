package api

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"time"

	"github.com/artifactapi/artifactapi/internal/apierr"
)

type objectView struct {
	Path       string     `json:"path"`
	SHA256     string     `json:"sha256"`
	Size       int64      `json:"size"`
	Mutable    bool       `json:"mutable"`
	FetchedAt  time.Time  `json:"fetched_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastAccess time.Time  `json:"last_access"`
	Hits       int64      `json:"hits"`
}

func (a *API) requireRemote(w http.ResponseWriter, r *http.Request) (string, bool) {
	name := r.PathValue("name")
	if _, err := a.Store.GetRemote(r.Context(), name); err != nil {
		a.fail(w, r, notFoundAs(err, "remote", name))
		return "", false
	}
	return name, true
}

func (a *API) listObjects(w http.ResponseWriter, r *http.Request) {
	name, ok := a.requireRemote(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	limit := 100
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			a.fail(w, r, apierr.New(apierr.ErrInvalid, "limit must be 1..1000, got %q", s))
			return
		}
		limit = n
	}
	after := ""
	if c := q.Get("cursor"); c != "" {
		b, err := base64.RawURLEncoding.DecodeString(c)
		if err != nil {
			a.fail(w, r, apierr.New(apierr.ErrInvalid, "malformed cursor"))
			return
		}
		after = string(b)
	}
	// A download that just finished is listed, though its fill may still
	// be storing it.
	a.Engine.Settle(r.Context(), name, q.Get("prefix"))
	objs, err := a.Store.ListObjects(r.Context(), name, q.Get("prefix"), after, limit+1)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	next := ""
	if len(objs) > limit {
		objs = objs[:limit]
		next = base64.RawURLEncoding.EncodeToString([]byte(objs[limit-1].Path))
	}
	out := make([]objectView, 0, len(objs))
	for _, o := range objs {
		v := objectView{Path: o.Path, SHA256: o.SHA256, Size: o.Size, Mutable: o.Mutable, FetchedAt: o.FetchedAt,
			LastAccess: o.LastAccess, Hits: o.Hits}
		if !o.ExpiresAt.IsZero() {
			v.ExpiresAt = &o.ExpiresAt
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"objects": out, "next_cursor": next})
}

func (a *API) evictObjects(w http.ResponseWriter, r *http.Request) {
	name, ok := a.requireRemote(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	path, prefix := q.Get("path"), q.Get("prefix")
	if q.Has("path") && path == "" {
		a.fail(w, r, apierr.New(apierr.ErrInvalid, "path must not be empty; omit it to evict everything"))
		return
	}
	if path != "" && prefix != "" {
		a.fail(w, r, apierr.New(apierr.ErrInvalid, "give path or prefix, not both"))
		return
	}
	n, err := a.Engine.Evict(r.Context(), name, path, prefix)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"evicted": n})
}
