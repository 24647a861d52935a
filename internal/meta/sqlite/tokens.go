package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/artifactapi/artifactapi/internal/meta"
)

// CreateToken implements meta.Store.
func (s *Store) CreateToken(ctx context.Context, t meta.Token) error {
	repos, err := json.Marshal(nonNil(t.Repos))
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `INSERT INTO tokens (name, hash, repos, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		t.Name, t.Hash, string(repos), nanos(t.CreatedAt), nanos(t.ExpiresAt))
	if isUnique(err) {
		return fmt.Errorf("token %q: %w", t.Name, meta.ErrExists)
	}
	return err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type scanner interface{ Scan(...any) error }

func scanToken(row scanner) (meta.Token, error) {
	var t meta.Token
	var repos string
	var created, expires int64
	if err := row.Scan(&t.Name, &t.Hash, &repos, &created, &expires); err != nil {
		return t, err
	}
	t.CreatedAt, t.ExpiresAt = fromNanos(created), fromNanos(expires)
	return t, json.Unmarshal([]byte(repos), &t.Repos)
}

// ListTokens implements meta.Store.
func (s *Store) ListTokens(ctx context.Context) ([]meta.Token, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, hash, repos, created_at, expires_at FROM tokens ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []meta.Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// TokenByHash implements meta.Store.
func (s *Store) TokenByHash(ctx context.Context, hash string) (meta.Token, error) {
	t, err := scanToken(s.db.QueryRowContext(ctx, `SELECT name, hash, repos, created_at, expires_at FROM tokens WHERE hash = ?`, hash))
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
	_, err := s.exec(ctx, `INSERT INTO audit (at, actor, action, target, status, client) VALUES (?, ?, ?, ?, ?, ?)`,
		nanos(e.Time), e.Actor, e.Action, e.Target, e.Status, e.Client)
	return err
}

// ListAudit implements meta.Store.
func (s *Store) ListAudit(ctx context.Context, before int64, limit int) ([]meta.AuditEntry, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, at, actor, action, target, status, client FROM audit WHERE id < ? ORDER BY id DESC LIMIT ?`, before, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []meta.AuditEntry{}
	for rows.Next() {
		var e meta.AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Target, &e.Status, &e.Client); err != nil {
			return nil, err
		}
		e.Time = fromNanos(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
