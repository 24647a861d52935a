package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/artifactapi/artifactapi/internal/meta"
)

// CreateToken implements meta.Store.
func (s *Store) CreateToken(ctx context.Context, t meta.Token) error {
	repos := t.Repos
	if repos == nil {
		repos = []string{}
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO tokens (name, hash, repos, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		t.Name, t.Hash, repos, t.CreatedAt.UTC(), ts(t.ExpiresAt))
	if isUnique(err) {
		return fmt.Errorf("token %q: %w", t.Name, meta.ErrExists)
	}
	return err
}

func scanToken(row pgx.Row) (meta.Token, error) {
	var t meta.Token
	var expires *time.Time
	if err := row.Scan(&t.Name, &t.Hash, &t.Repos, &t.CreatedAt, &expires); err != nil {
		return t, err
	}
	t.CreatedAt, t.ExpiresAt = t.CreatedAt.UTC(), fromTS(expires)
	return t, nil
}

// ListTokens implements meta.Store.
func (s *Store) ListTokens(ctx context.Context) ([]meta.Token, error) {
	rows, _ := s.pool.Query(ctx, `SELECT name, hash, repos, created_at, expires_at FROM tokens ORDER BY name COLLATE "C"`)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (meta.Token, error) { return scanToken(row) })
	if out == nil && err == nil {
		out = []meta.Token{}
	}
	return out, err
}

// TokenByHash implements meta.Store.
func (s *Store) TokenByHash(ctx context.Context, hash string) (meta.Token, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, `SELECT name, hash, repos, created_at, expires_at FROM tokens WHERE hash = $1`, hash))
	if err != nil {
		return t, fmt.Errorf("token: %w", notFound(err))
	}
	return t, nil
}

// DeleteToken implements meta.Store.
func (s *Store) DeleteToken(ctx context.Context, name string) error {
	return s.deleteByName(ctx, "tokens", "token", name)
}

// AppendAudit implements meta.Store.
func (s *Store) AppendAudit(ctx context.Context, e meta.AuditEntry) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO audit (at, actor, action, target, status, client) VALUES ($1, $2, $3, $4, $5, $6)`,
		e.Time.UTC(), e.Actor, e.Action, e.Target, e.Status, e.Client)
	return err
}

// ListAudit implements meta.Store.
func (s *Store) ListAudit(ctx context.Context, before int64, limit int) ([]meta.AuditEntry, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, _ := s.pool.Query(ctx, `SELECT id, at, actor, action, target, status, client FROM audit WHERE id < $1 ORDER BY id DESC LIMIT $2`, before, limit)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (meta.AuditEntry, error) {
		var e meta.AuditEntry
		err := row.Scan(&e.ID, &e.Time, &e.Actor, &e.Action, &e.Target, &e.Status, &e.Client)
		e.Time = e.Time.UTC()
		return e, err
	})
	if out == nil && err == nil {
		out = []meta.AuditEntry{}
	}
	return out, err
}
