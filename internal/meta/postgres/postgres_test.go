package postgres

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/meta/metatest"
	"github.com/artifactapi/artifactapi/internal/testenv"
)

func open(t *testing.T, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	metatest.Run(t, func(t *testing.T) meta.Store { return open(t, testenv.Postgres(t)) })
}

// Replicas starting together race to migrate: each migration must still be
// applied exactly once and every start must succeed.
func TestConcurrentMigrations(t *testing.T) {
	dsn := testenv.Postgres(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			s, err := Open(context.Background(), dsn)
			if err != nil {
				t.Error(err)
				return
			}
			s.Close()
		})
	}
	wg.Wait()
	s := open(t, dsn)
	var n, max int
	if err := s.pool.QueryRow(context.Background(), `SELECT count(*), max(version) FROM schema_migrations`).Scan(&n, &max); err != nil {
		t.Fatal(err)
	}
	if n != len(migrations) || max != len(migrations) {
		t.Fatalf("schema_migrations has %d rows up to %d, want %d", n, max, len(migrations))
	}
}

// A database from before the traffic table keeps its history: the access
// rows are summed into it.
func TestAccessLogBecomesTraffic(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.Postgres(t)
	all := migrations
	migrations = metatest.Before(t, all, "CREATE TABLE traffic")
	old, err := Open(ctx, dsn)
	migrations = all
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	for _, r := range metatest.LegacyAccessRows(at) {
		if _, err := old.pool.Exec(ctx, `INSERT INTO access_log (at, remote, path, method, status, cache, bytes, duration_us, client)
			VALUES ($1, 'r', $2, 'GET', $3, $4, $5, 1, '127.0.0.1')`, r.At, r.Path, r.Status, r.Cache, r.Bytes); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()
	s := open(t, dsn)
	metatest.CheckLegacyTraffic(t, s, at)
}

// A batch goes out as a statement per blob and row, or, when large, as
// one statement for its blobs and one for its rows. Either way a row or
// blob named twice in it is written once (the later row wins, as one
// write after the other would), rows without timestamps keep them null,
// and a refill keeps the row's usage.
// The large form is reached by padding the batch with rows and blobs of
// their own, arraysFrom of each.
func TestBatchWrites(t *testing.T) {
	for name, pad := range map[string]int{"each": 0, "arrays": arraysFrom} {
		t.Run(name, func(t *testing.T) {
			testBatchWrites(t, open(t, testenv.Postgres(t)), pad)
		})
	}
}

func testBatchWrites(t *testing.T, s *Store, pad int) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	used := meta.Object{Remote: "r", Path: "used", SHA256: "old", Size: 1, FetchedAt: now, LastAccess: now, Hits: 7}
	if err := s.putWrites(ctx, []meta.Write{{Object: &used}}); err != nil {
		t.Fatal(err)
	}
	later := now.Add(time.Minute)
	batch := []meta.Write{
		{Object: &meta.Object{Remote: "r", Path: "twice", SHA256: "first", Size: 1, FetchedAt: now}, Blob: &meta.SmallBlob{SHA256: "first", Data: []byte("1")}},
		{Object: &meta.Object{Remote: "r", Path: "used", SHA256: "new", Size: 2, FetchedAt: later, ContentType: "text/plain"}},
		{Blob: &meta.SmallBlob{SHA256: "first", Data: []byte("1")}},
		{Object: &meta.Object{Remote: "r", Path: "twice", SHA256: "second", Size: 2, FetchedAt: later}, Blob: &meta.SmallBlob{SHA256: "second", Data: []byte("22")}},
		{Object: &meta.Object{Remote: "q", Path: "untimed", SHA256: "second", Size: 2}},
	}
	for i := range pad {
		sha := fmt.Sprint("pad", i)
		batch = append(batch, meta.Write{Object: &meta.Object{Remote: "p", Path: sha, SHA256: sha, Size: 1, FetchedAt: now},
			Blob: &meta.SmallBlob{SHA256: sha, Data: []byte("p")}})
	}
	if err := s.putWrites(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if o, err := s.GetObject(ctx, "r", "twice"); err != nil || o.SHA256 != "second" || o.Size != 2 || !o.FetchedAt.Equal(later) {
		t.Fatalf("row written twice in a batch: %+v %v, want the later write", o, err)
	}
	if o, err := s.GetObject(ctx, "r", "used"); err != nil || o.SHA256 != "new" || o.ContentType != "text/plain" || o.Hits != 7 || !o.LastAccess.Equal(now) {
		t.Fatalf("refilled row: %+v %v, want the new content with its usage kept", o, err)
	}
	if o, err := s.GetObject(ctx, "q", "untimed"); err != nil || !o.FetchedAt.IsZero() || !o.ExpiresAt.IsZero() || !o.LastAccess.IsZero() {
		t.Fatalf("row without timestamps: %+v %v", o, err)
	}
	for sha, want := range map[string]string{"first": "1", "second": "22"} {
		if got, err := s.GetBlob(ctx, sha); err != nil || string(got) != want {
			t.Fatalf("blob %s: %q %v", sha, got, err)
		}
	}
	if pad > 0 {
		if o, err := s.GetObject(ctx, "p", fmt.Sprint("pad", pad-1)); err != nil || o.SHA256 != fmt.Sprint("pad", pad-1) {
			t.Fatalf("padding row: %+v %v", o, err)
		}
	}
}
