package sqlite

import (
	"context"
	"time"

	"github.com/artifactapi/artifactapi/internal/meta"
)

const putBlobSQL = `INSERT INTO blobs (sha256, data, added) VALUES (?, ?, ?) ON CONFLICT (sha256) DO NOTHING`

// PutBlob implements meta.Store. Concurrent puts share one transaction
// with each other and with rows (see putWrites).
func (s *Store) PutBlob(ctx context.Context, sha string, data []byte) error {
	return s.writes.Do(ctx, meta.Write{Blob: &meta.SmallBlob{SHA256: sha, Data: data}})
}

// GetBlob implements meta.Store.
func (s *Store) GetBlob(ctx context.Context, sha string) ([]byte, error) {
	var data []byte
	err := s.db.QueryRowContext(ctx, `SELECT data FROM blobs WHERE sha256 = ?`, sha).Scan(&data)
	return data, notFound(err)
}

// BlobSize implements meta.Store.
func (s *Store) BlobSize(ctx context.Context, sha string) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT length(data) FROM blobs WHERE sha256 = ?`, sha).Scan(&n)
	return n, notFound(err)
}

// DeleteBlob implements meta.Store.
func (s *Store) DeleteBlob(ctx context.Context, sha string) error {
	_, err := s.exec(ctx, `DELETE FROM blobs WHERE sha256 = ?`, sha)
	return err
}

// WalkBlobs implements meta.Store. The list is read whole first: fn may
// use the database (the janitor's orphan check does).
func (s *Store) WalkBlobs(ctx context.Context, fn func(sha string, size int64, added time.Time)) error {
	rows, err := s.db.QueryContext(ctx, `SELECT sha256, length(data), added FROM blobs`)
	if err != nil {
		return err
	}
	type entry struct {
		sha   string
		size  int64
		added int64
	}
	var all []entry
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.sha, &e.size, &e.added); err != nil {
			rows.Close()
			return err
		}
		all = append(all, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, e := range all {
		fn(e.sha, e.size, fromNanos(e.added))
	}
	return nil
}

var _ meta.Store = (*Store)(nil)
