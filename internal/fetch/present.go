package fetch

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
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
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	// What a presenter writes depends only on the type, the path, the
	// stored bytes and the address: the last rendering of a hot document
	// (an npm packument, asked for by every install) is served again
	// from memory instead of being rewritten per request.
	key := "present\x00" + typ + "\x00" + obj.Path + "\x00" + obj.SHA256 + "\x00" + self
	if data, ok := e.small.get(key); ok {
		h.Set("Content-Length", strconv.Itoa(len(data)))
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			w.Write(data)
		}
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
	keep := &keepWriter{w: w, max: e.small.max / 8}
	if err := p.Present(obj.Path, self, rc, keep); err != nil {
		e.Log.Error("presenting a stored document failed", "remote", obj.Remote, "path", obj.Path, "err", err)
		panic(http.ErrAbortHandler) // never a short 200
	}
	if !keep.over {
		e.small.put(key, keep.buf.Bytes())
	}
	return nil
}

// keepWriter passes writes on and keeps a copy while it stays under max
// (a document too large to keep in memory is rendered each time).
type keepWriter struct {
	w    io.Writer
	buf  bytes.Buffer
	max  int64
	over bool
}

func (k *keepWriter) Write(p []byte) (int, error) {
	if !k.over {
		if int64(k.buf.Len()+len(p)) > k.max {
			k.over = true
			k.buf = bytes.Buffer{}
		} else {
			k.buf.Write(p)
		}
	}
	return k.w.Write(p)
}
