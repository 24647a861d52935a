package fetch

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/blob"
	"github.com/artifactapi/artifactapi/internal/events"
	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/registry"
	"github.com/artifactapi/artifactapi/internal/state"
)

type outcome int

const (
	outcomeError       outcome = iota // the fill failed before streaming began
	outcomeStream                     // upstream 200: bytes are arriving in the spool
	outcomeCached                     // another fill (maybe on another replica) committed it
	outcomeRevalidated                // upstream said 304: the stale copy is current
	outcomeNotFound                   // upstream 404/410
	outcomeRemembered                 // an upstream 404 remembered for the remote's negative_ttl
)

// fill is one upstream fetch shared by every client that wants the same
// object at the same time.
type fill struct {
	key     string
	started time.Time
	rem     *registry.Remote
	path    string
	class   format.Class
	stale   *meta.Object

	ready    chan struct{} // closed once outcome (and, for a stream, file and header) are set
	verified chan struct{} // closed once a streamed body is whole and matched every check
	done     chan struct{} // closed once obj or err is final

	outcome outcome
	status  int // upstream status for outcomeNotFound
	header  http.Header
	size    int64 // -1 when the upstream did not say
	spool   spool

	obj *meta.Object
	err error

	published blob.Expect // what the remote's index says about path
	listed    bool
	rewrite   bool // a document served only once rewritten and whole
	// prefetched: started by a prefetch, not by a client (see settled).
	prefetched bool
	// absentNext: what the lookup before this fill found of the paths its
	// prefetch fills (cacheState.absentNext).
	absentNext []string

	mu       sync.Mutex
	written  int64
	progress chan struct{} // closed and replaced on every append
	refs     int

	counted bool // in Engine.fetching; guarded by Engine.mu

	cancel  context.CancelCauseFunc // ends the fill (Engine.Close, abandonment)
	abandon func(f *fill)           // called when the last client leaves
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
	last, alone := f.refs == 0, f.refs == 1
	f.mu.Unlock()
	if last && f.spool != nil {
		f.spool.Close()
	}
	if alone && f.abandon != nil && !f.isDone() {
		f.abandon(f) // only the fill itself holds it now
	}
}

// spaceLeft refuses a fill while the disk is below its reserve: a fill
// that would run out of space midway would stream part of a body and
// fail.
func (e *Engine) spaceLeft() error {
	if e.opt.MinFree <= 0 || e.opt.FreeBytes == nil {
		return nil
	}
	free, err := e.disk.read(e.opt.FreeBytes)
	if err != nil || free >= e.opt.MinFree {
		return nil
	}
	return apierr.New(apierr.ErrNoSpace, "only %d MB free for the cache, under its CACHE_MIN_FREE reserve of %d MB: no new fills until space is freed",
		free>>20, e.opt.MinFree>>20)
}

// statusErr is the error for an upstream answer that is neither content,
// not-modified nor not-found.
func statusErr(remote string, resp *http.Response) error {
	kind := apierr.ErrUpstream
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		kind = apierr.ErrRateLimited
	case http.StatusUnauthorized, http.StatusForbidden:
		kind = apierr.ErrUpstreamDenied
	}
	return apierr.New(kind, "%s: upstream answered %s", remote, resp.Status)
}

// errAbandoned ends a fill every client left.
var errAbandoned = errors.New("fill abandoned: every client left")

// abandoned cancels f after opt.AbandonAfter if still no client waits for
// it and it is not small: a large download nobody wants any more should
// not hold a connection and a growing spool. A herd never sees this: its
// clients share the fill while any of them is there.
func (e *Engine) abandoned(f *fill) {
	time.AfterFunc(e.opt.AbandonAfter, func() {
		// Under the engine's lock no client can join between the check
		// and the cancel; a later one starts a fill of its own.
		e.mu.Lock()
		defer e.mu.Unlock()
		f.mu.Lock()
		alone, size := f.refs == 1, f.size
		f.mu.Unlock()
		if alone && !f.isDone() && (size < 0 || size > e.opt.KeepSmall) {
			if e.inflight[f.key] == f {
				delete(e.inflight, f.key)
			}
			e.uncount(f)
			f.cancel(errAbandoned)
		}
	})
}

func (f *fill) isDone() bool { return closed(f.done) }

// isVerified reports whether the streamed body is whole and verified: it
// may be served to its end, whether or not storing it then succeeds.
func (f *fill) isVerified() bool { return closed(f.verified) }

func closed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// uncount takes f out of e.fetching, the fills still receiving from
// their upstream, which is what MaxFills bounds (connections, spool
// space): one that has all its bytes verified is only storing them, and
// one out of inflight is ending. The count was a walk over inflight on
// every miss, under e.mu. The caller holds e.mu.
func (e *Engine) uncount(f *fill) {
	if f.counted {
		f.counted = false
		e.fetching--
	}
}

// join attaches the caller to the fill of key, starting one if none runs
// and fewer than MaxFills do; prefetch says a prefetch starts it. The
// caller must release it.
func (e *Engine) join(c cacheState, path string, prefetch bool) (*fill, error) {
	rem, class, stale := c.rem, c.class, c.stale
	key := cacheKey(rem.Name, path)
	e.mu.Lock()
	defer e.mu.Unlock()
	f := e.inflight[key]
	if f == nil {
		if n := e.fetching; n >= e.opt.MaxFills {
			e.Metrics.FillsRefused.Inc()
			return nil, apierr.New(apierr.ErrBusy, "%d fills in flight: retry shortly", n)
		}
		rewrite := class.Kind == format.Index && rem.Type.Rewriter != nil
		f = &fill{key: key, started: time.Now(), rem: rem, path: path, class: class, stale: stale, size: -1, rewrite: rewrite, prefetched: prefetch, absentNext: c.absentNext,
			ready: make(chan struct{}), verified: make(chan struct{}), done: make(chan struct{}), progress: make(chan struct{}), refs: 1, abandon: e.abandoned}
		ctx, cancel := context.WithCancelCause(e.base)
		f.cancel = cancel
		e.inflight[key] = f
		f.counted = true
		e.fetching++
		e.fills.Go(func() { e.run(ctx, f) })
	}
	f.mu.Lock()
	f.refs++
	f.mu.Unlock()
	return f, nil
}

// run is the fill's leader. It runs detached from every client: one that
// disconnects does not cancel the fill the others are streaming.
func (e *Engine) run(ctx context.Context, f *fill) {
	defer f.cancel(nil)
	ctx, cancel := context.WithTimeout(ctx, e.opt.FillTimeout)
	defer cancel()
	e.Metrics.FillsInFlight.Inc()
	defer e.Metrics.FillsInFlight.Dec()
	defer func() {
		e.mu.Lock()
		if e.inflight[f.key] == f {
			delete(e.inflight, f.key)
		}
		e.uncount(f)
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
		if errors.Is(context.Cause(ctx), errAbandoned) {
			e.Metrics.Fills.WithLabelValues(f.rem.Name, "abandoned").Inc()
			e.Log.Info("fill abandoned: every client left", "remote", f.rem.Name, "path", f.path)
			return
		}
		e.Metrics.Fills.WithLabelValues(f.rem.Name, "failed").Inc()
		e.Recorder.Failed(f.rem.Name)
		e.Events.Publish(events.Event{Type: events.FetchFailed, Remote: f.rem.Name, Path: f.path, Error: err.Error(),
			DurationMS: time.Since(f.started).Milliseconds()})
		e.noteUpstreamError(f.rem.Name, err)
		e.Log.Warn("fill failed", "remote", f.rem.Name, "path", f.path, "err", err)
	}
}

func (e *Engine) fill(ctx context.Context, f *fill) error {
	lock, cached, err := e.lock(ctx, f)
	if errors.Is(err, state.ErrGuarded) {
		f.outcome = outcomeRemembered
		return nil
	}
	if err != nil {
		return err
	}
	if cached != nil {
		f.obj, f.outcome = cached, outcomeCached
		return nil
	}
	if lock != nil {
		e.keepLock(ctx, lock)
		defer e.unlockFill(context.WithoutCancel(ctx), lock, f)
	}
	published, listed, err := e.published(ctx, f.rem, f.path, f.class)
	if err != nil {
		return err
	}
	f.published, f.listed = published, listed
	if e.Breaker.Open(ctx, f.rem.Name) {
		return apierr.New(apierr.ErrUnavailable, "%s: upstream circuit open after repeated failures", f.rem.Name)
	}
	if err := e.spaceLeft(); err != nil {
		return err
	}
	if f.stale == nil {
		// Alongside this fill's own upstream request, not after it: the
		// client asks for the next file as soon as it has this one.
		e.prefetch(f)
	}
	resp, err := e.do(ctx, f)
	if err != nil {
		if !errors.Is(err, apierr.ErrEgressRefused) {
			e.Breaker.Failure(ctx, f.rem.Name) // a refused host is the index's fault, not an outage
		}
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
		return statusErr(f.rem.Name, resp)
	}
	e.Breaker.Success(ctx, f.rem.Name)
	// An upstream gone quiet ends the whole fill (f.cancel, with errIdle
	// as the cause): a context of its own for that was a tenth of the
	// contexts a small miss made.
	return e.stream(ctx, f, resp, f.cancel)
}
