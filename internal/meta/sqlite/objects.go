package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/artifactapi/artifactapi/internal/meta"
)

const objectCols = `remote, path, sha256, size, mutable, content_type, etag, last_modified, fetched_at, expires_at, last_access, hits`

func scanObject(row interface{ Scan(...any) error }) (meta.Object, error) {
	var o meta.Object
	var fetched, expires, access int64
	err := row.Scan(&o.Remote, &o.Path, &o.SHA256, &o.Size, &o.Mutable, &o.ContentType, &o.ETag, &o.LastModified,
		&fetched, &expires, &access, &o.Hits)
	o.FetchedAt, o.ExpiresAt, o.LastAccess = fromNanos(fetched), fromNanos(expires), fromNanos(access)
	return o, err
}

const getObjectSQL = `SELECT ` + objectCols + ` FROM objects WHERE remote = ? AND path = ?`

// GetObject implements meta.Store.
func (s *Store) GetObject(ctx context.Context, remote, path string) (meta.Object, error) {
	o, err := scanObject(s.getStmt.QueryRowContext(ctx, remote, path))
	return o, notFound(err)
}

// GetObjects implements meta.Store. In process there is no round trip
// to save: each path is the prepared lookup, cheaper than preparing a
// statement for the list.
func (s *Store) GetObjects(ctx context.Context, remote string, paths []string) ([]meta.Object, error) {
	out := []meta.Object{}
	for _, p := range paths {
		switch o, err := s.GetObject(ctx, remote, p); {
		case err == nil:
			out = append(out, o)
		case !errors.Is(err, meta.ErrNotFound):
			return nil, err
		}
	}
	return out, nil
}

const putObjectSQL = `INSERT INTO objects (` + objectCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (remote, path) DO UPDATE SET sha256 = excluded.sha256, size = excluded.size, mutable = excluded.mutable,
	content_type = excluded.content_type, etag = excluded.etag, last_modified = excluded.last_modified,
	fetched_at = excluded.fetched_at, expires_at = excluded.expires_at`

// PutObject implements meta.Store: concurrent fills commit their rows
// together (group.Group).
func (s *Store) PutObject(ctx context.Context, o meta.Object) error {
	return s.writes.Do(ctx, meta.Write{Object: &o})
}

// PutObjectBlob implements meta.Store.
func (s *Store) PutObjectBlob(ctx context.Context, o meta.Object, data []byte) error {
	return s.writes.Do(ctx, meta.Write{Object: &o, Blob: &meta.SmallBlob{SHA256: o.SHA256, Data: data}})
}

// putWrites writes a batch in one transaction; a fill's row comes after
// its blob was written.
func (s *Store) putWrites(ctx context.Context, batch []meta.Write) error {
	defer s.wrote(2 * len(batch))
	now := time.Now().UnixNano()
	put := func(obj, blob *sql.Stmt, w meta.Write) error {
		if w.Blob != nil {
			if _, err := blob.ExecContext(ctx, w.Blob.SHA256, w.Blob.Data, now); err != nil {
				return err
			}
		}
		if o := w.Object; o != nil {
			_, err := obj.ExecContext(ctx, o.Remote, o.Path, o.SHA256, o.Size, o.Mutable, o.ContentType, o.ETag, o.LastModified,
				nanos(o.FetchedAt), nanos(o.ExpiresAt), nanos(o.LastAccess), o.Hits)
			return err
		}
		return nil
	}
	if w := batch[0]; len(batch) == 1 && (w.Blob == nil || w.Object == nil) {
		if err := s.lockWriter(ctx); err != nil {
			return err
		}
		defer s.unlockWriter()
		return put(s.putStmt, s.blobStmt, w) // one statement: its own transaction
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		obj, blob := tx.StmtContext(ctx, s.putStmt), tx.StmtContext(ctx, s.blobStmt)
		for _, w := range batch {
			if err := put(obj, blob, w); err != nil {
				return err
			}
		}
		return nil
	})
}

// TouchObject implements meta.Store.
func (s *Store) TouchObject(ctx context.Context, remote, path string, fetched, expires time.Time) error {
	res, err := s.exec(ctx, `UPDATE objects SET fetched_at = ?, expires_at = ? WHERE remote = ? AND path = ?`,
		nanos(fetched), nanos(expires), remote, path)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return meta.ErrNotFound
	}
	return nil
}

// ListObjects implements meta.Store.
func (s *Store) ListObjects(ctx context.Context, remote, prefix, after string, limit int) ([]meta.Object, error) {
	return collectObjects(s.db.QueryContext(ctx, `SELECT `+objectCols+` FROM objects
		WHERE remote = ? AND path > ? AND substr(path, 1, length(?)) = ? ORDER BY path LIMIT ?`,
		remote, after, prefix, prefix, limit))
}

// ObjectsByAccess implements meta.Store.
func (s *Store) ObjectsByAccess(ctx context.Context, remote string, before time.Time, limit int) ([]meta.Object, error) {
	end := int64(1<<63 - 1)
	if !before.IsZero() {
		end = before.UnixNano()
	}
	return collectObjects(s.db.QueryContext(ctx, `SELECT `+objectCols+` FROM objects
		WHERE (? = '' OR remote = ?) AND last_access < ? ORDER BY last_access LIMIT ?`, remote, remote, end, limit))
}

func collectObjects(rows *sql.Rows, err error) ([]meta.Object, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []meta.Object{}
	for rows.Next() {
		o, err := scanObject(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// DeleteObjects implements meta.Store.
func (s *Store) DeleteObjects(ctx context.Context, remote, path, prefix string) ([]meta.Object, error) {
	var out []meta.Object
	err := s.tx(ctx, func(tx *sql.Tx) error {
		where, args := `remote = ? AND path = ?`, []any{remote, path}
		if path == "" {
			where, args = `remote = ? AND substr(path, 1, length(?)) = ?`, []any{remote, prefix, prefix}
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+objectCols+` FROM objects WHERE `+where, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			o, err := scanObject(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, o)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM objects WHERE `+where, args...)
		return err
	})
	return out, err
}

// BlobReferenced implements meta.Store.
func (s *Store) BlobReferenced(ctx context.Context, sha string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM objects WHERE sha256 = ? LIMIT 1)`, sha).Scan(&n)
	return n > 0, err
}

const usageSQL = `UPDATE objects SET hits = hits + ?, last_access = max(last_access, ?) WHERE remote = ? AND path = ?`

const trafficSQL = `INSERT INTO traffic (sec, remote, cache, requests, bytes, errors) VALUES (?, ?, ?, ?, ?, ?)
	ON CONFLICT (sec, remote, cache) DO UPDATE SET requests = requests + excluded.requests,
	bytes = bytes + excluded.bytes, errors = errors + excluded.errors`

// Record implements meta.Store.
//
// The usage goes in transactions of usageChunk rows: SQLite has one
// writer, and 50,000 updates in one transaction held it for 300 ms, which
// every fill committing meanwhile waited out. Between two chunks the
// waiting fills commit. Rows written before a failure stay written: usage
// is hit counts and times, and none is written twice.
func (s *Store) Record(ctx context.Context, b meta.Batch) error {
	defer s.wrote(len(b.Usage) + len(b.Counters) + len(b.Traffic))
	usage := b.Usage
	for len(usage) > usageChunk {
		chunk := usage[:usageChunk]
		if err := s.tx(ctx, func(tx *sql.Tx) error { return recordUsage(ctx, tx.StmtContext(ctx, s.usageStmt), chunk) }); err != nil {
			return err
		}
		usage = usage[usageChunk:]
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := recordUsage(ctx, tx.StmtContext(ctx, s.usageStmt), usage); err != nil {
			return err
		}
		for remote, c := range b.Counters {
			if _, err := tx.ExecContext(ctx, `INSERT INTO counters (remote, hits, misses, stale, revalidated, errors, bytes_served, bytes_fetched)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (remote) DO UPDATE SET
				hits = hits + excluded.hits, misses = misses + excluded.misses, stale = stale + excluded.stale,
				revalidated = revalidated + excluded.revalidated, errors = errors + excluded.errors,
				bytes_served = bytes_served + excluded.bytes_served, bytes_fetched = bytes_fetched + excluded.bytes_fetched`,
				remote, c.Hits, c.Misses, c.Stale, c.Revalidated, c.Errors, c.BytesServed, c.BytesFetched); err != nil {
				return fmt.Errorf("counters: %w", err)
			}
		}
		traffic := tx.StmtContext(ctx, s.trafficStmt)
		for _, t := range b.Traffic {
			if _, err := traffic.ExecContext(ctx, t.Second.Unix(), t.Remote, t.Cache, t.Requests, t.Bytes, t.Errors); err != nil {
				return fmt.Errorf("traffic: %w", err)
			}
		}
		return nil
	})
}

// usageChunk rows take SQLite about 5 ms to update.
const usageChunk = 1000

func recordUsage(ctx context.Context, stmt *sql.Stmt, usage []meta.Usage) error {
	for _, u := range usage {
		if _, err := stmt.ExecContext(ctx, u.Hits, nanos(u.LastAccess), u.Remote, u.Path); err != nil {
			return fmt.Errorf("usage: %w", err)
		}
	}
	return nil
}

// Stats implements meta.Store.
func (s *Store) Stats(ctx context.Context) (map[string]meta.RemoteStats, error) {
	out := map[string]meta.RemoteStats{}
	rows, err := s.db.QueryContext(ctx, `SELECT remote, hits, misses, stale, revalidated, errors, bytes_served, bytes_fetched FROM counters`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var name string
		var c meta.Counters
		if err := rows.Scan(&name, &c.Hits, &c.Misses, &c.Stale, &c.Revalidated, &c.Errors, &c.BytesServed, &c.BytesFetched); err != nil {
			rows.Close()
			return nil, err
		}
		out[name] = meta.RemoteStats{Counters: c}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.db.QueryContext(ctx, `SELECT remote, count(*), coalesce(sum(size), 0) FROM objects GROUP BY remote`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var n, size int64
		if err := rows.Scan(&name, &n, &size); err != nil {
			return nil, err
		}
		st := out[name]
		st.Objects, st.StoredBytes = n, size
		out[name] = st
	}
	return out, rows.Err()
}

// PruneTraffic implements meta.Store.
func (s *Store) PruneTraffic(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.exec(ctx, `DELETE FROM traffic WHERE sec < ?`, before.Unix())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// TrafficSeries implements meta.Store.
func (s *Store) TrafficSeries(ctx context.Context, since time.Time, step time.Duration) ([]meta.SeriesPoint, error) {
	st := max(int64(step/time.Second), 1)
	rows, err := s.db.QueryContext(ctx, `SELECT (sec / ?) * ? AS b, cache, sum(requests), sum(bytes), sum(errors)
		FROM traffic WHERE sec >= ? GROUP BY b, cache ORDER BY b`, st, st, since.Unix())
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
