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

// firstLease is what a first fill's lock is taken for on scale-out, until
// keepLock's first renewal extends it to LockTTL. A fill that ends sooner
// (nearly every one: a small miss takes milliseconds) leaves the lock to
// run out as its mark: at least markHold is left of it. Setting the mark
// after the store was a state round trip per fill, 5-9% of the proxy's
// CPU in serial misses.
const firstLease = markHold * 3 / 2

// held is a fill's lock, as lock took it.
type held struct {
	state.Lock
	taken time.Time     // before it was asked for: the lease ends no sooner than taken+lease
	lease time.Duration // what it was taken for
	stop  func() bool   // ends the renewals; says whether one began
}

// lock takes the cross-replica fill lock, or waits for the replica that
// holds it to commit.
//
// Taken at the first try for a first fill, the lock needs no second look
// at the database: a first fill that stored the object holds its lock at
// least markHold after (see unlockFill), so a commit that landed after our
// miss's lookup would have made TryLock fail. A fill that had to wait
// looks again (the holder may have committed while it slept), and so do
// revalidations, which are not marked: the next one may come at once.
// The re-read was a database round trip per fill. Alone, it is a map
// lookup: no marks.
//
// A first fill takes its lock unless the path's upstream 404 is
// remembered, which it then returns as state.ErrGuarded: asking both in
// one call saved a round trip to the state store per miss.
func (e *Engine) lock(ctx context.Context, f *fill) (*held, *meta.Object, error) {
	backoff := 20 * time.Millisecond
	for first := true; ; first = false {
		taken, lease := time.Now(), e.lease(f)
		lk, err := e.tryLock(ctx, f, lease)
		if errors.Is(err, state.ErrGuarded) {
			return nil, nil, err
		}
		if err == nil {
			h := &held{Lock: lk, taken: taken, lease: lease}
			if first && e.marks(f) {
				return h, nil, nil
			}
			if obj := e.committed(ctx, f); obj != nil {
				lk.Unlock(ctx)
				return nil, obj, nil
			}
			return h, nil, nil
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

func (e *Engine) tryLock(ctx context.Context, f *fill, ttl time.Duration) (state.Lock, error) {
	if f.stale != nil {
		return e.State.TryLock(ctx, "fill:"+f.key, ttl) // a 404 is remembered only for what is not cached
	}
	return e.State.TryLockUnless(ctx, "fill:"+f.key, ttl, negKey(f.rem.Name, f.path))
}

// lease is what f's lock is taken for: firstLease for a fill that marks.
func (e *Engine) lease(f *fill) time.Duration {
	if e.marks(f) {
		return min(firstLease, e.opt.LockTTL)
	}
	return e.opt.LockTTL
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
// What is left of its first lease is that mark, unless the lease was
// renewed or has less than markHold left. Any other fill frees its lock
// at once, so the next try need not wait.
func (e *Engine) unlockFill(ctx context.Context, h *held, f *fill) {
	renewed := h.stop != nil && h.stop()
	if f.obj != nil && e.marks(f) {
		if renewed || time.Since(h.taken) > h.lease-markHold {
			h.Refresh(ctx, markHold)
		}
		return
	}
	h.Unlock(ctx)
}

// keepLock renews h every third of its lease, to LockTTL, until
// h.stop is called. A timer, not a goroutine with a ticker: nearly every
// fill ends before the first renewal, and the goroutine, its context and
// its ticker were made for each one. stop cancels a renewal in flight and
// keeps any other from starting.
func (e *Engine) keepLock(ctx context.Context, h *held) {
	k := &lockKeeper{}
	h.stop = k.stop
	every := e.opt.LockTTL / 3
	k.mu.Lock() // k.t is read under it
	defer k.mu.Unlock()
	k.t = time.AfterFunc(h.lease/3, func() {
		k.mu.Lock()
		if k.stopped {
			k.mu.Unlock()
			return
		}
		rctx, cancel := context.WithCancel(ctx)
		k.cancel = cancel
		k.renewed = true
		k.mu.Unlock()
		if err := h.Refresh(rctx, e.opt.LockTTL); err != nil && rctx.Err() == nil {
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
}

// lockKeeper is one fill's lock renewals (keepLock).
type lockKeeper struct {
	t       *time.Timer
	mu      sync.Mutex
	stopped bool
	renewed bool               // a renewal began: the lock may run to LockTTL
	cancel  context.CancelFunc // the renewal in flight
}

func (k *lockKeeper) stop() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.stopped = true
	if k.cancel != nil {
		k.cancel()
	}
	k.t.Stop()
	return k.renewed
}
