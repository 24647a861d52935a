package fetch

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/state"
)

// A fill that raced another's commit serves that commit. Alone, the
// engine finds it in its own row cache; shared with other replicas, only
// the database knows. The racing fill holds its lock as a mark (unlockFill),
// which is what sends this one to look.
func TestFillFindsARacingCommit(t *testing.T) {
	ctx := context.Background()
	for _, alone := range []bool{true, false} {
		e, ms, _ := newEngine(t)
		e.opt.Alone = alone
		rem := digestRemote(t, "http://127.0.0.1:1")
		f := &fill{key: cacheKey(rem.Name, "p"), rem: rem, path: "p"}
		other, obj, err := e.lock(ctx, f)
		if err != nil || obj != nil || other == nil {
			t.Fatalf("alone=%v: nothing committed yet, but lock found %v (%v)", alone, obj, err)
		}
		now := time.Now().UTC()
		row := meta.Object{Remote: rem.Name, Path: "p", SHA256: "ab", Size: 1, FetchedAt: now, ExpiresAt: now.Add(time.Hour), LastAccess: now}
		if alone {
			e.rows.put(f.key, row) // what this engine's own commit leaves
		} else if err := ms.PutObject(ctx, row); err != nil { // another replica's
			t.Fatal(err)
		}
		e.unlockFill(ctx, other, &fill{obj: &row})
		if lk, obj, err := e.lock(ctx, f); err != nil || lk != nil || obj == nil || obj.SHA256 != "ab" {
			t.Fatalf("alone=%v: the racing commit was not found: %v (%v)", alone, obj, err)
		}
	}
}

// A fill that failed frees its lock at once: the next one takes it
// without waiting out the mark.
func TestFailedFillFreesItsLock(t *testing.T) {
	ctx := context.Background()
	e, _, _ := newEngine(t)
	rem := digestRemote(t, "http://127.0.0.1:1")
	f := &fill{key: cacheKey(rem.Name, "p"), rem: rem, path: "p"}
	lk, _, err := e.lock(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	e.unlockFill(ctx, lk, f) // nothing stored
	if _, err := e.State.TryLock(ctx, "fill:"+f.key, time.Minute); err != nil {
		t.Fatalf("a failed fill's lock is still held: %v", err)
	}
}

// A fill longer than the lock's TTL keeps its lock: keepLock renews it
// until stopped, and not after.
func TestKeepLockRenewsUntilStopped(t *testing.T) {
	ctx := context.Background()
	e, _, _ := newEngine(t)
	e.opt.LockTTL = 300 * time.Millisecond
	lk, err := e.State.TryLock(ctx, "fill:k", e.opt.LockTTL)
	if err != nil {
		t.Fatal(err)
	}
	h := &held{Lock: lk, taken: time.Now(), lease: e.opt.LockTTL}
	e.keepLock(ctx, h)
	time.Sleep(4 * e.opt.LockTTL)
	if _, err := e.State.TryLock(ctx, "fill:k", time.Minute); !errors.Is(err, state.ErrLocked) {
		t.Fatalf("after four TTLs of renewal the lock was free: %v", err)
	}
	if !h.stop() {
		t.Fatal("stop said no renewal began")
	}
	time.Sleep(2 * e.opt.LockTTL)
	if _, err := e.State.TryLock(ctx, "fill:k", time.Minute); err != nil {
		t.Fatalf("renewed after stop: the lock was still held two TTLs later: %v", err)
	}
}

// countingLock counts what a fill asks of its lock after taking it.
type countingLock struct {
	state.Lock
	refreshes, unlocks int
}

func (l *countingLock) Refresh(ctx context.Context, ttl time.Duration) error {
	l.refreshes++
	return l.Lock.Refresh(ctx, ttl)
}

func (l *countingLock) Unlock(ctx context.Context) error {
	l.unlocks++
	return l.Lock.Unlock(ctx)
}

// On scale-out a first fill takes its lock for firstLease, and one that
// stored its object well inside it leaves the rest of the lease as its
// mark: no call to the state store after the store, and the lock runs
// out by itself. One that ran longer sets the mark with a Refresh; one
// that stored nothing frees the lock.
func TestFirstLeaseIsTheMark(t *testing.T) {
	ctx := context.Background()
	e, _, _ := newEngine(t)
	e.opt.Alone = false
	rem := digestRemote(t, "http://127.0.0.1:1")
	row := meta.Object{Remote: rem.Name, SHA256: "ab", Size: 1}
	take := func(path string) (*fill, *held, *countingLock) {
		t.Helper()
		f := &fill{key: cacheKey(rem.Name, path), rem: rem, path: path}
		h, obj, err := e.lock(ctx, f)
		if err != nil || obj != nil || h == nil {
			t.Fatalf("%s: lock: %v, %v", path, obj, err)
		}
		if h.lease != firstLease {
			t.Fatalf("%s: a first fill's lease is %v, want %v", path, h.lease, firstLease)
		}
		c := &countingLock{Lock: h.Lock}
		h.Lock = c
		e.keepLock(ctx, h)
		return f, h, c
	}
	locked := func(f *fill) bool {
		_, err := e.State.TryLock(ctx, "fill:"+f.key, time.Minute)
		return errors.Is(err, state.ErrLocked)
	}

	quick, h, c := take("quick")
	quick.obj = &row
	e.unlockFill(ctx, h, quick)
	if c.refreshes+c.unlocks != 0 || !locked(quick) {
		t.Fatalf("a quick fill: %d refreshes, %d unlocks, locked %v; want the lease left as the mark", c.refreshes, c.unlocks, locked(quick))
	}

	slow, h, c := take("slow")
	h.taken = h.taken.Add(-firstLease / 2) // as if the fill took that long
	slow.obj = &row
	e.unlockFill(ctx, h, slow)
	if c.refreshes != 1 || c.unlocks != 0 || !locked(slow) {
		t.Fatalf("a fill with less than markHold of its lease left: %d refreshes, %d unlocks; want the mark set", c.refreshes, c.unlocks)
	}

	failed, h, c := take("failed")
	e.unlockFill(ctx, h, failed)
	if c.unlocks != 1 || locked(failed) {
		t.Fatalf("a fill that stored nothing: %d unlocks; want its lock freed", c.unlocks)
	}

	next, h, _ := take("next")
	e.unlockFill(ctx, h, &fill{obj: &row})
	time.Sleep(firstLease + 100*time.Millisecond)
	if locked(next) {
		t.Fatal("the mark did not run out with the first lease")
	}
}
