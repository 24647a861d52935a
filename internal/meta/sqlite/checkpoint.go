package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"os"
	"time"
)

// Checkpoints (copying the WAL's pages into the database file) run in a
// goroutine of the store's own, not in the commit that takes the WAL past
// SQLite's autocheckpoint threshold: that writer copied 1,000 pages while
// holding every other writer's turn, and copied them that often. Further
// apart, a page many fills dirty (an index leaf, a table's last page) is
// copied once for all of them: 64 goroutines committing small fills into
// 50,000 rows took 73 to 75 µs each with SQLite's checkpoints, 48 to 49 µs
// with these (BenchmarkFillCommits). A passive checkpoint takes no
// writer's turn; fills go on committing while it copies.
const (
	// checkpointRows written (rows, blobs, usage) start a checkpoint:
	// about 10,000 WAL pages (40 MB) of small fills.
	checkpointRows = 5000
	// checkpointIdle after a write with fewer rows, one starts anyway, so
	// a quiet store's readers do not carry a long WAL.
	checkpointIdle = time.Second
	// walFallbackPages: should the checkpoints fall behind, the writer
	// that takes the WAL past this many pages (128 MB) checkpoints itself,
	// as SQLite does by default at 1,000.
	walFallbackPages = 32000
	// walLimitBytes is what the WAL file is cut back to when it restarts:
	// one long checkpoint's growth is not kept on disk.
	walLimitBytes = 64 << 20
)

// wrote counts rows written and wakes the checkpointer every
// s.checkpointRows.
func (s *Store) wrote(rows int) {
	if s.unchecked.Add(int64(rows)) >= s.checkpointRows {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
}

// checkpoints runs until Close, on a connection of its own that never
// waits for a lock.
func (s *Store) checkpoints(conn *sql.Conn) {
	defer close(s.stopped)
	// Its busy_timeout of 0 must not go back to the pool with it: a writer
	// given it would fail at once where it should wait. ErrBadConn makes
	// database/sql close the connection instead.
	defer conn.Raw(func(any) error { return driver.ErrBadConn })
	ctx := context.Background()
	t := time.NewTicker(checkpointIdle)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-s.kick:
		case <-t.C:
			if s.unchecked.Load() == 0 {
				continue
			}
		}
		s.unchecked.Store(0)
		s.checkpoint(ctx, conn)
	}
}

// checkpoint copies the WAL into the database file and lets the next
// writer restart it from its beginning. A writer that began while the WAL
// held pages not yet copied cannot restart it, and under steady writes
// one always had: the WAL only grew. So the copying is done alongside the
// writers, again while they add to it, until what they add in one pass
// is small; that remainder is copied in a writer's turn, with no writer
// adding to it. The checkpoints are passive: they never wait for a
// reader, and one still on an older snapshot leaves the restart to the
// next round. An error (busy, closing) leaves the WAL to the next round
// too, or to the fallback.
func (s *Store) checkpoint(ctx context.Context, conn *sql.Conn) {
	if !s.catchUp(ctx, conn) {
		return
	}
	// Only a checkpoint that copies the whole WAL syncs the database
	// file: the one in the writer's turn would wait for the disk to take
	// every page the passes wrote (20 to 30 ms at 10,000 pages). Synced
	// here, alongside the writers, and caught up again with what they
	// wrote meanwhile, it has a few hundred pages to copy and sync.
	if f, err := os.Open(s.path); err == nil {
		f.Sync()
		f.Close()
	}
	if !s.catchUp(ctx, conn) {
		return
	}
	if s.lockWriter(ctx) == nil {
		conn.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
		s.unlockWriter()
	}
}

// catchUp copies the WAL in passive passes until a pass finds fewer than
// 1,000 pages added since the one before (four passes at most).
func (s *Store) catchUp(ctx context.Context, conn *sql.Conn) bool {
	const passes, enough = 4, 1000
	prev := -1
	for range passes {
		var busy, frames, copied int
		if err := conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied); err != nil || busy != 0 {
			return false
		}
		if added := frames - prev; frames < enough || (added >= 0 && added < enough) {
			break
		}
		prev = frames
	}
	return true
}
