package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/blob"
	"github.com/artifactapi/artifactapi/internal/events"
	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/registry"
)

type outcome int

const (
	outcomeError       outcome = iota // the fill failed before streaming began
	outcomeStream                     // upstream 200: bytes are arriving in the spool
	outcomeCached                     // another fill (maybe on another replica) committed it
	outcomeRevalidated                // upstream said 304: the stale copy is current
	outcomeNotFound                   // upstream 404/410
)

// fill is one upstream fetch shared by every client that wants the same
// object at the same time.
type fill struct {
	key   string
	rem   *registry.Remote
	path  string
	stale *meta.Object

	ready chan struct{} // closed once outcome (and, for a stream, file and header) are set
	done  chan struct{} // closed once obj or err is final

	outcome outcome
	status  int // upstream status for outcomeNotFound
	header  http.Header
	size    int64 // -1 when the upstream did not say
	file    *os.File

	obj *meta.Object
	err error

	published blob.Expect // what the remote's index says about path
	listed    bool
	rewrite   bool // a document served only once rewritten and whole

	mu       sync.Mutex
	written  int64
	progress chan struct{} // closed and replaced on every append
	refs     int
}

func (f *fill) advance(n int) {
	f.mu.Lock()
	f.written += int64(n)
	close(f.progress)
	f.progress = make(chan struct{})
	f.mu.Unlock()
}

func (f *fill) snapshot() (int64, chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.written, f.progress
}

func (f *fill) release() {
	f.mu.Lock()
	f.refs--
	last := f.refs == 0
	f.mu.Unlock()
	if last && f.file != nil {
		f.file.Close()
	}
}

func (f *fill) isDone() bool {
	select {
	case <-f.done:
		return true
	default:
		return false
	}
}

// join attaches the caller to the fill of key, starting one if none runs.
// The caller must release it.
func (e *Engine) join(rem *registry.Remote, path string, stale *meta.Object) *fill {
	key := cacheKey(rem.Name, path)
	e.mu.Lock()
	defer e.mu.Unlock()
	f := e.inflight[key]
	if f == nil {
		rw, ok := rem.Type.(format.Rewriter)
		f = &fill{key: key, rem: rem, path: path, stale: stale, size: -1, rewrite: ok && rw.Rewrites(path),
			ready: make(chan struct{}), done: make(chan struct{}), progress: make(chan struct{}), refs: 1}
		e.inflight[key] = f
		e.fills.Go(func() { e.run(f) })
	}
	f.mu.Lock()
	f.refs++
	f.mu.Unlock()
	return f
}

// run is the fill's leader. It runs detached from every client: one that
// disconnects does not cancel the fill the others are streaming.
func (e *Engine) run(f *fill) {
	ctx, cancel := context.WithTimeout(e.base, e.opt.FillTimeout)
	defer cancel()
	e.Metrics.FillsInFlight.Inc()
	defer e.Metrics.FillsInFlight.Dec()
	defer func() {
		e.mu.Lock()
		delete(e.inflight, f.key)
		e.mu.Unlock()
		select {
		case <-f.ready:
		default:
			close(f.ready)
		}
		close(f.done)
		f.release()
	}()
	if err := e.fill(ctx, f); err != nil {
		f.err = err
		select {
		case <-f.ready: // failed mid-stream: waiters abort
		default:
			f.outcome = outcomeError
		}
		e.Metrics.Fills.WithLabelValues(f.rem.Name, "failed").Inc()
		e.Recorder.Failed(f.rem.Name)
		e.Events.Publish(events.Event{Type: events.FetchFailed, Remote: f.rem.Name, Path: f.path, Error: err.Error()})
		e.Log.Warn("fill failed", "remote", f.rem.Name, "path", f.path, "err", err)
	}
}

func (e *Engine) fill(ctx context.Context, f *fill) error {
	lock, cached, err := e.lock(ctx, f)
	if err != nil {
		return err
	}
	if cached != nil {
		f.obj, f.outcome = cached, outcomeCached
		return nil
	}
	if lock != nil {
		defer lock.Unlock(context.WithoutCancel(ctx))
		stop := e.keepLock(ctx, lock)
		defer stop()
	}
	published, listed, err := e.published(ctx, f.rem, f.path)
	if err != nil {
		return err
	}
	f.published, f.listed = published, listed
	if e.Breaker.Open(ctx, f.rem.Name) {
		return apierr.New(apierr.ErrUnavailable, "%s: upstream circuit open after repeated failures", f.rem.Name)
	}
	ctx, cancelIdle := context.WithCancelCause(ctx)
	defer cancelIdle(nil)
	resp, err := e.do(ctx, f)
	if err != nil {
		e.Breaker.Failure(ctx, f.rem.Name)
		return err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusNotModified && f.stale != nil:
		e.Breaker.Success(ctx, f.rem.Name)
		now := time.Now().UTC()
		obj := *f.stale
		obj.FetchedAt, obj.ExpiresAt = now, f.rem.Expiry(obj.Mutable, now)
		if err := e.Objects.TouchObject(ctx, obj.Remote, obj.Path, obj.FetchedAt, obj.ExpiresAt); err != nil {
			e.Log.Warn("revalidated expiry not saved", "err", err)
		}
		e.rows.put(f.key, obj)
		f.obj, f.outcome = &obj, outcomeRevalidated
		return nil
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		e.Breaker.Success(ctx, f.rem.Name)
		if ttl := f.rem.NegativeTTLDuration(); ttl > 0 && f.stale == nil {
			e.State.Set(ctx, negKey(f.rem.Name, f.path), "1", ttl)
		}
		f.status, f.outcome = resp.StatusCode, outcomeNotFound
		return nil
	default:
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
			e.Breaker.Failure(ctx, f.rem.Name)
		}
		kind := apierr.ErrUpstream
		switch resp.StatusCode {
		case http.StatusTooManyRequests:
			kind = apierr.ErrRateLimited
		case http.StatusUnauthorized, http.StatusForbidden:
			kind = apierr.ErrUpstreamDenied
		}
		return apierr.New(kind, "%s: upstream answered %s", f.rem.Name, resp.Status)
	}
	e.Breaker.Success(ctx, f.rem.Name)
	return e.stream(ctx, f, resp, cancelIdle)
}

// stream copies the upstream body into the spool while waiters read it,
// then verifies and commits. Any failure removes the spool: nothing stored.
func (e *Engine) stream(ctx context.Context, f *fill, resp *http.Response, cancelIdle context.CancelCauseFunc) (err error) {
	spool, err := os.CreateTemp(e.opt.SpoolDir, "fill-*")
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			os.Remove(spool.Name())
		}
	}()
	f.file, f.size, f.header, f.outcome = spool, resp.ContentLength, keepHeaders(resp.Header), outcomeStream
	close(f.ready)
	e.Events.Publish(events.Event{Type: events.FetchStarted, Remote: f.rem.Name, Path: f.path, Size: f.size})

	idle := time.AfterFunc(e.opt.IdleTimeout, func() { cancelIdle(errIdle) })
	defer idle.Stop()
	h := blob.NewHasher()
	buf := make([]byte, 256<<10)
	for {
		n, rerr := resp.Body.Read(buf)
		if n > 0 {
			idle.Reset(e.opt.IdleTimeout)
			if _, werr := spool.Write(buf[:n]); werr != nil {
				return fmt.Errorf("spool write: %w", werr)
			}
			h.Write(buf[:n])
			f.advance(n)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			e.Breaker.Failure(ctx, f.rem.Name)
			if errors.Is(context.Cause(ctx), errIdle) {
				return apierr.New(apierr.ErrUpstreamTimeout, "%s: upstream sent nothing for %s", f.rem.Name, e.opt.IdleTimeout)
			}
			return apierr.New(apierr.ErrUpstream, "%s: upstream body failed after %d bytes: %v", f.rem.Name, h.Info().Size, rerr)
		}
	}
	idle.Stop()
	info := h.Info()
	e.Recorder.Fetched(f.rem.Name, info.Size)
	e.Metrics.BytesFetched.WithLabelValues(f.rem.Name).Add(float64(info.Size))
	want := blob.Expect{Size: resp.ContentLength}
	if v, ok := f.rem.Type.(format.Verifier); ok {
		if pub, ok := v.Expect(f.path, resp.Header); ok {
			want.SHA256 = pub.SHA256
			if pub.Size >= 0 {
				want.Size = pub.Size
			}
		}
	}
	if f.listed {
		if f.published.SHA256 != "" {
			want.SHA256 = f.published.SHA256
		}
		if f.published.Size >= 0 {
			want.Size = f.published.Size
		}
	}
	if err := want.Verify(info); err != nil {
		return apierr.New(apierr.ErrUpstream, "%s: refusing %s: %v", f.rem.Name, f.path, err)
	}
	if rw, ok := f.rem.Type.(format.Rewriter); ok && rw.Rewrites(f.path) {
		rewritten, rinfo, err := e.rewrite(rw, f, spool)
		if err != nil {
			return err
		}
		// No waiter reads a rewritten document's spool: the upstream copy
		// goes now; the deferred cleanup above now owns the rewritten one.
		defer os.Remove(spool.Name())
		defer rewritten.Close()
		spool, info = rewritten, rinfo
	}
	if err := e.commitBlob(ctx, spool, info); err != nil {
		e.Log.Error("blob commit failed", "err", err)
		return apierr.New(apierr.ErrUnavailable, "blob store unavailable")
	}
	committed = e.adopter != nil
	now := time.Now().UTC()
	mutable := f.rem.Mutable(f.path)
	obj := meta.Object{Remote: f.rem.Name, Path: f.path, SHA256: info.SHA256, Size: info.Size, Mutable: mutable,
		ContentType: resp.Header.Get("Content-Type"), ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified"),
		FetchedAt: now, ExpiresAt: f.rem.Expiry(mutable, now), LastAccess: now}
	if err := e.Objects.PutObject(ctx, obj); err != nil {
		// No row: the blob is unreachable; drop it unless another row uses it.
		e.dropIfUnused(ctx, info.SHA256)
		e.Log.Error("metadata write failed", "err", err)
		return apierr.New(apierr.ErrUnavailable, "metadata store unavailable")
	}
	if f.stale != nil {
		// Other replicas may hold the replaced row.
		e.invalidate(ctx, f.rem.Name, f.path, false)
	}
	e.rows.put(f.key, obj)
	f.obj = &obj
	if f.stale != nil && f.stale.SHA256 != obj.SHA256 {
		// The new version replaced the row: the old bytes may now be
		// unreferenced.
		e.dropIfUnused(ctx, f.stale.SHA256)
	}
	e.Metrics.Fills.WithLabelValues(f.rem.Name, "ok").Inc()
	e.Events.Publish(events.Event{Type: events.FetchFinished, Remote: f.rem.Name, Path: f.path, Size: info.Size, SHA256: info.SHA256})
	return nil
}

var errIdle = errors.New("upstream idle")

// rewrite runs the type's rewrite of the verified upstream document into a
// new spool file, hashing what it writes.
func (e *Engine) rewrite(rw format.Rewriter, f *fill, src *os.File) (*os.File, blob.Info, error) {
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
	return out, h.Info(), nil
}

func (e *Engine) commitBlob(ctx context.Context, spool *os.File, info blob.Info) error {
	if e.adopter != nil {
		if err := spool.Sync(); err != nil {
			return err
		}
		return e.adopter.Adopt(ctx, spool.Name(), info)
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
