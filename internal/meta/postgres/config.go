package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/artifactapi/artifactapi/internal/meta"
)

// CreateRemote implements meta.Store. The whole remote is one jsonb
// document: new fields need no migration.
func (s *Store) CreateRemote(ctx context.Context, r meta.Remote) error {
	now := time.Now().UTC().Truncate(time.Microsecond)
	r.CreatedAt, r.UpdatedAt = now, now
	_, err := s.pool.Exec(ctx, `INSERT INTO remotes (name, package_type, config, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)`,
		r.Name, r.PackageType, r, now)
	if isUnique(err) {
		return fmt.Errorf("remote %q: %w", r.Name, meta.ErrExists)
	}
	return err
}

// GetRemote implements meta.Store.
func (s *Store) GetRemote(ctx context.Context, name string) (meta.Remote, error) {
	var r meta.Remote
	if err := s.pool.QueryRow(ctx, `SELECT config FROM remotes WHERE name = $1`, name).Scan(&r); err != nil {
		return meta.Remote{}, fmt.Errorf("remote %q: %w", name, notFound(err))
	}
	return r, nil
}

// ListRemotes implements meta.Store.
func (s *Store) ListRemotes(ctx context.Context) ([]meta.Remote, error) {
	rows, _ := s.pool.Query(ctx, `SELECT config FROM remotes ORDER BY name COLLATE "C"`)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (meta.Remote, error) {
		var r meta.Remote
		return r, row.Scan(&r)
	})
	if out == nil && err == nil {
		out = []meta.Remote{}
	}
	return out, err
}

// UpdateRemote implements meta.Store; CreatedAt is kept.
func (s *Store) UpdateRemote(ctx context.Context, r meta.Remote) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT created_at FROM remotes WHERE name = $1 FOR UPDATE`, r.Name).Scan(&r.CreatedAt); err != nil {
			return fmt.Errorf("remote %q: %w", r.Name, notFound(err))
		}
		r.CreatedAt = r.CreatedAt.UTC()
		r.UpdatedAt = time.Now().UTC().Truncate(time.Microsecond)
		_, err := tx.Exec(ctx, `UPDATE remotes SET package_type = $2, config = $3, updated_at = $4 WHERE name = $1`,
			r.Name, r.PackageType, r, r.UpdatedAt)
		return err
	})
}

// DeleteRemote implements meta.Store.
func (s *Store) DeleteRemote(ctx context.Context, name string) error {
	return s.deleteByName(ctx, "remotes", "remote", name)
}

func (s *Store) deleteByName(ctx context.Context, table, what, name string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM `+table+` WHERE name = $1`, name)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%s %q: %w", what, name, meta.ErrNotFound)
	}
	return nil
}

// CreateVirtual implements meta.Store.
func (s *Store) CreateVirtual(ctx context.Context, v meta.Virtual) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO virtuals (name, package_type, members, created_at, updated_at) VALUES ($1, $2, $3, now(), now())`,
		v.Name, v.PackageType, v.Members)
	if isUnique(err) {
		return fmt.Errorf("virtual %q: %w", v.Name, meta.ErrExists)
	}
	return err
}

const virtualCols = `name, package_type, members, created_at, updated_at`

func scanVirtual(row pgx.Row) (meta.Virtual, error) {
	var v meta.Virtual
	err := row.Scan(&v.Name, &v.PackageType, &v.Members, &v.CreatedAt, &v.UpdatedAt)
	v.CreatedAt, v.UpdatedAt = v.CreatedAt.UTC(), v.UpdatedAt.UTC()
	return v, err
}

// GetVirtual implements meta.Store.
func (s *Store) GetVirtual(ctx context.Context, name string) (meta.Virtual, error) {
	v, err := scanVirtual(s.pool.QueryRow(ctx, `SELECT `+virtualCols+` FROM virtuals WHERE name = $1`, name))
	if err != nil {
		return v, fmt.Errorf("virtual %q: %w", name, notFound(err))
	}
	return v, nil
}

// ListVirtuals implements meta.Store.
func (s *Store) ListVirtuals(ctx context.Context) ([]meta.Virtual, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+virtualCols+` FROM virtuals ORDER BY name COLLATE "C"`)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (meta.Virtual, error) { return scanVirtual(row) })
	if out == nil && err == nil {
		out = []meta.Virtual{}
	}
	return out, err
}

// UpdateVirtual implements meta.Store.
func (s *Store) UpdateVirtual(ctx context.Context, v meta.Virtual) error {
	tag, err := s.pool.Exec(ctx, `UPDATE virtuals SET package_type = $2, members = $3, updated_at = now() WHERE name = $1`,
		v.Name, v.PackageType, v.Members)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("virtual %q: %w", v.Name, meta.ErrNotFound)
	}
	return nil
}

// DeleteVirtual implements meta.Store.
func (s *Store) DeleteVirtual(ctx context.Context, name string) error {
	return s.deleteByName(ctx, "virtuals", "virtual", name)
}
