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
	stop := e.keepLock(ctx, lk)
	time.Sleep(4 * e.opt.LockTTL)
	if _, err := e.State.TryLock(ctx, "fill:k", time.Minute); !errors.Is(err, state.ErrLocked) {
		t.Fatalf("after four TTLs of renewal the lock was free: %v", err)
	}
	stop()
	time.Sleep(2 * e.opt.LockTTL)
	if _, err := e.State.TryLock(ctx, "fill:k", time.Minute); err != nil {
		t.Fatalf("renewed after stop: the lock was still held two TTLs later: %v", err)
	}
}
