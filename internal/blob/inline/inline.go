// Package inline keeps small blobs in the metadata database, beside the
// rows that name them, and every other blob in the store it wraps.
//
// A package manager's requests are mostly for small files (a Go module's
// .info and .mod, a chart's provenance, many npm tarballs). As a file each
// cost a miss a create, a write, an fsync and a rename (on S3, a PUT):
// more system time than fetching and serving it. As a row it is one
// insert, and concurrent ones share a transaction.
package inline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/artifactapi/artifactapi/internal/blob"
	"github.com/artifactapi/artifactapi/internal/meta"
)

// Table is where the small blobs are kept: the metadata store.
type Table interface {
	PutBlob(ctx context.Context, sha string, data []byte) error
	PutObjectBlob(ctx context.Context, o meta.Object, data []byte) error
	GetBlob(ctx context.Context, sha string) ([]byte, error)
	BlobSize(ctx context.Context, sha string) (int64, error)
	DeleteBlob(ctx context.Context, sha string) error
	WalkBlobs(ctx context.Context, fn func(sha string, size int64, added time.Time)) error
}

// Store is a blob.Store that keeps blobs of at most max bytes in a Table.
type Store struct {
	table Table
	next  blob.Store
	max   int64
}

// New keeps blobs up to max bytes in table and the rest in next. The
// returned store commits spool files by rename when next can (see
// fetch.Adopter).
func New(table Table, next blob.Store, max int64) blob.Store {
	s := &Store{table: table, next: next, max: max}
	if a, ok := next.(adopter); ok {
		return &adopting{Store: s, a: a}
	}
	return s
}

// Name implements blob.Store: the store the large blobs go to.
func (s *Store) Name() string { return s.next.Name() }

// Put implements blob.Store. A blob of unknown size is read up to max
// bytes before it is known which store takes it.
func (s *Store) Put(ctx context.Context, r io.Reader, want blob.Expect) (blob.Info, error) {
	if want.SHA256 != "" && !blob.ValidDigest(want.SHA256) {
		return blob.Info{}, blob.ErrBadDigest
	}
	if want.Size > s.max {
		return s.next.Put(ctx, r, want)
	}
	data, err := io.ReadAll(io.LimitReader(r, s.max+1))
	if err != nil {
		return blob.Info{}, fmt.Errorf("blob read: %w", err)
	}
	if int64(len(data)) > s.max {
		return s.next.Put(ctx, io.MultiReader(bytes.NewReader(data), r), want)
	}
	sum := sha256.Sum256(data)
	info := blob.Info{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))}
	if err := want.Verify(info); err != nil {
		return blob.Info{}, err
	}
	if err := s.table.PutBlob(ctx, info.SHA256, data); err != nil {
		return blob.Info{}, fmt.Errorf("blob insert: %w", err)
	}
	return info, nil
}

// Inlines reports whether a blob of size bytes is kept in the table.
func (s *Store) Inlines(size int64) bool { return size <= s.max }

// PutWithRow stores data, a blob the table keeps (Inlines) whose digest
// the caller verified as o.SHA256, and o, the row naming it, in one
// transaction: a small fill's commit is one write to the database, and
// neither lands without the other.
func (s *Store) PutWithRow(ctx context.Context, o meta.Object, data []byte) error {
	if !s.Inlines(int64(len(data))) || !blob.ValidDigest(o.SHA256) {
		return fmt.Errorf("blob of %d bytes (%.12s) is not the table's", len(data), o.SHA256)
	}
	if err := s.table.PutObjectBlob(ctx, o, data); err != nil {
		return fmt.Errorf("blob and row insert: %w", err)
	}
	return nil
}

// Open implements blob.Store: the table first, where the blobs most asked
// for are. A blob the table cannot be asked for (the database is down) is
// still served from the wrapped store when it is there.
func (s *Store) Open(ctx context.Context, sha string) (io.ReadSeekCloser, blob.Info, error) {
	if !blob.ValidDigest(sha) {
		return nil, blob.Info{}, blob.ErrBadDigest
	}
	data, err := s.table.GetBlob(ctx, sha)
	if err == nil {
		return nopCloser{bytes.NewReader(data)}, blob.Info{SHA256: sha, Size: int64(len(data))}, nil
	}
	rc, info, nerr := s.next.Open(ctx, sha)
	if nerr == nil || errors.Is(err, meta.ErrNotFound) {
		return rc, info, nerr
	}
	if errors.Is(nerr, blob.ErrNotFound) {
		// Not "not found": the row naming it must not be dropped for it.
		return nil, blob.Info{}, fmt.Errorf("blob read: %w", err)
	}
	return nil, blob.Info{}, nerr
}

// OpenSized implements blob.SizedOpener: a blob too large for the table is
// not looked for there (a database round trip before every large hit, and
// no hit at all while the database is down).
func (s *Store) OpenSized(ctx context.Context, sha string, size int64) (io.ReadSeekCloser, blob.Info, error) {
	if size > s.max {
		return s.next.Open(ctx, sha)
	}
	return s.Open(ctx, sha)
}

// Stat implements blob.Store.
func (s *Store) Stat(ctx context.Context, sha string) (blob.Info, error) {
	if !blob.ValidDigest(sha) {
		return blob.Info{}, blob.ErrBadDigest
	}
	n, err := s.table.BlobSize(ctx, sha)
	if err == nil {
		return blob.Info{SHA256: sha, Size: n}, nil
	}
	info, nerr := s.next.Stat(ctx, sha)
	if nerr == nil || errors.Is(err, meta.ErrNotFound) {
		return info, nerr
	}
	if errors.Is(nerr, blob.ErrNotFound) {
		return blob.Info{}, fmt.Errorf("blob stat: %w", err)
	}
	return blob.Info{}, nerr
}

// Delete implements blob.Store: from both, as a blob stored in the wrapped
// store by a rename (Adopt) may be small too.
func (s *Store) Delete(ctx context.Context, sha string) error {
	if !blob.ValidDigest(sha) {
		return blob.ErrBadDigest
	}
	if err := s.table.DeleteBlob(ctx, sha); err != nil {
		return fmt.Errorf("blob delete: %w", err)
	}
	return s.next.Delete(ctx, sha)
}

// Check implements blob.Store; the table is the metadata store, which the
// health check asks itself.
func (s *Store) Check(ctx context.Context) error { return s.next.Check(ctx) }

// Walk lists both stores' blobs (the janitor collects orphans from it).
func (s *Store) Walk(fn func(sha string, size int64, mod time.Time)) error {
	if err := s.table.WalkBlobs(context.Background(), fn); err != nil {
		return err
	}
	if w, ok := s.next.(interface {
		Walk(func(string, int64, time.Time)) error
	}); ok {
		return w.Walk(fn)
	}
	return nil
}

// Close closes the wrapped store when it holds anything open.
func (s *Store) Close() error {
	if c, ok := s.next.(interface{ Close() error }); ok {
		return c.Close()
	}
	return nil
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// adopter is a store that commits a verified local file by rename.
type adopter interface {
	TempDir() string
	Adopt(ctx context.Context, f *os.File, info blob.Info) error
}

// adopting is a Store over one: a fill spooled in a file is committed to
// the wrapped store by rename, whatever its size.
type adopting struct {
	*Store
	a adopter
}

func (s *adopting) TempDir() string { return s.a.TempDir() }

func (s *adopting) Adopt(ctx context.Context, f *os.File, info blob.Info) error {
	return s.a.Adopt(ctx, f, info)
}
