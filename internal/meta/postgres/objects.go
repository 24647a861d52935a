package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/artifactapi/artifactapi/internal/meta"
)

const objectCols = `remote, path, sha256, size, mutable, content_type, etag, last_modified, fetched_at, expires_at, last_access, hits`

func scanObject(row pgx.Row) (meta.Object, error) {
	var o meta.Object
	var fetched, expires, access *time.Time
	err := row.Scan(&o.Remote, &o.Path, &o.SHA256, &o.Size, &o.Mutable, &o.ContentType, &o.ETag, &o.LastModified,
		&fetched, &expires, &access, &o.Hits)
	o.FetchedAt, o.ExpiresAt, o.LastAccess = fromTS(fetched), fromTS(expires), fromTS(access)
	return o, err
}

func collectObjects(rows pgx.Rows, err error) ([]meta.Object, error) {
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (meta.Object, error) { return scanObject(row) })
	if out == nil && err == nil {
		out = []meta.Object{}
	}
	return out, err
}

// GetObject implements meta.Store.
// Lookups made at once go in one pgx batch (group.Group): under a burst
// of misses each was a round trip of its own, a tenth of the server's CPU.
func (s *Store) GetObject(ctx context.Context, remote, path string) (meta.Object, error) {
	g := &get{remote: remote, path: path}
	if err := s.gets.Ask(ctx, g); err != nil {
		return meta.Object{}, err
	}
	return g.obj, g.err
}

const (
	getObjectSQL  = `SELECT ` + objectCols + ` FROM objects WHERE remote = $1 AND path = $2`
	getObjectsSQL = `SELECT ` + objectCols + ` FROM objects WHERE remote = $1 AND path = ANY($2)`
)

// GetObjects implements meta.Store: one statement for several paths,
// batched with the lookups made at once like GetObject's.
func (s *Store) GetObjects(ctx context.Context, remote string, paths []string) ([]meta.Object, error) {
	if len(paths) == 0 {
		return []meta.Object{}, nil
	}
	g := &get{remote: remote, paths: paths}
	if err := s.gets.Ask(ctx, g); err != nil {
		return nil, err
	}
	return g.objs, g.err
}

// get is one lookup and its answer: of path, or of every row of paths.
type get struct {
	remote, path string
	paths        []string
	obj          meta.Object
	objs         []meta.Object
	err          error
}

func (g *get) scan(row pgx.Row) {
	o, err := scanObject(row)
	g.obj, g.err = o, notFound(err)
}

func (g *get) collect(rows pgx.Rows, err error) {
	g.objs, g.err = collectObjects(rows, err)
}

// getBatch answers each lookup; the error it returns is the batch's own
// (a lost connection), after which each is asked again alone.
func (s *Store) getBatch(ctx context.Context, gets []*get) error {
	// The callers stop waiting when their requests end; the batch is
	// bounded so a database that stopped answering cannot hold the
	// lookups queued behind it for ever.
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	if len(gets) == 1 {
		switch g := gets[0]; {
		case g.paths != nil:
			g.collect(s.pool.Query(ctx, getObjectsSQL, g.remote, g.paths))
		default:
			g.scan(s.pool.QueryRow(ctx, getObjectSQL, g.remote, g.path))
		}
		return nil
	}
	var b pgx.Batch
	for _, g := range gets {
		if g.paths != nil {
			b.Queue(getObjectsSQL, g.remote, g.paths).Query(func(rows pgx.Rows) error {
				g.collect(rows, nil)
				return nil
			})
			continue
		}
		b.Queue(getObjectSQL, g.remote, g.path).QueryRow(func(row pgx.Row) error {
			g.scan(row)
			return nil
		})
	}
	return s.pool.SendBatch(ctx, &b).Close()
}

const lookupTimeout = 30 * time.Second

const putObjectSQL = `INSERT INTO objects (` + objectCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)` + objectConflict

// objectConflict makes a row's insert replace what it describes; its
// usage (hits, last access) survives.
const objectConflict = `
	ON CONFLICT (remote, path) DO UPDATE SET sha256 = excluded.sha256, size = excluded.size, mutable = excluded.mutable,
	content_type = excluded.content_type, etag = excluded.etag, last_modified = excluded.last_modified,
	fetched_at = excluded.fetched_at, expires_at = excluded.expires_at`

// PutObject implements meta.Store. Usage (hits, last access) survives a
// refill of the same path. Concurrent fills commit their rows together
// (group.Group).
func (s *Store) PutObject(ctx context.Context, o meta.Object) error {
	return s.writes.Do(ctx, meta.Write{Object: &o})
}

// PutObjectBlob implements meta.Store.
func (s *Store) PutObjectBlob(ctx context.Context, o meta.Object, data []byte) error {
	return s.writes.Do(ctx, meta.Write{Object: &o, Blob: &meta.SmallBlob{SHA256: o.SHA256, Data: data}})
}

// TouchObject implements meta.Store.
func (s *Store) TouchObject(ctx context.Context, remote, path string, fetched, expires time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE objects SET fetched_at = $3, expires_at = $4 WHERE remote = $1 AND path = $2`,
		remote, path, ts(fetched), ts(expires))
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return meta.ErrNotFound
	}
	return nil
}

// prefixWhere matches rows under prefix; the range on path lets the
// primary key index find them, starts_with makes the match exact.
const prefixWhere = `remote = $1 AND path >= $2 AND starts_with(path, $2)`

// ListObjects implements meta.Store.
func (s *Store) ListObjects(ctx context.Context, remote, prefix, after string, limit int) ([]meta.Object, error) {
	return collectObjects(s.pool.Query(ctx, `SELECT `+objectCols+` FROM objects
		WHERE `+prefixWhere+` AND path > $3 ORDER BY path LIMIT $4`, remote, prefix, after, limit))
}

// ObjectsByAccess implements meta.Store.
func (s *Store) ObjectsByAccess(ctx context.Context, remote string, before time.Time, limit int) ([]meta.Object, error) {
	if before.IsZero() {
		before = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return collectObjects(s.pool.Query(ctx, `SELECT `+objectCols+` FROM objects
		WHERE ($1 = '' OR remote = $1) AND coalesce(last_access, fetched_at) < $2 ORDER BY coalesce(last_access, fetched_at) LIMIT $3`,
		remote, before, limit))
}

// DeleteObjects implements meta.Store.
func (s *Store) DeleteObjects(ctx context.Context, remote, path, prefix string) ([]meta.Object, error) {
	where, args := `remote = $1 AND path = $2`, []any{remote, path}
	if path == "" {
		where, args = prefixWhere, []any{remote, prefix}
	}
	return collectObjects(s.pool.Query(ctx, `DELETE FROM objects WHERE `+where+` RETURNING `+objectCols, args...))
}

// BlobReferenced implements meta.Store.
func (s *Store) BlobReferenced(ctx context.Context, sha string) (bool, error) {
	var ref bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM objects WHERE sha256 = $1)`, sha).Scan(&ref)
	return ref, err
}

// Record implements meta.Store. Replicas flush concurrently; rows are
// touched in key order so their transactions rarely deadlock, and one that
// does is rerun.
func (s *Store) Record(ctx context.Context, b meta.Batch) error {
	usage := slices.Clone(b.Usage)
	slices.SortFunc(usage, func(x, y meta.Usage) int { return cmp.Or(cmp.Compare(x.Remote, y.Remote), cmp.Compare(x.Path, y.Path)) })
	remotes := make([]string, 0, len(b.Counters))
	for r := range b.Counters {
		remotes = append(remotes, r)
	}
	slices.Sort(remotes)
	traffic := meta.MergeTraffic(b.Traffic)
	var err error
	for range 5 {
		if err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return record(ctx, tx, usage, remotes, traffic, b) }); !retryable(err) {
			return err
		}
	}
	return err
}

func record(ctx context.Context, tx pgx.Tx, usage []meta.Usage, remotes []string, traffic []meta.Traffic, b meta.Batch) error {
	if len(usage) > 0 {
		rs, ps, hits, at := make([]string, len(usage)), make([]string, len(usage)), make([]int64, len(usage)), make([]time.Time, len(usage))
		for i, u := range usage {
			rs[i], ps[i], hits[i], at[i] = u.Remote, u.Path, u.Hits, u.LastAccess
		}
		if _, err := tx.Exec(ctx, `UPDATE objects o SET hits = o.hits + u.hits, last_access = greatest(o.last_access, u.at)
			FROM unnest($1::text[], $2::text[], $3::bigint[], $4::timestamptz[]) AS u(remote, path, hits, at)
			WHERE o.remote = u.remote AND o.path = u.path COLLATE "C"`, rs, ps, hits, at); err != nil {
			return fmt.Errorf("usage: %w", err)
		}
	}
	for _, remote := range remotes {
		c := b.Counters[remote]
		if _, err := tx.Exec(ctx, `INSERT INTO counters AS c (remote, hits, misses, stale, revalidated, errors, bytes_served, bytes_fetched)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (remote) DO UPDATE SET
			hits = c.hits + excluded.hits, misses = c.misses + excluded.misses, stale = c.stale + excluded.stale,
			revalidated = c.revalidated + excluded.revalidated, errors = c.errors + excluded.errors,
			bytes_served = c.bytes_served + excluded.bytes_served, bytes_fetched = c.bytes_fetched + excluded.bytes_fetched`,
			remote, c.Hits, c.Misses, c.Stale, c.Revalidated, c.Errors, c.BytesServed, c.BytesFetched); err != nil {
			return fmt.Errorf("counters: %w", err)
		}
	}
	if len(traffic) == 0 {
		return nil
	}
	n := len(traffic)
	secs, rs, cs, reqs, bytes, errs := make([]int64, n), make([]string, n), make([]string, n), make([]int64, n), make([]int64, n), make([]int64, n)
	for i, t := range traffic {
		secs[i], rs[i], cs[i], reqs[i], bytes[i], errs[i] = t.Second.Unix(), t.Remote, t.Cache, t.Requests, t.Bytes, t.Errors
	}
	if _, err := tx.Exec(ctx, `INSERT INTO traffic AS t (sec, remote, cache, requests, bytes, errors)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[])
		ON CONFLICT (sec, remote, cache) DO UPDATE SET requests = t.requests + excluded.requests,
		bytes = t.bytes + excluded.bytes, errors = t.errors + excluded.errors`, secs, rs, cs, reqs, bytes, errs); err != nil {
		return fmt.Errorf("traffic: %w", err)
	}
	return nil
}

// Stats implements meta.Store.
func (s *Store) Stats(ctx context.Context) (map[string]meta.RemoteStats, error) {
	out := map[string]meta.RemoteStats{}
	rows, _ := s.pool.Query(ctx, `SELECT remote, hits, misses, stale, revalidated, errors, bytes_served, bytes_fetched FROM counters`)
	var name string
	var c meta.Counters
	_, err := pgx.ForEachRow(rows, []any{&name, &c.Hits, &c.Misses, &c.Stale, &c.Revalidated, &c.Errors, &c.BytesServed, &c.BytesFetched}, func() error {
		out[name] = meta.RemoteStats{Counters: c}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var n, size int64
	rows, _ = s.pool.Query(ctx, `SELECT remote, count(*), coalesce(sum(size), 0) FROM objects GROUP BY remote`)
	_, err = pgx.ForEachRow(rows, []any{&name, &n, &size}, func() error {
		st := out[name]
		st.Objects, st.StoredBytes = n, size
		out[name] = st
		return nil
	})
	return out, err
}

// PruneTraffic implements meta.Store.
func (s *Store) PruneTraffic(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM traffic WHERE sec < $1`, before.Unix())
	return tag.RowsAffected(), err
}

// TrafficSeries implements meta.Store.
func (s *Store) TrafficSeries(ctx context.Context, since time.Time, step time.Duration) ([]meta.SeriesPoint, error) {
	st := max(int64(step/time.Second), 1)
	rows, err := s.pool.Query(ctx, `SELECT (sec / $1) * $1 AS b, cache, sum(requests)::bigint, sum(bytes)::bigint, sum(errors)::bigint
		FROM traffic WHERE sec >= $2 GROUP BY b, cache ORDER BY b`, st, since.Unix())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []meta.SeriesPoint
	for rows.Next() {
		var b, n, bytes, errs int64
		var cache string
		if err := rows.Scan(&b, &cache, &n, &bytes, &errs); err != nil {
			return nil, err
		}
		out = meta.AddSeriesRow(out, time.Unix(b, 0).UTC(), cache, n, bytes, errs)
	}
	return out, rows.Err()
}
