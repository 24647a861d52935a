package fetch

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/artifactapi/artifactapi/internal/blob"
	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/meta"
)

// present serves a stored document through its type's Presenter: the
// bytes depend on the client's address, so the ETag does too, and the
// length is known only once sent.
func (e *Engine) present(w http.ResponseWriter, r *http.Request, typ string, obj meta.Object, cache format.Outcome, p format.Presenter, self string) error {
	self = strings.TrimSuffix(self, "/")
	sum := sha256.Sum256([]byte(self))
	etag := `"sha256:` + obj.SHA256 + "-" + hex.EncodeToString(sum[:4]) + `"`
	h := w.Header()
	setContentType(h, obj)
	h.Set("ETag", etag)
	h.Set("X-Cache", string(cache))
	h.Set("X-Artifact-Source", "cache")
	// What a presenter writes depends only on the type, the path, the
	// stored bytes and the address: the last rendering of a hot document
	// (an npm packument, asked for by every install) is served again
	// instead of being rewritten per request, from memory or, when
	// too large for it, from a file by sendfile; so is its gzip copy.
	key := "present\x00" + typ + "\x00" + obj.Path + "\x00" + obj.SHA256 + "\x00" + self
	thenGzip := func() {}
	if compressible(obj) {
		varyEncoding(h)
		data, f, size, ok := e.gzipped(r, key)
		if ok {
			sendGzipped(w, r, etag, data, f, size)
			return nil
		}
		if earnsGzip(r, cache) {
			// Made from the identity rendering, once there is one.
			thenGzip = func() { e.gzipLater(key, obj.Size, e.keptSource(key)) }
		}
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	if data, f, size, ok := e.kept(key); ok {
		sendKept(w, r, data, f, size)
		thenGzip()
		return nil
	}
	rc, _, err := blob.OpenSized(r.Context(), e.Blobs, obj.SHA256, obj.Size)
	if err != nil {
		return e.openFailed(r, obj, err)
	}
	defer rc.Close()
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	keep := &renderTee{w: w, files: e.rendered, memMax: e.keptMemMax()}
	if err := p.Present(obj.Path, self, rc, keep); err != nil {
		keep.drop()
		e.Log.Error("presenting a stored document failed", "remote", obj.Remote, "path", obj.Path, "err", err)
		panic(http.ErrAbortHandler) // never a short 200
	}
	keep.finish(key, e.small)
	thenGzip()
	return nil
}
