package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/fetch"
	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/registry"
)

// merger returns the type's Merger, and the path in the representation
// the client asked for, when a virtual of that type merges it.
func (s *Server) merger(v meta.Virtual, r *http.Request, path string) (format.Merger, string, bool) {
	t, ok := s.reg.Types().Get(v.PackageType)
	if !ok {
		return nil, "", false
	}
	m, ok := t.(format.Merger)
	if !ok {
		return nil, "", false
	}
	if n, ok := t.(format.Negotiator); ok {
		path = n.Variant(path, r.Header)
	}
	return m, path, m.Merges(path)
}

// serveMerged answers a virtual's merged index: each member's own copy is
// brought up to date (shared fills, TTLs, stale on error), and the merge is
// stored under a key made of the members' digests, so it is rebuilt only
// when one of them changed and otherwise served like any cached object.
func (s *Server) serveMerged(rec *respRecorder, r *http.Request, v meta.Virtual, path string, m format.Merger) error {
	ctx := r.Context()
	t, _ := s.reg.Types().Get(v.PackageType)
	if _, ok := t.(format.Negotiator); ok {
		rec.Header().Add("Vary", "Accept")
	}
	var inputs []format.MergeInput
	key := sha256.New()
	var firstErr error
	for _, name := range v.Members {
		rem, ok := s.reg.Remote(name)
		if !ok {
			continue
		}
		obj, _, err := s.engine.Ensure(ctx, rem, path)
		if err != nil {
			if st := apierr.Status(err); st != http.StatusNotFound && firstErr == nil {
				firstErr = err
			}
			continue // a member without the index (or down, with no copy) adds nothing
		}
		io.WriteString(key, name+"\x00"+obj.SHA256+"\x00")
		inputs = append(inputs, format.MergeInput{Name: name, Root: "remote/" + name + "/",
			Open: func() (io.ReadCloser, error) { return s.engine.OpenObject(context.WithoutCancel(ctx), obj) }})
	}
	if len(inputs) == 0 {
		if firstErr != nil {
			return firstErr
		}
		return apierr.New(apierr.ErrNotFound, "%s: no member has %s", v.Name, path)
	}
	derived, err := s.engine.Derive(ctx, v.Name, path, "merge:"+hex.EncodeToString(key.Sum(nil)),
		func(w io.Writer) (string, error) { return m.Merge(w, path, inputs) })
	if err != nil {
		return err
	}
	// Served as the type serves its own documents (npm makes its links
	// absolute), for the virtual's address.
	self := &registry.Remote{Remote: meta.Remote{Name: v.Name}, Type: t}
	if _, ok := t.(format.Presenter); ok {
		r = r.WithContext(fetch.WithSelf(r.Context(), s.base(r)+"/api/v1"))
	}
	err = s.engine.ServeObject(rec, r, self, derived, "HIT")
	if errors.Is(err, fetch.ErrBlobMissing) {
		return apierr.New(apierr.ErrUnavailable, "%s: merged index lost; retry", v.Name)
	}
	return err
}
