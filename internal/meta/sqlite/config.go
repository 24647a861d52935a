package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/artifactapi/artifactapi/internal/meta"
)

// CreateRemote implements meta.Store.
func (s *Store) CreateRemote(ctx context.Context, r meta.Remote) error {
	now := time.Now().UTC()
	r.CreatedAt, r.UpdatedAt = now, now
	cfg, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `INSERT INTO remotes (name, package_type, config, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
		r.Name, r.PackageType, string(cfg), now.UnixNano(), now.UnixNano())
	if isUnique(err) {
		return fmt.Errorf("remote %q: %w", r.Name, meta.ErrExists)
	}
	return err
}

// GetRemote implements meta.Store.
func (s *Store) GetRemote(ctx context.Context, name string) (meta.Remote, error) {
	var cfg string
	if err := s.db.QueryRowContext(ctx, `SELECT config FROM remotes WHERE name = ?`, name).Scan(&cfg); err != nil {
		return meta.Remote{}, fmt.Errorf("remote %q: %w", name, notFound(err))
	}
	var r meta.Remote
	return r, json.Unmarshal([]byte(cfg), &r)
}

// ListRemotes implements meta.Store.
func (s *Store) ListRemotes(ctx context.Context) ([]meta.Remote, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT config FROM remotes ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []meta.Remote{}
	for rows.Next() {
		var cfg string
		if err := rows.Scan(&cfg); err != nil {
			return nil, err
		}
		var r meta.Remote
		if err := json.Unmarshal([]byte(cfg), &r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// UpdateRemote implements meta.Store; CreatedAt is kept.
func (s *Store) UpdateRemote(ctx context.Context, r meta.Remote) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var created int64
		if err := tx.QueryRowContext(ctx, `SELECT created_at FROM remotes WHERE name = ?`, r.Name).Scan(&created); err != nil {
			return fmt.Errorf("remote %q: %w", r.Name, notFound(err))
		}
		r.CreatedAt, r.UpdatedAt = fromNanos(created), time.Now().UTC()
		cfg, err := json.Marshal(r)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE remotes SET package_type = ?, config = ?, updated_at = ? WHERE name = ?`,
			r.PackageType, string(cfg), r.UpdatedAt.UnixNano(), r.Name)
		return err
	})
}

// DeleteRemote implements meta.Store.
func (s *Store) DeleteRemote(ctx context.Context, name string) error {
	return s.deleteByName(ctx, "remotes", "remote", name)
}

func (s *Store) deleteByName(ctx context.Context, table, what, name string) error {
	res, err := s.exec(ctx, `DELETE FROM `+table+` WHERE name = ?`, name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%s %q: %w", what, name, meta.ErrNotFound)
	}
	return nil
}

// CreateVirtual implements meta.Store.
func (s *Store) CreateVirtual(ctx context.Context, v meta.Virtual) error {
	members, err := json.Marshal(v.Members)
	if err != nil {
		return err
	}
	now := time.Now().UnixNano()
	_, err = s.exec(ctx, `INSERT INTO virtuals (name, package_type, members, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
		v.Name, v.PackageType, string(members), now, now)
	if isUnique(err) {
		return fmt.Errorf("virtual %q: %w", v.Name, meta.ErrExists)
	}
	return err
}

const virtualCols = `name, package_type, members, created_at, updated_at`

func scanVirtual(row interface{ Scan(...any) error }) (meta.Virtual, error) {
	var v meta.Virtual
	var members string
	var created, updated int64
	if err := row.Scan(&v.Name, &v.PackageType, &members, &created, &updated); err != nil {
		return v, err
	}
	v.CreatedAt, v.UpdatedAt = fromNanos(created), fromNanos(updated)
	return v, json.Unmarshal([]byte(members), &v.Members)
}

// GetVirtual implements meta.Store.
func (s *Store) GetVirtual(ctx context.Context, name string) (meta.Virtual, error) {
	v, err := scanVirtual(s.db.QueryRowContext(ctx, `SELECT `+virtualCols+` FROM virtuals WHERE name = ?`, name))
	if err != nil {
		return v, fmt.Errorf("virtual %q: %w", name, notFound(err))
	}
	return v, nil
}

// ListVirtuals implements meta.Store.
func (s *Store) ListVirtuals(ctx context.Context) ([]meta.Virtual, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+virtualCols+` FROM virtuals ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []meta.Virtual{}
	for rows.Next() {
		v, err := scanVirtual(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// UpdateVirtual implements meta.Store.
func (s *Store) UpdateVirtual(ctx context.Context, v meta.Virtual) error {
	members, err := json.Marshal(v.Members)
	if err != nil {
		return err
	}
	res, err := s.exec(ctx, `UPDATE virtuals SET package_type = ?, members = ?, updated_at = ? WHERE name = ?`,
		v.PackageType, string(members), time.Now().UnixNano(), v.Name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("virtual %q: %w", v.Name, meta.ErrNotFound)
	}
	return nil
}

// DeleteVirtual implements meta.Store.
func (s *Store) DeleteVirtual(ctx context.Context, name string) error {
	return s.deleteByName(ctx, "virtuals", "virtual", name)
}
