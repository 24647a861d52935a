package fetch

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/state"
)

// markHold is how long a fill's lock stays taken after the fill stored
// its object (see unlockFill). It must outlast the moment between a miss's
// lookup and its TryLock, which is micro- to milliseconds.
const markHold = time.Second

// lock takes the cross-replica fill lock, or waits for the replica that
// holds it to commit.
//
// Taken at the first try for a first fill, the lock needs no second look
// at the database: a first fill that stored the object holds its lock for
// markHold after (see unlockFill), so a commit that landed after our
// miss's lookup would have made TryLock fail. A fill that had to wait
// looks again (the holder may have committed while it slept), and so do
// revalidations, which are not marked: the next one may come at once.
// The re-read was a database round trip per fill. Alone, it is a map
// lookup: no marks.
//
// A first fill takes its lock unless the path's upstream 404 is
// remembered, which it then returns as state.ErrGuarded: asking both in
// one call saved a round trip to the state store per miss.
func (e *Engine) lock(ctx context.Context, f *fill) (state.Lock, *meta.Object, error) {
	backoff := 20 * time.Millisecond
	for first := true; ; first = false {
		lk, err := e.tryLock(ctx, f)
		if errors.Is(err, state.ErrGuarded) {
			return nil, nil, err
		}
		if err == nil {
			if first && e.marks(f) {
				return lk, nil, nil
			}
			if obj := e.committed(ctx, f); obj != nil {
				lk.Unlock(ctx)
				return nil, obj, nil
			}
			return lk, nil, nil
		}
		if !errors.Is(err, state.ErrLocked) {
			// State backend down: the in-process single flight still
			// holds; across replicas we may fetch twice, never wrongly.
			e.Log.Warn("fill lock unavailable; filling without it", "err", err)
			return nil, nil, nil
		}
		if obj := e.committed(ctx, f); obj != nil {
			return nil, obj, nil
		}
		select {
		case <-ctx.Done():
			return nil, nil, apierr.New(apierr.ErrUpstreamTimeout, "%s: timed out waiting for another replica's fill", f.rem.Name)
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 500*time.Millisecond)
	}
}

func (e *Engine) tryLock(ctx context.Context, f *fill) (state.Lock, error) {
	if f.stale != nil {
		return e.State.TryLock(ctx, "fill:"+f.key, e.opt.LockTTL) // a 404 is remembered only for what is not cached
	}
	return e.State.TryLockUnless(ctx, "fill:"+f.key, e.opt.LockTTL, negKey(f.rem.Name, f.path))
}

// committed returns the object if someone else stored it (or refreshed the
// stale copy) since this fill began.
func (e *Engine) committed(ctx context.Context, f *fill) *meta.Object {
	var obj meta.Object
	if e.opt.Alone {
		// A database read per fill was 7% of a cold fill's CPU.
		o, ok := e.rows.get(f.key, time.Now())
		if !ok {
			return nil
		}
		obj = o
	} else {
		o, err := e.Objects.GetObject(ctx, f.rem.Name, f.path)
		if err != nil {
			return nil
		}
		obj = o
	}
	if f.stale == nil || obj.FetchedAt.After(f.stale.FetchedAt) {
		return &obj
	}
	return nil
}

// marks says whether f's lock is held as a mark once f stored its object.
func (e *Engine) marks(f *fill) bool { return !e.opt.Alone && f.stale == nil }

// unlockFill ends a fill's hold on its lock. A first fill that stored the
// object keeps it for markHold, as a mark that the row is new: see lock.
// Any other frees it at once, so the next try need not wait.
func (e *Engine) unlockFill(ctx context.Context, lk state.Lock, f *fill) {
	if f.obj != nil && e.marks(f) {
		lk.Refresh(ctx, markHold)
		return
	}
	lk.Unlock(ctx)
}

// keepLock renews lk every third of its TTL until stop is called. A
// timer, not a goroutine with a ticker: nearly every fill ends before the
// first renewal, and the goroutine, its context and its ticker were made
// for each one. stop cancels a renewal in flight and keeps any other
// from starting.
func (e *Engine) keepLock(ctx context.Context, lk state.Lock) (stop func()) {
	k := &lockKeeper{}
	every := e.opt.LockTTL / 3
	k.mu.Lock() // k.t is read under it
	defer k.mu.Unlock()
	k.t = time.AfterFunc(every, func() {
		k.mu.Lock()
		if k.stopped {
			k.mu.Unlock()
			return
		}
		rctx, cancel := context.WithCancel(ctx)
		k.cancel = cancel
		k.mu.Unlock()
		if err := lk.Refresh(rctx, e.opt.LockTTL); err != nil && rctx.Err() == nil {
			e.Log.Warn("fill lock not renewed", "err", err)
		}
		cancel()
		k.mu.Lock()
		defer k.mu.Unlock()
		k.cancel = nil
		if !k.stopped {
			k.t.Reset(every)
		}
	})
	return k.stop
}

// lockKeeper is one fill's lock renewals (keepLock).
type lockKeeper struct {
	t       *time.Timer
	mu      sync.Mutex
	stopped bool
	cancel  context.CancelFunc // the renewal in flight
}

func (k *lockKeeper) stop() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.stopped = true
	if k.cancel != nil {
		k.cancel()
	}
	k.t.Stop()
}
