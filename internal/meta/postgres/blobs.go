package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/artifactapi/artifactapi/internal/meta"
)

const putBlobSQL = `INSERT INTO blobs (sha256, data) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING`

// PutBlob implements meta.Store. Concurrent puts share one round trip
// with each other and with rows (see putWrites).
func (s *Store) PutBlob(ctx context.Context, sha string, data []byte) error {
	return s.writes.Do(ctx, meta.Write{Blob: &meta.SmallBlob{SHA256: sha, Data: data}})
}

// GetBlob implements meta.Store.
func (s *Store) GetBlob(ctx context.Context, sha string) ([]byte, error) {
	var data []byte
	err := s.pool.QueryRow(ctx, `SELECT data FROM blobs WHERE sha256 = $1`, sha).Scan(&data)
	return data, notFound(err)
}

// BlobSize implements meta.Store.
func (s *Store) BlobSize(ctx context.Context, sha string) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT octet_length(data) FROM blobs WHERE sha256 = $1`, sha).Scan(&n)
	return n, notFound(err)
}

// DeleteBlob implements meta.Store.
func (s *Store) DeleteBlob(ctx context.Context, sha string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM blobs WHERE sha256 = $1`, sha)
	return err
}

// WalkBlobs implements meta.Store. The list is read whole first: fn may
// use the database (the janitor's orphan check does).
func (s *Store) WalkBlobs(ctx context.Context, fn func(sha string, size int64, added time.Time)) error {
	type entry struct {
		sha   string
		size  int64
		added time.Time
	}
	rows, err := s.pool.Query(ctx, `SELECT sha256, octet_length(data), added FROM blobs`)
	if err != nil {
		return err
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (entry, error) {
		var e entry
		err := r.Scan(&e.sha, &e.size, &e.added)
		return e, err
	})
	if err != nil {
		return err
	}
	for _, e := range all {
		fn(e.sha, e.size, e.added)
	}
	return nil
}
