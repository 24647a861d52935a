package fetch

import (
	"context"
	"slices"
	"time"

	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/meta"
)

// lookup reads the object row through the in-memory cache. A cached row
// past its freshness is read again: another replica may have revalidated
// or refilled it, which it does not announce (only replacements and
// evictions are).
func (e *Engine) lookup(ctx context.Context, remote, path string) (meta.Object, error) {
	o, _, err := e.lookupRow(ctx, remote, path, nil, false)
	return o, err
}

// lookupRow is lookup; for a caller that joins a fill in flight (joining),
// a path whose first fill is under way has no row without the database
// being read: the row that fill found absent is absent until it commits,
// and then it is in memory (see filling). On scale-out that read was a
// round trip before the join for every request that came while its fill,
// often its prefetch, was running: a quarter of the row reads of a cold
// go mod download.
//
// When the row is read from the database, so are those of the paths next
// names (format.Prefetcher), in the same statement: those found are kept
// in memory, and those without a row are returned (absent) for the
// prefetch a first fill starts, which then reads nothing. A cold go mod
// download read each version's .info, .mod and .zip rows in three round
// trips; a warm one after a restart read the .mod and .zip after the .info.
func (e *Engine) lookupRow(ctx context.Context, remote, path string, next format.Prefetcher, joining bool) (meta.Object, []string, error) {
	key := cacheKey(remote, path)
	now := time.Now()
	if o, ok := e.rows.get(key, now); ok && o.Fresh(now) {
		return o, nil, nil
	}
	if e.known.absent(remote, key) || joining && e.filling(key) {
		return meta.Object{}, nil, meta.ErrNotFound
	}
	paths, gens := []string{path}, []uint64{e.rows.generation(key)}
	var absent []string
	if next != nil {
		for _, p := range next.Next(path) {
			k := cacheKey(remote, p)
			switch o, ok := e.rows.get(k, now); {
			case ok && o.Fresh(now), e.filling(k):
				// Known, or being filled: the prefetch finds it so.
			case e.known.absent(remote, k):
				absent = append(absent, p)
			default:
				paths, gens = append(paths, p), append(gens, e.rows.generation(k))
			}
		}
	}
	if len(paths) == 1 {
		o, err := e.Objects.GetObject(ctx, remote, path)
		if err == nil {
			e.rows.putRead(key, o, gens[0])
		}
		return o, absent, err
	}
	rows, err := e.Objects.GetObjects(ctx, remote, paths)
	if err != nil {
		return meta.Object{}, nil, err
	}
	obj, err := meta.Object{}, error(meta.ErrNotFound)
	for i, p := range paths {
		j := slices.IndexFunc(rows, func(o meta.Object) bool { return o.Path == p })
		switch {
		case j < 0 && i > 0:
			absent = append(absent, p)
		case j < 0:
		case i == 0:
			obj, err = rows[j], nil
			e.rows.putRead(key, obj, gens[0])
		default:
			e.rows.putRead(cacheKey(remote, p), rows[j], gens[i])
		}
	}
	return obj, absent, err
}

// filling reports whether key's first fill (one started with no row to
// revalidate) is in flight and a request now would join it (settled): it
// has not verified its body, or it is a prefetch. A verified client fill
// being stored is waited out by settled and read again after.
func (e *Engine) filling(key string) bool {
	e.mu.Lock()
	f := e.inflight[key]
	e.mu.Unlock()
	return f != nil && f.stale == nil && (!f.isVerified() || f.prefetched)
}
