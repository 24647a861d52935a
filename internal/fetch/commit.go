package fetch

import (
	"context"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/blob"
	"github.com/artifactapi/artifactapi/internal/meta"
)

// RowBlobs is a blob store that keeps small blobs in the metadata
// database beside the rows naming them (blob/inline).
type RowBlobs interface {
	Inlines(size int64) bool
	PutWithRow(ctx context.Context, o meta.Object, data []byte) error
}

// commit stores a fill's verified body and its row, and returns the body
// when it is small enough to have been read into memory (for the memory
// cache). A body the blob store keeps beside the rows goes with its row in
// one transaction: as two, the commits were a third of the CPU of a run of
// small misses, and a failure between them left a blob no row named.
func (e *Engine) commit(ctx context.Context, sp spool, info blob.Info, obj meta.Object) ([]byte, error) {
	data := smallBody(sp, info)
	defer e.known.done(e.known.add(obj.Remote, cacheKey(obj.Remote, obj.Path)))
	if rb, ok := e.Blobs.(RowBlobs); ok && data != nil && rb.Inlines(info.Size) {
		if err := rb.PutWithRow(ctx, obj, data); err != nil {
			e.Log.Error("metadata write failed", "err", err)
			return nil, apierr.New(apierr.ErrUnavailable, "metadata store unavailable")
		}
		return data, nil
	}
	if err := sp.commit(ctx, e, info); err != nil {
		e.Log.Error("blob commit failed", "err", err)
		return nil, apierr.New(apierr.ErrUnavailable, "blob store unavailable")
	}
	if err := e.Objects.PutObject(ctx, obj); err != nil {
		// No row: the blob is unreachable; drop it unless another row uses it.
		e.dropIfUnused(ctx, info.SHA256)
		e.Log.Error("metadata write failed", "err", err)
		return nil, apierr.New(apierr.ErrUnavailable, "metadata store unavailable")
	}
	return data, nil
}

// smallBody is the whole body of a small object (at most smallObject
// bytes), or nil. The spool holds the bytes that were hashed, so they are
// the verified object.
func smallBody(sp spool, info blob.Info) []byte {
	if info.Size > smallObject {
		return nil
	}
	if m, ok := sp.(*memSpool); ok {
		return m.data()
	}
	data := make([]byte, info.Size)
	if n, _ := sp.ReadAt(data, 0); int64(n) != info.Size {
		return nil // the commit reads it from the spool again, or fails
	}
	return data
}
