package server

import (
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

// Virtual repositories, in one place: a path is answered by the first
// member that has it, or, for a type's index, by the merge of every
// member's copy.

// serveVirtual answers /api/v1/virtual/{name}/{path}.
func (s *Server) serveVirtual(w http.ResponseWriter, r *http.Request) {
	s.proxy(w, r, "/api/v1/virtual/", plainErr, func(rec *respRecorder, name, path string) error {
		v, ok := s.reg.Virtual(name)
		if !ok {
			rec.remote = ""
			return apierr.New(apierr.ErrNotFound, "virtual %q not found", name)
		}
		t, ok := s.reg.Types().Get(v.PackageType)
		if !ok {
			return apierr.New(apierr.ErrNotFound, "virtual %q: package type %q is not served", name, v.PackageType)
		}
		if variant, ok := merges(t, r, path); ok {
			return s.serveMerged(rec, r, v, t, variant)
		}
		return s.firstOf(rec, name, path, v.Members, func(rem *registry.Remote) error {
			return s.serveFrom(rec, r, rem, path)
		})
	})
}

// firstOf tries a virtual's members in order until one answers. try
// returns an error only before writing anything, so the next member may
// still answer: a member that lacks the path or refuses it by policy falls
// through; when none answers, the first other failure (a member that is
// down) is the answer, else 404.
func (s *Server) firstOf(rec *respRecorder, virtual, path string, members []string, try func(*registry.Remote) error) error {
	var firstErr error
	for _, m := range members {
		rem, ok := s.reg.Remote(m)
		if !ok {
			continue
		}
		rec.Header().Del("X-Cache")
		err := try(rem)
		if err == nil {
			rec.remote = m // counted against the member that answered
			return nil
		}
		if st := apierr.Status(err); st != http.StatusNotFound && st != http.StatusForbidden && firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		return firstErr
	}
	return apierr.New(apierr.ErrNotFound, "%s: %s not found in any member", virtual, path)
}

// merges reports whether a virtual of type t answers path (in the
// representation the client asked for, which it returns) with a merge.
func merges(t *format.Caps, r *http.Request, path string) (string, bool) {
	if t.Merger == nil {
		return "", false
	}
	if t.Negotiator != nil {
		path = t.Negotiator.Variant(path, r)
	}
	c, err := t.Classify(path)
	return path, err == nil && c.Kind == format.Index
}

// serveMerged answers a virtual's merged index: each member's own copy is
// brought up to date (shared fills, TTLs, stale on error), and the merge is
// stored under a key made of the members' digests, so it is rebuilt only
// when one of them changed and otherwise served like any cached object.
func (s *Server) serveMerged(rec *respRecorder, r *http.Request, v meta.Virtual, t *format.Caps, path string) error {
	ctx := r.Context()
	if t.Negotiator != nil {
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
		// A member's release policy applies to what it adds to the merge.
		io.WriteString(key, name+"\x00"+obj.SHA256+"\x00"+fetch.FilterKey(rem, path)+"\x00")
		inputs = append(inputs, format.MergeInput{Name: name, Root: "remote/" + name + "/",
			Open: func() (io.ReadCloser, error) { return s.engine.FilterOpen(ctx, rem, obj, "") }})
	}
	if len(inputs) == 0 {
		if firstErr != nil {
			return firstErr
		}
		return apierr.New(apierr.ErrNotFound, "%s: no member has %s", v.Name, path)
	}
	derived, err := s.engine.Derive(ctx, v.Name, path, "merge:"+hex.EncodeToString(key.Sum(nil)),
		func(w io.Writer) (string, error) { return t.Merger.Merge(w, path, inputs) })
	if err != nil {
		return err
	}
	// Served as the type serves its own documents (npm makes its links
	// absolute), for the virtual's address: member links are relative to
	// /api/v1/.
	self := &registry.Remote{Remote: meta.Remote{Name: v.Name}, Type: t}
	rec.outcome = format.Hit
	err = s.engine.ServeObject(rec, r, self, derived, format.Hit, s.base(r)+"/api/v1")
	if errors.Is(err, fetch.ErrBlobMissing) {
		return apierr.New(apierr.ErrUnavailable, "%s: merged index lost; retry", v.Name)
	}
	return err
}
