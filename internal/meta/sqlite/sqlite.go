// Package sqlite is the embedded metadata store: one SQLite file in
// DATA_DIR, pure Go (modernc.org/sqlite), no cgo.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite" // also registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/artifactapi/artifactapi/internal/group"
	"github.com/artifactapi/artifactapi/internal/meta"
)

// Store is a meta.Store on SQLite.
type Store struct {
	db *sql.DB
	// The statements every fill runs, prepared once: parsing them again on
	// each call was a fifth of the CPU of filling many small objects.
	getStmt, putStmt *sql.Stmt
	// The recorder's: one usage update per object hit since the last
	// flush (parsing it per row tripled its cost), one traffic upsert per
	// second, remote and outcome.
	usageStmt, trafficStmt *sql.Stmt
	blobStmt               *sql.Stmt
	writes                 group.Group[meta.Write]
	// writer is held by this process's write transaction. Queued here,
	// writers take turns in order; queued in SQLite's busy handler, they
	// slept in growing steps (up to 100 ms) and whichever asked again
	// first won, so a writer of many transactions in a row (the usage
	// chunks) kept every fill out until it was done.
	writer chan struct{}
	// The checkpointer's (checkpoint.go): the database file, rows
	// written since the last checkpoint and how many start one, its
	// wake-up, and its end (Close may be called twice).
	path           string
	unchecked      atomic.Int64
	checkpointRows int64
	kick           chan struct{}
	stop, stopped  chan struct{}
	stopOnce       sync.Once
}

// Open opens (creating and migrating) the database file at path.
func Open(ctx context.Context, path string) (*Store, error) {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(1)",
		fmt.Sprintf("wal_autocheckpoint(%d)", walFallbackPages), fmt.Sprintf("journal_size_limit(%d)", walLimitBytes)} {
		q.Add("_pragma", p)
	}
	// Write transactions take the lock up front so two writers never
	// deadlock upgrading read locks.
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// As many idle as open: database/sql keeps two idle by default, so
	// under load every other query opened a connection (a file open, the
	// pragmas, and each prepared statement prepared again) and closed it.
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(time.Minute)
	s := newStore(db)
	s.path = path
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	for _, p := range []struct {
		stmt **sql.Stmt
		sql  string
	}{{&s.getStmt, getObjectSQL}, {&s.putStmt, putObjectSQL}, {&s.usageStmt, usageSQL}, {&s.trafficStmt, trafficSQL}, {&s.blobStmt, putBlobSQL}} {
		if *p.stmt, err = db.PrepareContext(ctx, p.sql); err != nil {
			s.closeStmts()
			db.Close()
			return nil, fmt.Errorf("prepare: %w", err)
		}
	}
	conn, err := db.Conn(ctx)
	if err == nil {
		_, err = conn.ExecContext(ctx, "PRAGMA busy_timeout = 0")
	}
	if err != nil {
		if conn != nil {
			conn.Close()
		}
		s.closeStmts()
		db.Close()
		return nil, fmt.Errorf("checkpoint connection: %w", err)
	}
	s.stop, s.stopped = make(chan struct{}), make(chan struct{})
	go s.checkpoints(conn)
	return s, nil
}

func newStore(db *sql.DB) *Store {
	s := &Store{db: db, writer: make(chan struct{}, 1), kick: make(chan struct{}, 1), checkpointRows: checkpointRows}
	s.writes.Write = s.putWrites
	return s
}

// Name implements meta.Store.
func (s *Store) Name() string { return "sqlite" }

// Ping implements meta.Store.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Close implements meta.Store.
func (s *Store) Close() error {
	if s.stop != nil {
		s.stopOnce.Do(func() { close(s.stop) })
		<-s.stopped
	}
	s.closeStmts()
	return s.db.Close()
}

// migrations are applied in order, each once; append, never edit.
var migrations = []string{
	`CREATE TABLE remotes (
		name TEXT PRIMARY KEY,
		package_type TEXT NOT NULL,
		config TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL
	);
	CREATE TABLE virtuals (
		name TEXT PRIMARY KEY,
		package_type TEXT NOT NULL,
		members TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL
	);
	CREATE TABLE objects (
		remote TEXT NOT NULL,
		path TEXT NOT NULL,
		sha256 TEXT NOT NULL,
		size INTEGER NOT NULL,
		mutable INTEGER NOT NULL,
		content_type TEXT NOT NULL,
		etag TEXT NOT NULL,
		last_modified TEXT NOT NULL,
		fetched_at INTEGER NOT NULL,
		expires_at INTEGER NOT NULL,
		last_access INTEGER NOT NULL,
		hits INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (remote, path)
	);
	CREATE INDEX objects_sha256 ON objects (sha256);
	CREATE TABLE counters (
		remote TEXT PRIMARY KEY,
		hits INTEGER NOT NULL DEFAULT 0,
		misses INTEGER NOT NULL DEFAULT 0,
		stale INTEGER NOT NULL DEFAULT 0,
		revalidated INTEGER NOT NULL DEFAULT 0,
		errors INTEGER NOT NULL DEFAULT 0,
		bytes_served INTEGER NOT NULL DEFAULT 0,
		bytes_fetched INTEGER NOT NULL DEFAULT 0
	);
	CREATE TABLE access_log (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		at INTEGER NOT NULL,
		remote TEXT NOT NULL,
		path TEXT NOT NULL,
		method TEXT NOT NULL,
		status INTEGER NOT NULL,
		cache TEXT NOT NULL,
		bytes INTEGER NOT NULL,
		duration_us INTEGER NOT NULL,
		client TEXT NOT NULL
	);
	CREATE INDEX access_log_at ON access_log (at);`,
	`CREATE TABLE tokens (
		name TEXT PRIMARY KEY,
		hash TEXT NOT NULL UNIQUE,
		repos TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		expires_at INTEGER NOT NULL
	);
	CREATE TABLE audit (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		at INTEGER NOT NULL,
		actor TEXT NOT NULL,
		action TEXT NOT NULL,
		target TEXT NOT NULL,
		status INTEGER NOT NULL,
		client TEXT NOT NULL
	);`,
	`CREATE INDEX objects_last_access ON objects (last_access);`,
	// A row per request cost more to write than the request did to serve
	// and grew without bound under load; traffic is summed per second.
	`CREATE TABLE traffic (
		sec INTEGER NOT NULL,
		remote TEXT NOT NULL,
		cache TEXT NOT NULL,
		requests INTEGER NOT NULL,
		bytes INTEGER NOT NULL,
		errors INTEGER NOT NULL,
		PRIMARY KEY (sec, remote, cache)
	) WITHOUT ROWID;
	INSERT INTO traffic (sec, remote, cache, requests, bytes, errors)
		SELECT at / 1000000000, remote, cache, count(*), sum(bytes), sum(status >= 500) FROM access_log GROUP BY 1, 2, 3;
	DROP TABLE access_log;`,
	// Small blobs beside their rows: a file per blob cost a miss more in
	// system calls than serving it did.
	`CREATE TABLE blobs (
		sha256 TEXT PRIMARY KEY,
		data BLOB NOT NULL,
		added INTEGER NOT NULL
	);`,
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for i, stmt := range migrations {
		version := i + 1
		err := s.tx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil || n > 0 {
				return err
			}
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, version, time.Now().UnixNano())
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %d: %w", version, err)
		}
	}
	return nil
}

func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	if err := s.lockWriter(ctx); err != nil {
		return err
	}
	defer s.unlockWriter()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (s *Store) lockWriter(ctx context.Context) error {
	select {
	case s.writer <- struct{}{}:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func (s *Store) unlockWriter() { <-s.writer }

// exec runs one writing statement, its own transaction, in its turn.
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := s.lockWriter(ctx); err != nil {
		return nil, err
	}
	defer s.unlockWriter()
	return s.db.ExecContext(ctx, query, args...)
}

func isUnique(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	return se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return meta.ErrNotFound
	}
	return err
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func (s *Store) closeStmts() {
	for _, st := range []*sql.Stmt{s.getStmt, s.putStmt, s.usageStmt, s.trafficStmt, s.blobStmt} {
		if st != nil {
			st.Close()
		}
	}
}
