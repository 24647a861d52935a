package fetch

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/blob"
	"github.com/artifactapi/artifactapi/internal/events"
	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/meta"
)

// stream copies the upstream body into the spool while waiters read it,
// then verifies and commits. Any failure removes the spool: nothing stored.
func (e *Engine) stream(ctx context.Context, f *fill, resp *http.Response, cancelIdle context.CancelCauseFunc) (err error) {
	body, err := decoded(f.rem.Name, f.path, resp)
	if err != nil {
		return err
	}
	sp, err := e.newSpool(resp.ContentLength)
	if err != nil {
		return err
	}
	defer sp.discard()
	f.mu.Lock() // the abandonment check reads size
	f.spool, f.size, f.header, f.outcome = sp, resp.ContentLength, keepHeaders(resp.Header), outcomeStream
	f.mu.Unlock()
	close(f.ready)
	e.Events.Publish(events.Event{Type: events.FetchStarted, Remote: f.rem.Name, Path: f.path, Size: f.size})

	idle := time.AfterFunc(e.opt.IdleTimeout, func() { cancelIdle(errIdle) })
	defer idle.Stop()
	h, err := blob.NewVerifier(e.expect(f, resp))
	if err != nil {
		return apierr.New(apierr.ErrUpstream, "%s: %s: %v", f.rem.Name, f.path, err)
	}
	report := progressReporter(e.Events, f)
	var got int64
	for {
		buf := sp.next()
		n, rerr := body.Read(buf)
		if n > 0 {
			idle.Reset(e.opt.IdleTimeout)
			if err := sp.keep(n); err != nil {
				// A failed spool write is this server's, not the upstream's.
				return fmt.Errorf("%s: %s: %w", f.rem.Name, f.path, err)
			}
			h.Write(buf[:n])
			f.advance(n)
			got += int64(n)
			report(got)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			if errors.Is(context.Cause(ctx), errAbandoned) {
				return errAbandoned
			}
			e.Breaker.Failure(ctx, f.rem.Name)
			if errors.Is(context.Cause(ctx), errIdle) {
				return apierr.New(apierr.ErrUpstreamTimeout, "%s: upstream sent nothing for %s", f.rem.Name, e.opt.IdleTimeout)
			}
			return apierr.New(apierr.ErrUpstream, "%s: upstream body failed after %d bytes: %v", f.rem.Name, got, rerr)
		}
	}
	idle.Stop()
	sp.copied()
	info, verr := h.Verify()
	e.Recorder.Fetched(f.rem.Name, info.Size)
	e.Metrics.BytesFetched.WithLabelValues(f.rem.Name).Add(float64(info.Size))
	if verr != nil {
		return apierr.New(apierr.ErrUpstream, "%s: refusing %s: %v", f.rem.Name, f.path, verr)
	}
	// When it was fetched (and, for LRU eviction, last used) is now, not
	// once it is stored: fills that follow one another keep their order.
	now := time.Now().UTC()
	if f.class.Kind == format.Artifact && e.storeSlot() {
		defer func() { <-e.storing }()
		// The clients may have the last byte now: what they got is what
		// every check expects. Storing it (fsyncs, rename, the row, an
		// S3 upload) is the cache's business, and was most of a cold
		// miss's latency. Indexes are still stored first: the next
		// request (an artifact they list) is checked against them.
		// Uncounted first: a client that has its last byte may ask for
		// the next miss at once, and must not find this fill counted
		// against MaxFills.
		e.mu.Lock()
		e.uncount(f)
		e.mu.Unlock()
		close(f.verified)
		// Let the clients take their last byte now. Woken by the close,
		// they would otherwise wait on this processor until the store
		// below (CPU only: a database commit, a rename) gave it up:
		// timed per stage on .info misses, the last byte went 70 to 100
		// µs after verification, and 20 µs with this.
		runtime.Gosched()
		// Bytes a client already has are stored even if every client
		// left or the server is shutting down (Engine.Close waits).
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), e.opt.FillTimeout)
		defer cancel()
	}
	stored := sp
	if f.rewrite {
		// No waiter reads a rewritten document's spool: the rewritten
		// copy is what is stored.
		rewritten, rinfo, err := e.rewrite(f.rem.Type.Rewriter, f, sp)
		if err != nil {
			return err
		}
		defer rewritten.Close()
		defer rewritten.discard()
		stored, info = rewritten, rinfo
	}
	mutable := f.class.Mutable
	obj := meta.Object{Remote: f.rem.Name, Path: f.path, SHA256: info.SHA256, Size: info.Size, Mutable: mutable,
		ContentType: resp.Header.Get("Content-Type"), ETag: resp.Header.Get("ETag"), LastModified: httpDate(resp.Header.Get("Last-Modified")),
		FetchedAt: now, ExpiresAt: f.rem.Expiry(mutable, now), LastAccess: now}
	data, err := e.commit(ctx, stored, info, obj)
	if err != nil {
		return err
	}
	if f.stale != nil {
		// Other replicas may hold the replaced row.
		e.invalidate(ctx, f.rem.Name, f.path, false)
	}
	e.rows.put(f.key, obj)
	if data != nil {
		// Over a large working set most objects are hit only a few
		// times: their first hit need not open the blob store.
		e.small.put(info.SHA256, data)
	}
	f.obj = &obj
	if f.stale != nil && f.stale.SHA256 != obj.SHA256 {
		// The new version replaced the row: the old bytes may now be
		// unreferenced.
		e.dropIfUnused(ctx, f.stale.SHA256)
	}
	e.Metrics.Fills.WithLabelValues(f.rem.Name, "ok").Inc()
	e.Events.Publish(events.Event{Type: events.FetchFinished, Remote: f.rem.Name, Path: f.path, Size: info.Size, SHA256: info.SHA256,
		DurationMS: time.Since(f.started).Milliseconds()})
	return nil
}

var errIdle = errors.New("upstream idle")

// storeSlot takes one of MaxFills places for a fill storing bytes its
// clients already have. With none left (the store is slower than the
// upstreams), the fill's clients wait for it to be stored, as before:
// the fills behind stay bounded, and so do their goroutines and spools.
func (e *Engine) storeSlot() bool {
	select {
	case e.storing <- struct{}{}:
		return true
	default:
		return false
	}
}

// copyBufs are the fills' read buffers: allocating 256 KiB for every fill
// of a 2 KB file was most of what a small miss allocated.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// gzipFormat reports whether a file's own format is gzip.
func gzipFormat(path string) bool {
	for _, ext := range []string{".gz", ".tgz", ".gzip", ".apk", ".crate", ".svgz"} {
		if strings.HasSuffix(strings.ToLower(path), ext) {
			return true
		}
	}
	return false
}

// decoded is the response body as the representation's bytes. The proxy
// asks for identity; an upstream that gzips anyway has its encoding
// removed (the stored object is what a client would get after decoding,
// and is served without the header), so the length is known only at the
// end. A file whose own format is gzip (.tgz, .gz) labelled so is a
// mislabel (servers and buckets do it): its bytes are the file, kept as
// they are, as the digests published for it expect. Another encoding
// cannot be undone here and is refused.
func decoded(remote, path string, resp *http.Response) (io.Reader, error) {
	enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding")))
	if (enc == "gzip" || enc == "x-gzip") && gzipFormat(path) {
		resp.Header.Del("Content-Encoding")
		return resp.Body, nil
	}
	switch enc {
	case "", "identity":
		return resp.Body, nil
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			return nil, apierr.New(apierr.ErrUpstream, "%s: upstream sent a broken gzip encoding: %v", remote, err)
		}
		resp.ContentLength = -1
		resp.Header.Del("Content-Length")
		return zr, nil
	default:
		return nil, apierr.New(apierr.ErrUpstream, "%s: upstream answered with Content-Encoding %q though asked for identity", remote, enc)
	}
}

// expect is everything the bytes must match: the upstream's length, a
// digest the protocol publishes for the path or in the response (docker),
// and what the remote's cached index lists (sha256, size, SRI, other
// digests, a type's own check).
func (e *Engine) expect(f *fill, resp *http.Response) blob.Expect {
	want := blob.Expect{Size: resp.ContentLength}
	if v := f.rem.Type.Verifier; v != nil {
		if pub, ok := v.Expect(f.path, resp.Header); ok {
			want = want.With(pub)
		}
	}
	if f.listed {
		want = want.With(f.published)
	}
	return want
}

// rewrite runs the type's rewrite of the verified upstream document into a
// new spool file, hashing what it writes.
func (e *Engine) rewrite(rw format.Rewriter, f *fill, src io.ReaderAt) (*fileSpool, blob.Info, error) {
	out, err := os.CreateTemp(e.opt.SpoolDir, "rewrite-*")
	if err != nil {
		return nil, blob.Info{}, fmt.Errorf("spool: %w", err)
	}
	h := blob.NewHasher()
	if err := rw.Rewrite(f.path, f.rem.Base, io.NewSectionReader(src, 0, 1<<62), io.MultiWriter(out, h)); err != nil {
		out.Close()
		os.Remove(out.Name())
		return nil, blob.Info{}, apierr.New(apierr.ErrUpstream, "%s: cannot rewrite %s: %v", f.rem.Name, f.path, err)
	}
	return &fileSpool{File: out}, h.Info(), nil
}

func (e *Engine) commitBlob(ctx context.Context, spool *os.File, info blob.Info) error {
	if e.adopter != nil {
		return e.adopter.Adopt(ctx, spool, info)
	}
	_, err := e.Blobs.Put(ctx, io.NewSectionReader(spool, 0, info.Size), blob.Expect{SHA256: info.SHA256, Size: info.Size})
	return err
}

// keepHeaders picks the upstream headers worth passing to clients while a
// fill streams.
func keepHeaders(h http.Header) http.Header {
	out := http.Header{}
	for _, k := range []string{"Content-Type", "Last-Modified"} {
		if v := h.Get(k); v != "" {
			out.Set(k, v)
		}
	}
	return out
}
