package fetch

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/blob"
	"github.com/artifactapi/artifactapi/internal/meta"
)

// Derive returns the stored document owner/path built from inputs named by
// key (a virtual's merged index, keyed by its members' digests): the one
// already stored when its key matches, otherwise a new one written by build,
// stored like any object and replacing the previous one.
func (e *Engine) Derive(ctx context.Context, owner, path, key string, build func(io.Writer) (contentType string, err error)) (meta.Object, error) {
	if obj, err := e.lookup(ctx, owner, path); err == nil && obj.ETag == key {
		if _, err := e.Blobs.Stat(ctx, obj.SHA256); err == nil {
			return obj, nil
		}
	}
	tmp, err := os.CreateTemp(e.opt.SpoolDir, "derive-*")
	if err != nil {
		return meta.Object{}, fmt.Errorf("spool: %w", err)
	}
	committed := false
	defer func() {
		tmp.Close()
		if !committed {
			os.Remove(tmp.Name())
		}
	}()
	h := blob.NewHasher()
	contentType, err := build(io.MultiWriter(tmp, h))
	if err != nil {
		return meta.Object{}, apierr.New(apierr.ErrUpstream, "%s: cannot build %s: %v", owner, path, err)
	}
	info := h.Info()
	if err := e.commitBlob(ctx, tmp, info); err != nil {
		return meta.Object{}, apierr.New(apierr.ErrUnavailable, "blob store unavailable")
	}
	committed = e.adopter != nil
	old, oldErr := e.lookup(ctx, owner, path)
	now := time.Now().UTC()
	// The key is kept in ETag: the validator of a derived document is what
	// it was derived from.
	obj := meta.Object{Remote: owner, Path: path, SHA256: info.SHA256, Size: info.Size, Mutable: true,
		ContentType: contentType, ETag: key, FetchedAt: now, LastAccess: now}
	w := e.known.add(owner, cacheKey(owner, path))
	err = e.Objects.PutObject(ctx, obj)
	e.known.done(w)
	if err != nil {
		e.dropIfUnused(ctx, info.SHA256)
		return meta.Object{}, apierr.New(apierr.ErrUnavailable, "metadata store unavailable")
	}
	e.invalidate(ctx, owner, path, false)
	e.rows.put(cacheKey(owner, path), obj)
	if oldErr == nil && old.SHA256 != obj.SHA256 {
		e.dropIfUnused(ctx, old.SHA256)
	}
	return obj, nil
}

// OpenObject opens a committed object's bytes (a member's stored index).
func (e *Engine) OpenObject(ctx context.Context, obj meta.Object) (io.ReadCloser, error) {
	rc, _, err := blob.OpenSized(ctx, e.Blobs, obj.SHA256, obj.Size)
	return rc, err
}
