package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/artifactapi/artifactapi/internal/meta"
)

type auditKey struct{}

// auditTarget names what a request changed when the URL does not (a
// create names it in the body).
func auditTarget(r *http.Request, name string) {
	if p, ok := r.Context().Value(auditKey{}).(*string); ok {
		*p = name
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// audited records every management change (anything but GET and HEAD):
// who, what, on what, with what result. Reads are not recorded.
func (a *API) audited(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		target := new(string)
		sw := &statusWriter{ResponseWriter: w}
		r = r.WithContext(context.WithValue(r.Context(), auditKey{}, target))
		next.ServeHTTP(sw, r)
		if t := r.PathValue("name"); t != "" && *target == "" {
			*target = t
		}
		e := meta.AuditEntry{Time: time.Now().UTC(), Actor: "admin", Action: r.Method + " " + r.URL.Path, Target: *target,
			Status: sw.status, Client: r.RemoteAddr}
		if err := a.Store.AppendAudit(context.WithoutCancel(r.Context()), e); err != nil {
			a.Log.Error("audit entry not written", "action", e.Action, "err", err)
		}
	})
}

// listAudit pages the audit log, newest first.
func (a *API) listAudit(w http.ResponseWriter, r *http.Request) {
	limit, before := 100, int64(0)
	if v := r.URL.Query().Get("limit"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 1 && n <= 1000 {
			limit = n
		}
	}
	if v := r.URL.Query().Get("before"); v != "" {
		before, _ = strconv.ParseInt(v, 10, 64)
	}
	es, err := a.Store.ListAudit(r.Context(), before, limit)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := map[string]any{"entries": es}
	if len(es) == limit {
		out["next_before"] = es[len(es)-1].ID
	}
	writeJSON(w, http.StatusOK, out)
}
