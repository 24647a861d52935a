package postgres

import (
	"context"
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
