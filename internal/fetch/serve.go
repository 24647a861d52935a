package fetch

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/blob"
	"github.com/artifactapi/artifactapi/internal/events"
	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/registry"
)

// serveObject serves a committed object with Range, HEAD and conditional
// request support.
func (e *Engine) serveObject(w http.ResponseWriter, r *http.Request, rem *registry.Remote, obj meta.Object, cache format.Outcome, self string) error {
	if filtered(rem, obj.Path) {
		return e.serveFiltered(w, r, rem, obj, cache, self)
	}
	// Only an index is presented or gzipped: one classification, made
	// only when either could apply, serves both.
	p := rem.Type.Presenter
	if p != nil || compressible(obj) {
		if c, err := rem.Type.Classify(obj.Path); err == nil && c.Kind == format.Index {
			if p != nil {
				return e.present(w, r, rem.Type.Name(), obj, cache, p, self)
			}
			if e.serveGzipDocument(w, r, obj, cache) {
				return nil
			}
		}
	}
	if obj.Size <= smallObject {
		if data, ok := e.small.get(obj.SHA256); ok {
			e.objectHeaders(w, obj, cache)
			serveBytes(w, r, obj, data)
			return nil
		}
	}
	rc, _, err := blob.OpenSized(r.Context(), e.Blobs, obj.SHA256, obj.Size)
	if err != nil {
		return e.openFailed(r, obj, err)
	}
	defer rc.Close()
	if obj.Size <= smallObject {
		// Small objects are kept in memory and go out in one write with
		// their headers: a file open, sendfile and close would cost more
		// than the bytes.
		data := make([]byte, obj.Size)
		if _, err := io.ReadFull(rc, data); err != nil {
			e.Log.Error("blob read failed", "sha256", obj.SHA256, "err", err)
			return apierr.New(apierr.ErrUnavailable, "blob store read failed")
		}
		e.small.put(obj.SHA256, data)
		e.objectHeaders(w, obj, cache)
		serveBytes(w, r, obj, data)
		return nil
	}
	e.objectHeaders(w, obj, cache)
	if unconditional(r) {
		wholeHeaders(w, obj)
		if r.Method != http.MethodHead {
			// An *os.File under a LimitedReader still goes out by sendfile.
			io.CopyN(w, rc, obj.Size)
		}
		return nil
	}
	http.ServeContent(w, r, "", modTime(obj), rc)
	return nil
}

// serveBytes serves a body held in memory. It writes data itself rather
// than share the file path's copy: a bytes.Reader behind an interface
// cost two more allocations on every small hit.
func serveBytes(w http.ResponseWriter, r *http.Request, obj meta.Object, data []byte) {
	if !unconditional(r) {
		http.ServeContent(writeOnly{w}, r, "", modTime(obj), bytes.NewReader(data))
		return
	}
	wholeHeaders(w, obj)
	if r.Method != http.MethodHead {
		w.Write(data)
	}
}

// unconditional reports whether r asks for the whole body without
// conditions, as nearly every package client does. Such a request is
// answered without http.ServeContent, which finds the size by seeking
// (two system calls on a file) and copies a small body through a buffer
// it allocates.
func unconditional(r *http.Request) bool {
	for k := range r.Header {
		if k == "Range" || strings.HasPrefix(k, "If-") {
			return false
		}
	}
	return true
}

// wholeHeaders are the headers http.ServeContent would send with a 200.
func wholeHeaders(w http.ResponseWriter, obj meta.Object) {
	h := w.Header()
	h["Accept-Ranges"] = valBytes
	lastModified(h, obj)
	h["Content-Length"] = []string{strconv.FormatInt(obj.Size, 10)}
	w.WriteHeader(http.StatusOK)
}

// lastModified sends the upstream's Last-Modified, or when obj was fetched.
func lastModified(h http.Header, obj meta.Object) {
	if lm := obj.LastModified; len(lm) == len(http.TimeFormat) && strings.HasSuffix(lm, " GMT") {
		// Stored in this form by the fill (httpDate): parsing and
		// formatting it again was 3% of a small hit's CPU.
		h["Last-Modified"] = []string{lm}
	} else if t := modTime(obj); !t.IsZero() {
		h.Set("Last-Modified", t.UTC().Format(http.TimeFormat))
	}
}

// openFailed is the answer when a committed object's blob cannot be
// opened. A row that outlived its blob (an eviction raced a fill) is
// dropped so the caller fills again rather than fail the client.
func (e *Engine) openFailed(r *http.Request, obj meta.Object, err error) error {
	if errors.Is(err, blob.ErrNotFound) {
		e.Log.Warn("cached row had no blob; refetching", "remote", obj.Remote, "path", obj.Path)
		e.rows.drop(cacheKey(obj.Remote, obj.Path))
		e.Objects.DeleteObjects(r.Context(), obj.Remote, obj.Path, "")
		return ErrBlobMissing
	}
	e.Log.Error("blob open failed", "sha256", obj.SHA256, "err", err)
	return apierr.New(apierr.ErrUnavailable, "blob store unavailable")
}

// setContentType sends the stored type, or octet-stream when the upstream
// named none.
func setContentType(h http.Header, obj meta.Object) {
	if obj.ContentType == "" {
		h["Content-Type"] = valOctet
	} else {
		h.Set("Content-Type", obj.ContentType)
	}
}

// Header values every hit sends, built once: Header.Set allocates a
// slice per value, a quarter of a small hit's allocations. Each has
// capacity 1, so an Add to the same key copies it instead of writing
// into it.
var (
	valBytes       = []string{"bytes"}
	valCache       = []string{"cache"}
	valOctet       = []string{"application/octet-stream"}
	valHit         = []string{string(format.Hit)}
	valMiss        = []string{string(format.Miss)}
	valStale       = []string{string(format.Stale)}
	valRevalidated = []string{string(format.Revalidated)}
)

func outcomeValue(o format.Outcome) []string {
	switch o {
	case format.Hit:
		return valHit
	case format.Miss:
		return valMiss
	case format.Stale:
		return valStale
	case format.Revalidated:
		return valRevalidated
	}
	return []string{string(o)}
}

func (e *Engine) objectHeaders(w http.ResponseWriter, obj meta.Object, cache format.Outcome) {
	h := w.Header()
	// One array holds this object's values, each header a capacity-1
	// slice of it (so an Add copies): Header.Set made a slice apiece.
	v := make([]string, 2, 3)
	v[0], v[1] = `"sha256:`+obj.SHA256+`"`, obj.SHA256
	h["Etag"], h["X-Checksum-Sha256"] = v[0:1:1], v[1:2:2]
	if obj.ContentType == "" {
		h["Content-Type"] = valOctet
	} else {
		v = append(v, obj.ContentType)
		h["Content-Type"] = v[2:3:3]
	}
	h["X-Cache"] = outcomeValue(cache)
	h["X-Artifact-Source"] = valCache
	if cache == format.Hit && e.Events != nil {
		e.Events.Publish(events.Event{Type: events.Hit, Remote: obj.Remote, Path: obj.Path, Size: obj.Size})
	}
}

// httpDate is an upstream's Last-Modified in http.TimeFormat, or "" when
// it is no date.
func httpDate(s string) string {
	if s == "" {
		return "" // the parse of nothing made three errors
	}
	t, err := http.ParseTime(s)
	if err != nil {
		return ""
	}
	return t.UTC().Format(http.TimeFormat)
}

// modTime is the upstream's Last-Modified, or when the object was fetched.
func modTime(obj meta.Object) time.Time {
	if obj.LastModified == "" {
		// Many upstreams send none: a failed parse allocated its error
		// on every hit.
		return obj.FetchedAt
	}
	if t, err := http.ParseTime(obj.LastModified); err == nil {
		return t
	}
	return obj.FetchedAt
}

// smallObject is the size up to which a hit is served from memory
// (Options.MemoryCache says how much memory those objects may take). It
// covers the index documents clients ask for on every run (a PyPI page
// of 300 files is 50 KB, a helm index 100 KB): served from a file, each
// hit paid an open, a read of the first 512 bytes net/http sniffs, a
// write, a sendfile and a close.
const smallObject = 256 << 10

// writeOnly hides the writer's ReadFrom so small bodies are buffered and
// written with the headers.
type writeOnly struct{ http.ResponseWriter }

func (w writeOnly) Write(p []byte) (int, error) { return w.ResponseWriter.Write(p) }
