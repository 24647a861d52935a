package secrets

import (
	"context"
	"fmt"

	"github.com/artifactapi/artifactapi/internal/meta"
)

// Store is a metadata store whose remotes' credentials are sealed on the
// way in and opened on the way out; everything else passes through.
type Store struct {
	meta.Store
	Keys *Keyring
}

// fields are the credentials of a remote, by the name that binds them.
func fields(r *meta.Remote) map[string]*string {
	return map[string]*string{"username": &r.Username, "password": &r.Password, "token": &r.Token}
}

func (s *Store) seal(r meta.Remote) (meta.Remote, error) {
	for name, f := range fields(&r) {
		v, err := s.Keys.Seal(*f, r.Name+"/"+name)
		if err != nil {
			return r, err
		}
		*f = v
	}
	return r, nil
}

func (s *Store) open(r meta.Remote) (meta.Remote, error) {
	for name, f := range fields(&r) {
		v, err := s.Keys.Open(*f, r.Name+"/"+name)
		if err != nil {
			return r, fmt.Errorf("remote %s: %w", r.Name, err)
		}
		*f = v
	}
	return r, nil
}

// CreateRemote implements meta.Store.
func (s *Store) CreateRemote(ctx context.Context, r meta.Remote) error {
	r, err := s.seal(r)
	if err != nil {
		return err
	}
	return s.Store.CreateRemote(ctx, r)
}

// UpdateRemote implements meta.Store.
func (s *Store) UpdateRemote(ctx context.Context, r meta.Remote) error {
	r, err := s.seal(r)
	if err != nil {
		return err
	}
	return s.Store.UpdateRemote(ctx, r)
}

// GetRemote implements meta.Store.
func (s *Store) GetRemote(ctx context.Context, name string) (meta.Remote, error) {
	r, err := s.Store.GetRemote(ctx, name)
	if err != nil {
		return r, err
	}
	return s.open(r)
}

// ListRemotes implements meta.Store.
func (s *Store) ListRemotes(ctx context.Context) ([]meta.Remote, error) {
	rs, err := s.Store.ListRemotes(ctx)
	if err != nil {
		return nil, err
	}
	for i := range rs {
		if rs[i], err = s.open(rs[i]); err != nil {
			return nil, err
		}
	}
	return rs, nil
}

// Reseal rewrites every remote whose credentials are plain (stored before
// encryption) or sealed with an older key, so a rotated-out key can be
// dropped from SECRETS_KEY afterwards. It returns how many it rewrote.
func (s *Store) Reseal(ctx context.Context) (int, error) {
	raw, err := s.Store.ListRemotes(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range raw {
		if s.Keys.Current(r.Username) && s.Keys.Current(r.Password) && s.Keys.Current(r.Token) {
			continue
		}
		plain, err := s.open(r)
		if err != nil {
			return n, err
		}
		if err := s.UpdateRemote(ctx, plain); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
