package fetch

import (
	"context"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/registry"
)

// fetch attaches the request to the (possibly new) fill of path and answers
// from whatever it produces.
func (e *Engine) fetch(w http.ResponseWriter, r *http.Request, c cacheState, path, self string) (format.Outcome, error) {
	ctx := r.Context()
	rem, stale := c.rem, c.stale
	f, err := e.join(c, path, false)
	if err != nil {
		return format.Bypass, err
	}
	defer f.release()
	e.Metrics.Waiters.Inc()
	defer e.Metrics.Waiters.Dec()
	select {
	case <-f.ready:
	case <-ctx.Done():
		return format.Miss, ctx.Err()
	}
	switch f.outcome {
	case outcomeCached:
		return format.Hit, e.serveObject(w, r, rem, *f.obj, format.Hit, self)
	case outcomeRevalidated:
		return format.Revalidated, e.serveObject(w, r, rem, *f.obj, format.Revalidated, self)
	case outcomeNotFound:
		w.Header().Set("X-Cache", string(format.Miss))
		return format.Miss, apierr.New(apierr.ErrNotFound, "%s: %s not found upstream (%d)", rem.Name, path, f.status)
	case outcomeRemembered:
		w.Header().Set("X-Cache", string(format.Hit))
		return format.Hit, errRemembered(rem.Name, path)
	case outcomeError:
		if stale != nil {
			// The upstream is down or erroring: a stale copy beats an error.
			return format.Stale, e.serveObject(w, r, rem, *stale, format.Stale, self)
		}
		w.Header().Set("X-Cache", string(format.Miss))
		return format.Miss, f.err
	}
	// outcomeStream.
	whole := f.rewrite || filtered(rem, path) // served only as stored
	if r.Method == http.MethodHead && !whole {
		e.streamHeaders(w, f)
		w.WriteHeader(http.StatusOK)
		return format.Miss, nil
	}
	if r.Header.Get("Range") != "" || whole {
		// Never store or pass on a partial body: fill whole, then serve
		// the range from the committed object. A rewritten document is
		// only ever served as stored.
		select {
		case <-f.done:
		case <-ctx.Done():
			return format.Miss, ctx.Err()
		}
		if f.err != nil {
			return format.Miss, f.err
		}
		return format.Miss, e.serveObject(w, r, rem, *f.obj, format.Miss, self)
	}
	return format.Miss, e.streamBody(ctx, w, f)
}

func (e *Engine) streamHeaders(w http.ResponseWriter, f *fill) {
	missHeaders(w.Header(), f.header, f.size)
}

// missHeaders are the headers of an answer straight from the upstream:
// the upstream headers worth keeping, and its length when known.
func missHeaders(h, upstream http.Header, size int64) {
	for k, v := range upstream {
		h[k] = v
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/octet-stream")
	}
	if size >= 0 {
		h.Set("Content-Length", strconv.FormatInt(size, 10))
	}
	h.Set("X-Cache", string(format.Miss))
	h.Set("X-Artifact-Source", "remote")
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// streamBody sends the spool as it grows. The last byte is held back until
// the fill has verified the body, so a client never receives a whole body
// that turned out to be wrong; on failure before that the connection is
// aborted. A verified body goes out whole even if storing it then fails.
func (e *Engine) streamBody(ctx context.Context, w http.ResponseWriter, f *fill) error {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	flusher, _ := w.(http.Flusher)
	rc := http.NewResponseController(w)
	defer rc.SetWriteDeadline(time.Time{})
	// A body spooled in a file goes to this client by sendfile from a
	// descriptor of its own: from the page cache to the socket, not read
	// into this process and written out again (for a herd of 50 on one
	// large object, twice the copies of every byte it sends). Should the
	// spool be gone already (adopted by its store), it is read as before.
	var src *os.File
	if fs, ok := f.spool.(*fileSpool); ok {
		if rf, err := os.Open(fs.Name()); err == nil {
			defer rf.Close()
			src = rf
		}
	}
	var off int64
	started := false
	for {
		verified := f.isVerified()
		finished := f.isDone()
		written, progress := f.snapshot()
		if finished && f.err != nil && !verified {
			if !started {
				return f.err // nothing sent yet: a clean error response
			}
			e.Log.Warn("aborting client: fill failed mid-stream", "remote", f.rem.Name, "path", f.path, "sent", off)
			panic(http.ErrAbortHandler)
		}
		whole := verified || finished
		limit := written
		if !whole {
			limit-- // hold back the final byte until verified
		}
		if off < limit {
			if !started {
				e.streamHeaders(w, f)
				started = true
			}
			// A client that stops reading is let go after ClientIdle: it
			// must not hold its place in the fill (and the fill's spool)
			// forever.
			rc.SetWriteDeadline(time.Now().Add(e.opt.ClientIdle))
			n, err := e.sendSpool(w, f, src, buf, off, limit-off)
			off += n
			if err != nil {
				return nil // client went away; the fill goes on for the others
			}
			continue
		}
		if whole {
			if !started {
				e.streamHeaders(w, f)
				w.WriteHeader(http.StatusOK)
			}
			return nil
		}
		if started && flusher != nil {
			flusher.Flush()
		}
		select {
		case <-progress:
		case <-f.verified:
		case <-f.done:
		case <-ctx.Done():
			return nil
		}
	}
}

// sendSpool sends up to n bytes of f's spool from off: by sendfile from
// src, the client's own descriptor of the spool file, or else read into
// buf and written. An error is the client's (it went away); a spool that
// cannot be read aborts the connection, as does any failure of a body of
// unknown length, which ending the handler would end cleanly, short.
func (e *Engine) sendSpool(w io.Writer, f *fill, src *os.File, buf []byte, off, n int64) (int64, error) {
	if src != nil {
		sent, err := io.CopyN(w, src, n)
		if err != nil && f.size < 0 {
			panic(http.ErrAbortHandler)
		}
		return sent, err
	}
	m, err := f.spool.ReadAt(buf[:min(int64(len(buf)), n)], off)
	if m == 0 && err != nil {
		e.Log.Error("spool read failed", "err", err)
		panic(http.ErrAbortHandler)
	}
	if _, err := w.Write(buf[:m]); err != nil {
		return 0, err
	}
	return int64(m), nil
}

// Ensure returns the committed object for path: the cached row when fresh,
// otherwise after the (shared) fill finished, revalidating a stale copy and
// falling back to it when the upstream fails; and the outcome the answer
// deserves. Types whose clients need headers only known once the bytes are
// whole (a docker manifest's digest) use it instead of Serve.
func (e *Engine) Ensure(ctx context.Context, rem *registry.Remote, path string) (meta.Object, format.Outcome, error) {
	c, err := e.settled(ctx, rem, path)
	switch {
	case err != nil:
		return meta.Object{}, format.Bypass, err
	case c.hit != nil:
		return *c.hit, c.outcome(), nil
	}
	stale := c.stale
	f, err := e.join(c, path, false)
	if err != nil {
		return meta.Object{}, format.Bypass, err
	}
	defer f.release()
	select {
	case <-f.done:
	case <-ctx.Done():
		return meta.Object{}, format.Miss, ctx.Err()
	}
	switch {
	case f.outcome == outcomeNotFound:
		return meta.Object{}, format.Miss, apierr.New(apierr.ErrNotFound, "%s: %s not found upstream (%d)", rem.Name, path, f.status)
	case f.outcome == outcomeRemembered:
		return meta.Object{}, format.Hit, errRemembered(rem.Name, path)
	case f.err != nil && stale != nil:
		return *stale, format.Stale, nil
	case f.err != nil:
		return meta.Object{}, format.Miss, f.err
	case f.outcome == outcomeRevalidated:
		return *f.obj, format.Revalidated, nil
	case f.outcome == outcomeCached:
		return *f.obj, format.Hit, nil
	}
	return *f.obj, format.Miss, nil
}

// ServeObject answers r from a committed object (Range, HEAD, conditional
// requests), with the outcome cache; self as for Serve. ErrBlobMissing
// means the row had lost its blob and is now gone: Ensure again fills it
// anew.
func (e *Engine) ServeObject(w http.ResponseWriter, r *http.Request, rem *registry.Remote, obj meta.Object, cache format.Outcome, self string) error {
	return e.serveObject(w, r, rem, obj, cache, self)
}
