package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/meta/metatest"
)

func TestConformance(t *testing.T) {
	metatest.Run(t, func(t *testing.T) meta.Store {
		s, err := Open(context.Background(), filepath.Join(t.TempDir(), "meta.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestMigrationsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	for range 2 {
		s, err := Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
}

// A database from before the traffic table keeps its history: the access
// rows are summed into it.
func TestAccessLogBecomesTraffic(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "meta.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	old := newStore(db)
	all := migrations
	migrations = metatest.Before(t, all, "CREATE TABLE traffic")
	err = old.migrate(ctx)
	migrations = all
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	for _, r := range metatest.LegacyAccessRows(at) {
		if _, err := db.ExecContext(ctx, `INSERT INTO access_log (at, remote, path, method, status, cache, bytes, duration_us, client)
			VALUES (?, 'r', ?, 'GET', ?, ?, ?, 1, '127.0.0.1')`, r.At.UnixNano(), r.Path, r.Status, r.Cache, r.Bytes); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	metatest.CheckLegacyTraffic(t, s, at)
}
