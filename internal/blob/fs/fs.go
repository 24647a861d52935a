// Package fs stores blobs as files under a directory:
// {root}/sha256/{aa}/{hash}, written to {root}/tmp first and renamed into
// place only after the digest and size were verified.
package fs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/artifactapi/artifactapi/internal/blob"
)

// Store is the local-disk blob store.
type Store struct {
	root string
}

// New opens (creating if needed) a store rooted at dir and removes temps left
// behind by a crash: they were never committed, so nothing refers to them.
func New(dir string) (*Store, error) {
	s := &Store{root: dir}
	if err := os.MkdirAll(s.casDir(), 0o755); err != nil {
		return nil, fmt.Errorf("blob dir: %w", err)
	}
	if err := os.RemoveAll(s.TempDir()); err != nil {
		return nil, fmt.Errorf("clean blob temps: %w", err)
	}
	if err := os.MkdirAll(s.TempDir(), 0o755); err != nil {
		return nil, fmt.Errorf("blob temp dir: %w", err)
	}
	return s, nil
}

// Name identifies the backend in logs and health checks.
func (s *Store) Name() string { return "fs" }

func (s *Store) casDir() string { return filepath.Join(s.root, "sha256") }

// TempDir is where uncommitted bytes live; files created here by callers
// can be committed with Adopt by rename, on the same filesystem.
func (s *Store) TempDir() string { return filepath.Join(s.root, "tmp") }

func (s *Store) path(sha string) string {
	return filepath.Join(s.casDir(), sha[:2], sha)
}

// Put implements blob.Store.
func (s *Store) Put(ctx context.Context, r io.Reader, want blob.Expect) (blob.Info, error) {
	if want.SHA256 != "" && !blob.ValidDigest(want.SHA256) {
		return blob.Info{}, blob.ErrBadDigest
	}
	f, err := os.CreateTemp(s.TempDir(), "put-*")
	if err != nil {
		return blob.Info{}, fmt.Errorf("blob temp: %w", err)
	}
	defer os.Remove(f.Name()) // no-op after a successful rename
	h := blob.NewHasher()
	_, err = io.Copy(io.MultiWriter(f, h), ctxReader{ctx, r})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return blob.Info{}, fmt.Errorf("blob write: %w", err)
	}
	info := h.Info()
	if err := want.Verify(info); err != nil {
		return blob.Info{}, err
	}
	return info, s.commit(f.Name(), info.SHA256)
}

// Adopt commits f, a file the caller wrote in TempDir and verified as
// info, by rename: the bytes are not copied a second time. They are
// synced first. The caller still closes f.
func (s *Store) Adopt(ctx context.Context, f *os.File, info blob.Info) error {
	return s.adopt(f, info, true)
}

// Keep is Adopt without the sync, for a store that is a cache of another
// and checks, after a restart, what it finds (see tiered): a power cut
// may leave a name whose bytes never reached the disk.
func (s *Store) Keep(ctx context.Context, f *os.File, info blob.Info) error {
	return s.adopt(f, info, false)
}

func (s *Store) adopt(f *os.File, info blob.Info, sync bool) error {
	if !blob.ValidDigest(info.SHA256) {
		return blob.ErrBadDigest
	}
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("adopt: %w", err)
	}
	if st.Size() != info.Size {
		return fmt.Errorf("adopt: %w: want %d bytes, file has %d", blob.ErrSizeMismatch, info.Size, st.Size())
	}
	if sync {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("adopt: %w", err)
		}
	}
	return s.commit(f.Name(), info.SHA256)
}

func (s *Store) commit(tmp, sha string) error {
	dst := s.path(sha)
	if _, err := os.Stat(dst); err == nil {
		// Content-addressed: the same bytes are already here.
		return os.Remove(tmp)
	}
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("blob dir: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		if errors.Is(err, syscall.EXDEV) {
			return fmt.Errorf("blob commit across filesystems: %w", err)
		}
		return fmt.Errorf("blob commit: %w", err)
	}
	// The directory is not synced: the bytes were, before the rename, so
	// after a power cut the name either holds them whole or is missing.
	// A missing blob is never served wrong: its row is dropped and the
	// object filled again when next asked for. And the row itself is no
	// more durable (SQLite runs synchronous=NORMAL; on ext4 the journal
	// commits the rename with any later fsync). The directory's fsync was
	// a quarter of a small miss's latency.
	return nil
}

// Open implements blob.Store. The reader is an *os.File so that net/http can
// use sendfile for it.
func (s *Store) Open(ctx context.Context, sha string) (io.ReadSeekCloser, blob.Info, error) {
	if !blob.ValidDigest(sha) {
		return nil, blob.Info{}, blob.ErrBadDigest
	}
	f, err := openRead(s.path(sha))
	if err != nil {
		return nil, blob.Info{}, mapErr(err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, blob.Info{}, mapErr(err)
	}
	return f, blob.Info{SHA256: sha, Size: st.Size()}, nil
}

// Stat implements blob.Store.
func (s *Store) Stat(ctx context.Context, sha string) (blob.Info, error) {
	if !blob.ValidDigest(sha) {
		return blob.Info{}, blob.ErrBadDigest
	}
	st, err := os.Stat(s.path(sha))
	if err != nil {
		return blob.Info{}, mapErr(err)
	}
	return blob.Info{SHA256: sha, Size: st.Size()}, nil
}

// Delete implements blob.Store.
func (s *Store) Delete(ctx context.Context, sha string) error {
	if !blob.ValidDigest(sha) {
		return blob.ErrBadDigest
	}
	if err := os.Remove(s.path(sha)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("blob delete: %w", err)
	}
	return nil
}

// Check writes and removes a probe file, proving the disk is writable.
func (s *Store) Check(ctx context.Context) error {
	f, err := os.CreateTemp(s.TempDir(), "health-*")
	if err != nil {
		return fmt.Errorf("blob store not writable: %w", err)
	}
	f.Close()
	return os.Remove(f.Name())
}

func mapErr(err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return blob.ErrNotFound
	}
	return fmt.Errorf("blob: %w", err)
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Walk calls fn for every committed blob, for callers that index the store
// (the local cache tier rebuilds its LRU from it at start).
func (s *Store) Walk(fn func(sha string, size int64, mod time.Time)) error {
	return filepath.WalkDir(s.casDir(), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !blob.ValidDigest(d.Name()) {
			return nil
		}
		if st, err := d.Info(); err == nil {
			fn(d.Name(), st.Size(), st.ModTime())
		}
		return nil
	})
}

// openRead opens a file for reading in two
// system calls where os.Open takes four (it sets the descriptor
// non-blocking and offers it to the network poller, which refuses a
// regular file): every hit that is not in memory pays for them, and a
// profile of such hits put os.Open at a sixth of their CPU.
func openRead(name string) (*os.File, error) {
	for {
		fd, err := syscall.Open(name, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: name, Err: err}
		}
		return os.NewFile(uintptr(fd), name), nil
	}
}
