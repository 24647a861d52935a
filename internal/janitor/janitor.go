// Package janitor keeps the cache within its bounds: objects unused for a
// remote's unused_days go, a remote over its max_size and the whole cache
// over CACHE_MAX_SIZE shed their least recently used objects, and blobs no
// row refers to (left by a crash between a blob's commit and its row) are
// collected once older than a grace period, so a fill in progress is never
// touched.
package janitor

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/registry"
	"github.com/artifactapi/artifactapi/internal/state"
)

// Meta is the part of the metadata store the janitor reads.
type Meta interface {
	Stats(ctx context.Context) (map[string]meta.RemoteStats, error)
	ObjectsByAccess(ctx context.Context, remote string, before time.Time, limit int) ([]meta.Object, error)
	BlobReferenced(ctx context.Context, sha string) (bool, error)
}

// Evictor removes objects as the API's eviction does (rows, unreferenced
// blobs, caches on every replica, an event).
type Evictor interface {
	Evict(ctx context.Context, remote, path, prefix string) (int, error)
}

// Blobs is the blob store: deleting, and walking when it can.
type Blobs interface {
	Delete(ctx context.Context, sha string) error
}

// Walker lists committed blobs (the fs and S3 stores do).
type Walker interface {
	Walk(fn func(sha string, size int64, mod time.Time)) error
}

// Usage writes the object usage recorded but not yet stored, which
// would otherwise wait for the recorder's next usage flush.
type Usage interface {
	FlushUsage(ctx context.Context) error
}

// Locker keeps one replica's janitor at work at a time.
type Locker interface {
	TryLock(ctx context.Context, key string, ttl time.Duration) (state.Lock, error)
}

// Janitor sweeps the cache.
type Janitor struct {
	Meta     Meta
	Engine   Evictor
	Registry *registry.Registry
	Blobs    Blobs
	Lock     Locker
	Log      *slog.Logger
	// Usage, when set, is flushed before a sweep orders objects by last
	// use, so this replica's recent hits count.
	Usage Usage
	// MaxSize bounds the whole cache (0: unbounded).
	MaxSize int64
	// Grace is how old an unreferenced blob must be to be collected.
	Grace time.Duration
	// Now is the clock (tests move it).
	Now func() time.Time

	evicted, orphans atomic.Int64
}

// Report is what one sweep did.
type Report struct {
	Unused, OverRemote, OverGlobal, Orphans int
}

// Totals are what every sweep on this replica did since start.
func (j *Janitor) Totals() (evicted, orphans int64) { return j.evicted.Load(), j.orphans.Load() }

// Run sweeps every interval until ctx ends.
func (j *Janitor) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		lock, err := j.Lock.TryLock(ctx, "janitor", interval)
		if err != nil {
			continue // another replica sweeps now, or the state store is away
		}
		rep, err := j.Sweep(ctx)
		lock.Unlock(context.WithoutCancel(ctx))
		switch {
		case err != nil && ctx.Err() == nil:
			j.Log.Warn("janitor sweep failed", "err", err)
		case rep != Report{}:
			j.Log.Info("janitor sweep", "unused", rep.Unused, "over_remote_size", rep.OverRemote, "over_cache_size", rep.OverGlobal, "orphaned_blobs", rep.Orphans)
		}
	}
}

const batch = 200

// Sweep runs every rule once.
func (j *Janitor) Sweep(ctx context.Context) (Report, error) {
	var rep Report
	if j.Usage != nil {
		if err := j.Usage.FlushUsage(ctx); err != nil {
			return rep, err
		}
	}
	now := j.Now()
	for _, r := range j.Registry.Remotes() {
		if r.UnusedDays <= 0 {
			continue
		}
		n, err := j.evictOldest(ctx, r.Name, now.Add(-time.Duration(r.UnusedDays)*24*time.Hour), -1)
		rep.Unused += n
		if err != nil {
			return rep, err
		}
	}
	stats, err := j.Meta.Stats(ctx)
	if err != nil {
		return rep, err
	}
	var total int64
	for _, r := range j.Registry.Remotes() {
		st := stats[r.Name]
		if r.MaxSize > 0 && st.StoredBytes > r.MaxSize {
			n, err := j.evictOldest(ctx, r.Name, time.Time{}, st.StoredBytes-r.MaxSize)
			rep.OverRemote += n
			if err != nil {
				return rep, err
			}
		}
	}
	if j.MaxSize > 0 {
		if stats, err = j.Meta.Stats(ctx); err != nil {
			return rep, err
		}
		for _, st := range stats {
			total += st.StoredBytes
		}
		if total > j.MaxSize {
			n, err := j.evictOldest(ctx, "", time.Time{}, total-j.MaxSize)
			rep.OverGlobal += n
			if err != nil {
				return rep, err
			}
		}
	}
	n, err := j.collectOrphans(ctx, now)
	rep.Orphans = n
	return rep, err
}

// evictOldest evicts remote's ("" every remote's) least recently used
// objects: those used before before, or (before zero) until bytes are
// freed (bytes < 0: all of them).
func (j *Janitor) evictOldest(ctx context.Context, remote string, before time.Time, bytes int64) (int, error) {
	evicted := 0
	for bytes != 0 {
		objs, err := j.Meta.ObjectsByAccess(ctx, remote, before, batch)
		if err != nil || len(objs) == 0 {
			return evicted, err
		}
		for _, o := range objs {
			if o.Path == "" {
				continue // never "evict everything"
			}
			if _, err := j.Engine.Evict(ctx, o.Remote, o.Path, ""); err != nil {
				return evicted, err
			}
			evicted++
			j.evicted.Add(1)
			if bytes > 0 {
				if bytes -= o.Size; bytes <= 0 {
					return evicted, nil
				}
			}
		}
	}
	return evicted, nil
}

// collectOrphans deletes blobs no row refers to, older than the grace
// period (a fill commits its blob just before its row).
func (j *Janitor) collectOrphans(ctx context.Context, now time.Time) (int, error) {
	w, ok := j.Blobs.(Walker)
	if !ok {
		return 0, nil
	}
	var candidates []string
	err := w.Walk(func(sha string, _ int64, mod time.Time) {
		if mod.Before(now.Add(-j.Grace)) {
			candidates = append(candidates, sha)
		}
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, sha := range candidates {
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		used, err := j.Meta.BlobReferenced(ctx, sha)
		if err != nil {
			return n, err
		}
		if used {
			continue
		}
		if err := j.Blobs.Delete(ctx, sha); err != nil && !errors.Is(err, context.Canceled) {
			return n, err
		}
		n++
		j.orphans.Add(1)
	}
	return n, nil
}
