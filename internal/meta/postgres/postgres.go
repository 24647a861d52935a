// Package postgres is the metadata store for many replicas: PostgreSQL
// through pgx, schema migrated at start under an advisory lock so replicas
// starting together apply each migration once.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/artifactapi/artifactapi/internal/group"
	"github.com/artifactapi/artifactapi/internal/meta"
)

// Store is a meta.Store on PostgreSQL.
type Store struct {
	pool   *pgxpool.Pool
	writes group.Group[meta.Write]
	gets   group.Group[*get]
}

// Open connects to dsn (a postgres:// URL or key=value string), checks the
// connection and applies pending migrations.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres config: %w", err)
	}
	cfg.MaxConns = 16
	cfg.MaxConnIdleTime = time.Minute
	cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Store{pool: pool}
	s.writes.Write = s.putWrites
	s.gets.Write = s.getBatch
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Name implements meta.Store.
func (s *Store) Name() string { return "postgres" }

// Ping implements meta.Store.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// Close implements meta.Store.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// migrationLock is the advisory lock key that serialises migrations
// across replicas ("artifact" in ASCII).
const migrationLock = 0x6172746966616374

// migrate applies every pending migration in one transaction holding the
// advisory lock: a replica that waits for it then sees them applied.
func (s *Store) migrate(ctx context.Context) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
			return fmt.Errorf("migrate: lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		var applied int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&applied); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if applied > len(migrations) {
			return fmt.Errorf("migrate: database schema version %d is newer than this build's %d", applied, len(migrations))
		}
		for i := applied; i < len(migrations); i++ {
			if _, err := tx.Exec(ctx, migrations[i]); err != nil {
				return fmt.Errorf("migration %d: %w", i+1, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, i+1); err != nil {
				return fmt.Errorf("migration %d: %w", i+1, err)
			}
		}
		return nil
	})
}

// migrations are applied in order, each once; append, never edit. Paths
// use the C collation so that ordering and prefix ranges are bytewise, as
// in the embedded store.
var migrations = []string{
	`CREATE TABLE remotes (
		name text PRIMARY KEY,
		package_type text NOT NULL,
		config jsonb NOT NULL,
		created_at timestamptz NOT NULL,
		updated_at timestamptz NOT NULL
	);
	CREATE TABLE virtuals (
		name text PRIMARY KEY,
		package_type text NOT NULL,
		members jsonb NOT NULL,
		created_at timestamptz NOT NULL,
		updated_at timestamptz NOT NULL
	);
	CREATE TABLE objects (
		remote text NOT NULL,
		path text COLLATE "C" NOT NULL,
		sha256 text NOT NULL,
		size bigint NOT NULL,
		mutable boolean NOT NULL,
		content_type text NOT NULL,
		etag text NOT NULL,
		last_modified text NOT NULL,
		fetched_at timestamptz,
		expires_at timestamptz,
		last_access timestamptz,
		hits bigint NOT NULL DEFAULT 0,
		PRIMARY KEY (remote, path)
	);
	CREATE INDEX objects_sha256 ON objects (sha256);
	CREATE TABLE counters (
		remote text PRIMARY KEY,
		hits bigint NOT NULL DEFAULT 0,
		misses bigint NOT NULL DEFAULT 0,
		stale bigint NOT NULL DEFAULT 0,
		revalidated bigint NOT NULL DEFAULT 0,
		errors bigint NOT NULL DEFAULT 0,
		bytes_served bigint NOT NULL DEFAULT 0,
		bytes_fetched bigint NOT NULL DEFAULT 0
	);
	CREATE TABLE access_log (
		id bigserial PRIMARY KEY,
		at timestamptz NOT NULL,
		remote text NOT NULL,
		path text NOT NULL,
		method text NOT NULL,
		status integer NOT NULL,
		cache text NOT NULL,
		bytes bigint NOT NULL,
		duration_us bigint NOT NULL,
		client text NOT NULL
	);
	CREATE INDEX access_log_at ON access_log (at);`,
	`CREATE TABLE tokens (
		name text PRIMARY KEY,
		hash text NOT NULL UNIQUE,
		repos jsonb NOT NULL,
		created_at timestamptz NOT NULL,
		expires_at timestamptz
	);
	CREATE TABLE audit (
		id bigserial PRIMARY KEY,
		at timestamptz NOT NULL,
		actor text NOT NULL,
		action text NOT NULL,
		target text NOT NULL,
		status integer NOT NULL,
		client text NOT NULL
	);`,
	`CREATE INDEX objects_last_access ON objects (last_access);`,
	// A row per request cost more to write than the request did to serve
	// and grew without bound under load; traffic is summed per second.
	`CREATE TABLE traffic (
		sec bigint NOT NULL,
		remote text NOT NULL,
		cache text NOT NULL,
		requests bigint NOT NULL,
		bytes bigint NOT NULL,
		errors bigint NOT NULL,
		PRIMARY KEY (sec, remote, cache)
	);
	INSERT INTO traffic (sec, remote, cache, requests, bytes, errors)
		SELECT floor(extract(epoch FROM at))::bigint, remote, cache, count(*), sum(bytes), count(*) FILTER (WHERE status >= 500)
		FROM access_log GROUP BY 1, 2, 3;
	DROP TABLE access_log;`,
	// Small blobs beside their rows: an S3 PUT per blob cost a miss more
	// than serving it did. Stored as they are: they are mostly compressed
	// already, and trying to compress each again is wasted work.
	`CREATE TABLE blobs (
		sha256 text PRIMARY KEY,
		data bytea NOT NULL,
		added timestamptz NOT NULL DEFAULT now()
	);
	ALTER TABLE blobs ALTER COLUMN data SET STORAGE EXTERNAL;`,
}

func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// retryable reports a deadlock or serialisation failure, which two replicas
// flushing overlapping batches can meet; the transaction is simply rerun.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return meta.ErrNotFound
	}
	return err
}

// ts maps the zero time to NULL and back.
func ts(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func fromTS(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}
