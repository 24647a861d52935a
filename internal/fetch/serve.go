package fetch

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/blob"
	"github.com/artifactapi/artifactapi/internal/events"
	"github.com/artifactapi/artifactapi/internal/meta"
)

// serveObject serves a committed object with Range, HEAD and conditional
// request support.
func (e *Engine) serveObject(w http.ResponseWriter, r *http.Request, obj meta.Object, cache string) error {
	if obj.Size <= smallObject {
		if data, ok := e.small.get(obj.SHA256); ok {
			e.objectHeaders(w, obj, cache)
			http.ServeContent(writeOnly{w}, r, "", modTime(obj), bytes.NewReader(data))
			return nil
		}
	}
	rc, _, err := e.Blobs.Open(r.Context(), obj.SHA256)
	if errors.Is(err, blob.ErrNotFound) {
		// The row outlived its blob (an eviction raced a fill): drop it
		// and fill again rather than fail the client.
		e.Log.Warn("cached row had no blob; refetching", "remote", obj.Remote, "path", obj.Path)
		e.rows.drop(cacheKey(obj.Remote, obj.Path))
		e.Objects.DeleteObjects(r.Context(), obj.Remote, obj.Path, "")
		return ErrBlobMissing
	}
	if err != nil {
		e.Log.Error("blob open failed", "sha256", obj.SHA256, "err", err)
		return apierr.New(apierr.ErrUnavailable, "blob store unavailable")
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
		http.ServeContent(writeOnly{w}, r, "", modTime(obj), bytes.NewReader(data))
		return nil
	}
	e.objectHeaders(w, obj, cache)
	http.ServeContent(w, r, "", modTime(obj), rc)
	return nil
}

func (e *Engine) objectHeaders(w http.ResponseWriter, obj meta.Object, cache string) {
	h := w.Header()
	ct := obj.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	h.Set("ETag", `"sha256:`+obj.SHA256+`"`)
	h.Set("X-Cache", cache)
	h.Set("X-Artifact-Source", "cache")
	h.Set("X-Checksum-Sha256", obj.SHA256)
	if cache == "HIT" && e.Events != nil {
		e.Events.Publish(events.Event{Type: events.Hit, Remote: obj.Remote, Path: obj.Path, Size: obj.Size})
	}
}

// modTime is the upstream's Last-Modified, or when the object was fetched.
func modTime(obj meta.Object) time.Time {
	if t, err := http.ParseTime(obj.LastModified); err == nil {
		return t
	}
	return obj.FetchedAt
}

// smallObject is the size up to which a hit is served from memory, and
// smallCacheSize how much memory those objects may take.
const (
	smallObject    = 32 << 10
	smallCacheSize = 16 << 20
)

// writeOnly hides the writer's ReadFrom so small bodies are buffered and
// written with the headers.
type writeOnly struct{ http.ResponseWriter }

func (w writeOnly) Write(p []byte) (int, error) { return w.ResponseWriter.Write(p) }
