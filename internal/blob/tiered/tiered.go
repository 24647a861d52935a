// Package tiered keeps a bounded local copy of a shared blob store's hot
// blobs. With S3 behind it every hit would otherwise be a round trip to
// the object store; blobs are content addressed, so a local copy can never
// be stale, only evicted.
package tiered

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/artifactapi/artifactapi/internal/blob"
	blobfs "github.com/artifactapi/artifactapi/internal/blob/fs"
)

// Store is a blob.Store: writes go to the shared store, reads come from the
// local copy when it has one.
type Store struct {
	shared blob.Store
	local  *blobfs.Store
	max    int64
	log    *slog.Logger

	mu      sync.Mutex
	lru     *list.List // front: most recently used; values are *entry
	index   map[string]*list.Element
	used    int64
	filling map[string]bool
	slots   chan struct{} // bounds background copies from the shared store
	copies  sync.WaitGroup
	closed  bool
}

// Close waits for background copies and starts no more.
func (s *Store) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.copies.Wait()
	return nil
}

type entry struct {
	sha  string
	size int64
	// checked: the copy is known whole. One written by this process is;
	// one found after a restart is read through once before its first use,
	// because copies are not synced (see Adopt).
	checked bool
}

// New keeps up to max bytes of shared's blobs under dir. Blobs already in
// dir (from before a restart) are kept, oldest first in line for eviction,
// and checked against their digest on first use.
func New(shared blob.Store, dir string, max int64, log *slog.Logger) (*Store, error) {
	local, err := blobfs.New(dir)
	if err != nil {
		return nil, err
	}
	s := &Store{shared: shared, local: local, max: max, log: log, lru: list.New(),
		index: map[string]*list.Element{}, filling: map[string]bool{}, slots: make(chan struct{}, 2)}
	type found struct {
		entry
		mod time.Time
	}
	var all []found
	if err := local.Walk(func(sha string, size int64, mod time.Time) {
		all = append(all, found{entry{sha: sha, size: size}, mod})
	}); err != nil {
		return nil, fmt.Errorf("local blob cache: %w", err)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].mod.After(all[j].mod) })
	for _, f := range all {
		s.index[f.sha] = s.lru.PushBack(&entry{sha: f.sha, size: f.size})
		s.used += f.size
	}
	s.evict(context.Background())
	return s, nil
}

// Name implements blob.Store: the shared store is the one that matters.
func (s *Store) Name() string { return s.shared.Name() }

// Check implements blob.Store.
func (s *Store) Check(ctx context.Context) error { return s.shared.Check(ctx) }

// Put implements blob.Store.
func (s *Store) Put(ctx context.Context, r io.Reader, want blob.Expect) (blob.Info, error) {
	return s.shared.Put(ctx, r, want)
}

// filePutter is a shared store that uploads a file better than a reader
// of it (s3: by sendfile).
type filePutter interface {
	PutFile(ctx context.Context, f *os.File, want blob.Expect) (blob.Info, error)
}

// TempDir and Adopt let a fill's spool file become the local copy by
// rename once the shared store has the bytes.
func (s *Store) TempDir() string { return s.local.TempDir() }

// Adopt uploads the verified file f to the shared store, then keeps it as
// the local copy. Its name is gone afterwards either way; the caller still
// closes f.
//
// The local copy is not synced: the shared store holds the object
// durably, and a copy a power cut may have left with the wrong bytes is
// checked before its first use after the restart (New). The sync was an
// eighth of a scale-out fill's CPU.
func (s *Store) Adopt(ctx context.Context, f *os.File, info blob.Info) error {
	want := blob.Expect{SHA256: info.SHA256, Size: info.Size}
	var err error
	if fp, ok := s.shared.(filePutter); ok {
		_, err = fp.PutFile(ctx, f, want)
	} else {
		_, err = s.shared.Put(ctx, io.NewSectionReader(f, 0, info.Size), want)
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := s.local.Keep(ctx, f, info); err != nil {
		s.log.Warn("local blob cache: keep failed", "sha256", info.SHA256, "err", err)
		os.Remove(f.Name())
		return nil // the shared store has it: the commit succeeded
	}
	s.add(ctx, info)
	return nil
}

// Open implements blob.Store: the local copy, or the shared store while a
// local copy is made in the background.
func (s *Store) Open(ctx context.Context, sha string) (io.ReadSeekCloser, blob.Info, error) {
	if ok, checked := s.touch(sha); ok {
		r, info, err := s.local.Open(ctx, sha)
		if err == nil && !checked {
			err = s.check(r, info, sha)
		}
		if err == nil {
			return r, info, nil
		}
		if r != nil {
			r.Close()
		}
		s.forget(sha)
		if errors.Is(err, errCorrupt) {
			s.log.Warn("local blob cache: copy found after a restart does not match its digest; dropped", "sha256", sha)
			s.local.Delete(ctx, sha)
		}
	}
	r, info, err := s.shared.Open(ctx, sha)
	if err == nil {
		s.copyLater(info)
	}
	return r, info, err
}

// Stat implements blob.Store.
func (s *Store) Stat(ctx context.Context, sha string) (blob.Info, error) {
	return s.shared.Stat(ctx, sha)
}

// Delete implements blob.Store.
func (s *Store) Delete(ctx context.Context, sha string) error {
	s.forget(sha)
	if err := s.local.Delete(ctx, sha); err != nil {
		return err
	}
	return s.shared.Delete(ctx, sha)
}

// Walk lists the shared store's blobs, when it can.
func (s *Store) Walk(fn func(sha string, size int64, mod time.Time)) error {
	w, ok := s.shared.(interface {
		Walk(func(string, int64, time.Time)) error
	})
	if !ok {
		return nil
	}
	return w.Walk(fn)
}

// touch marks sha used and says whether it has a copy, and whether that
// copy is known whole.
func (s *Store) touch(sha string) (ok, checked bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	el, ok := s.index[sha]
	if !ok {
		return false, false
	}
	s.lru.MoveToFront(el)
	return true, el.Value.(*entry).checked
}

var errCorrupt = errors.New("local copy does not match its digest")

// check reads a copy found after a restart through its digest, and
// rewinds it for the caller.
func (s *Store) check(r io.ReadSeeker, info blob.Info, sha string) error {
	h := blob.NewHasher()
	if _, err := io.Copy(h, r); err != nil {
		return err
	}
	if got := h.Info(); got.SHA256 != sha || got.Size != info.Size {
		return errCorrupt
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return err
	}
	s.mu.Lock()
	if el, ok := s.index[sha]; ok {
		el.Value.(*entry).checked = true
	}
	s.mu.Unlock()
	return nil
}

func (s *Store) forget(sha string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.index[sha]; ok {
		s.used -= el.Value.(*entry).size
		s.lru.Remove(el)
		delete(s.index, sha)
	}
}

func (s *Store) add(ctx context.Context, info blob.Info) {
	s.mu.Lock()
	// A copy already there stays as checked as it was: the one just
	// written was dropped for it (content addressed).
	if _, ok := s.index[info.SHA256]; !ok {
		s.index[info.SHA256] = s.lru.PushFront(&entry{sha: info.SHA256, size: info.Size, checked: true})
		s.used += info.Size
	}
	s.mu.Unlock()
	s.evict(ctx)
}

// evict deletes least recently used copies until the cache fits. A copy
// being read stays readable: its file is only unlinked.
func (s *Store) evict(ctx context.Context) {
	for {
		s.mu.Lock()
		if s.used <= s.max || s.lru.Len() == 0 {
			s.mu.Unlock()
			return
		}
		e := s.lru.Remove(s.lru.Back()).(*entry)
		delete(s.index, e.sha)
		s.used -= e.size
		s.mu.Unlock()
		if err := s.local.Delete(ctx, e.sha); err != nil {
			s.log.Warn("local blob cache: evict failed", "sha256", e.sha, "err", err)
		}
	}
}

// copyLater copies a blob from the shared store in the background, at most
// two at a time, skipping blobs too big to be worth a quarter of the cache.
func (s *Store) copyLater(info blob.Info) {
	if info.Size > s.max/4 {
		return
	}
	s.mu.Lock()
	if s.filling[info.SHA256] || s.closed {
		s.mu.Unlock()
		return
	}
	s.filling[info.SHA256] = true
	s.copies.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.copies.Done()
		defer func() {
			s.mu.Lock()
			delete(s.filling, info.SHA256)
			s.mu.Unlock()
		}()
		select {
		case s.slots <- struct{}{}:
			defer func() { <-s.slots }()
		default:
			return // busy: the next miss will try again
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		if err := s.copy(ctx, info); err != nil && !errors.Is(err, blob.ErrNotFound) {
			s.log.Warn("local blob cache: copy failed", "sha256", info.SHA256, "err", err)
		}
	}()
}

func (s *Store) copy(ctx context.Context, info blob.Info) error {
	r, _, err := s.shared.Open(ctx, info.SHA256)
	if err != nil {
		return err
	}
	defer r.Close()
	// Verified against its own address: a copy is never trusted blindly.
	if _, err := s.local.Put(ctx, r, blob.Expect{SHA256: info.SHA256, Size: info.Size}); err != nil {
		return err
	}
	s.add(ctx, info)
	return nil
}
