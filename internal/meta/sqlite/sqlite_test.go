package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
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

// Under steady writes the WAL is copied back and restarted from its
// beginning: its file stays within a few checkpoints' pages, where
// without the checkpointer's turn it grew to walFallbackPages (128 MB).
func TestWALStaysBoundedUnderSteadyWrites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.checkpointRows = 200 // 100 fills: about 1.6 MB of WAL
	data := make([]byte, 1024)
	var n atomic.Int64
	var largest atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for {
				i := n.Add(1)
				if i > 8000 {
					return
				}
				sum := sha256.Sum256(fmt.Appendf(nil, "%d", i))
				o := meta.Object{Remote: "r", Path: fmt.Sprintf("p/%d", i), SHA256: hex.EncodeToString(sum[:]), Size: 1024, FetchedAt: time.Now()}
				if err := s.PutObjectBlob(ctx, o, data); err != nil {
					t.Error(err)
					return
				}
				if fi, err := os.Stat(path + "-wal"); err == nil {
					for cur := largest.Load(); fi.Size() > cur && !largest.CompareAndSwap(cur, fi.Size()); cur = largest.Load() {
					}
				}
			}
		})
	}
	wg.Wait()
	// 8,000 fills wrote about 130 MB of WAL pages.
	if got := largest.Load(); got > 24<<20 {
		t.Fatalf("WAL grew to %d MB under steady writes", got>>20)
	}
	t.Logf("largest WAL: %.1f MB", float64(largest.Load())/(1<<20))
}
