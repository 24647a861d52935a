package fetch

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/meta"
)

// present serves a stored document through its type's Presenter: the
// bytes depend on the client's address, so the ETag does too, and the
// length is known only once sent.
func (e *Engine) present(w http.ResponseWriter, r *http.Request, obj meta.Object, cache format.Outcome, p format.Presenter, self string) error {
	self = strings.TrimSuffix(self, "/")
	sum := sha256.Sum256([]byte(self))
	etag := `"sha256:` + obj.SHA256 + "-" + hex.EncodeToString(sum[:4]) + `"`
	rc, _, err := e.Blobs.Open(r.Context(), obj.SHA256)
	if err != nil {
		return e.openFailed(r, obj, err)
	}
	defer rc.Close()
	h := w.Header()
	h.Set("Content-Type", contentType(obj))
	h.Set("ETag", etag)
	h.Set("X-Cache", string(cache))
	h.Set("X-Artifact-Source", "cache")
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	if err := p.Present(obj.Path, self, rc, w); err != nil {
		e.Log.Error("presenting a stored document failed", "remote", obj.Remote, "path", obj.Path, "err", err)
		panic(http.ErrAbortHandler) // never a short 200
	}
	return nil
}
