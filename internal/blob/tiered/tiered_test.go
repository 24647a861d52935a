package tiered

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/artifactapi/artifactapi/internal/blob"
	"github.com/artifactapi/artifactapi/internal/blob/blobtest"
	blobfs "github.com/artifactapi/artifactapi/internal/blob/fs"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// counting is a shared store that counts reads, standing in for S3.
type counting struct {
	blob.Store
	opens atomic.Int64
}

func (c *counting) Open(ctx context.Context, sha string) (io.ReadSeekCloser, blob.Info, error) {
	c.opens.Add(1)
	return c.Store.Open(ctx, sha)
}

func newTiered(t *testing.T, max int64) (*Store, *counting) {
	t.Helper()
	fs, err := blobfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	shared := &counting{Store: fs}
	s, err := New(shared, t.TempDir(), max, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() }) // background copies end before the temp dirs go
	return s, shared
}

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		s, _ := newTiered(t, 1<<20)
		return s
	})
}

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func has(s *Store, sha string) bool {
	ok, _ := s.touch(sha)
	return ok
}

func waitLocal(t *testing.T, s *Store, sha string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !has(s, sha) {
		if time.Now().After(deadline) {
			t.Fatal("no local copy was made")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestHitsServedLocallyAfterFirstRead(t *testing.T) {
	s, shared := newTiered(t, 1<<20)
	data := bytes.Repeat([]byte("x"), 5000)
	info, err := s.Put(context.Background(), bytes.NewReader(data), blob.Expect{SHA256: digest(data), Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := s.Open(context.Background(), info.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	waitLocal(t, s, info.SHA256)
	opens := shared.opens.Load()
	for range 3 {
		r, got, err := s.Open(context.Background(), info.SHA256)
		if err != nil || got.Size != 5000 {
			t.Fatal(got, err)
		}
		b, _ := io.ReadAll(r)
		r.Close()
		if !bytes.Equal(b, data) {
			t.Fatal("local copy differs")
		}
	}
	if shared.opens.Load() != opens {
		t.Fatalf("shared store read %d more times after the local copy existed", shared.opens.Load()-opens)
	}
}

func adopt(t *testing.T, s *Store, data []byte) blob.Info {
	t.Helper()
	f, err := os.CreateTemp(s.TempDir(), "spool-*")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Write(data)
	info := blob.Info{SHA256: digest(data), Size: int64(len(data))}
	if err := s.Adopt(context.Background(), f, info); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(f.Name()); !os.IsNotExist(err) {
		t.Fatal("spool file left behind")
	}
	return info
}

func TestAdoptStoresSharedAndKeepsLocal(t *testing.T) {
	s, shared := newTiered(t, 1<<20)
	info := adopt(t, s, []byte("filled bytes"))
	if _, err := shared.Stat(context.Background(), info.SHA256); err != nil {
		t.Fatalf("shared store lacks the adopted blob: %v", err)
	}
	if r, _, err := s.Open(context.Background(), info.SHA256); err != nil || shared.opens.Load() != 0 {
		t.Fatalf("open after adopt: %v, shared opens %d", err, shared.opens.Load())
	} else {
		r.Close()
	}
}

// filing is a shared store that takes files (as s3 does, to send them
// by sendfile) and counts those it was given.
type filing struct {
	*counting
	files atomic.Int64
}

func (f *filing) PutFile(ctx context.Context, file *os.File, want blob.Expect) (blob.Info, error) {
	f.files.Add(1)
	return f.Put(ctx, io.NewSectionReader(file, 0, want.Size), want)
}

// A shared store that takes files gets the spool itself, not a reader of
// it, and the spool is still kept as the local copy.
func TestAdoptHandsTheFileToAStoreThatTakesFiles(t *testing.T) {
	fs, err := blobfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	shared := &filing{counting: &counting{Store: fs}}
	s, err := New(shared, t.TempDir(), 1<<20, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	info := adopt(t, s, []byte("filled bytes"))
	if shared.files.Load() != 1 {
		t.Fatalf("the shared store was given %d files, want the spool", shared.files.Load())
	}
	if _, err := shared.Stat(context.Background(), info.SHA256); err != nil || !has(s, info.SHA256) {
		t.Fatalf("adopted blob: shared %v, local %v", err, has(s, info.SHA256))
	}
}

func TestEvictionKeepsWithinBound(t *testing.T) {
	s, shared := newTiered(t, 10_000)
	var infos []blob.Info
	for i := range 5 {
		infos = append(infos, adopt(t, s, bytes.Repeat([]byte{byte('a' + i)}, 4000)))
	}
	if s.used > 10_000 {
		t.Fatalf("local cache holds %d bytes, bound 10000", s.used)
	}
	if has(s, infos[0].SHA256) {
		t.Fatal("the least recently used copy was kept")
	}
	// Evicted locally, still served from the shared store.
	r, _, err := s.Open(context.Background(), infos[0].SHA256)
	if err != nil || shared.opens.Load() != 1 {
		t.Fatalf("evicted blob: %v, shared opens %d", err, shared.opens.Load())
	}
	r.Close()
}

func TestRestartKeepsCopies(t *testing.T) {
	fs, _ := blobfs.New(t.TempDir())
	dir := t.TempDir()
	s, _ := New(fs, dir, 1<<20, quiet)
	info := adopt(t, s, []byte("survives a restart"))
	again, err := New(fs, dir, 1<<20, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if !has(again, info.SHA256) || again.used != info.Size {
		t.Fatalf("after restart: used %d, want %d", again.used, info.Size)
	}
	if _, err := os.Stat(filepath.Join(dir, "tmp")); err != nil {
		t.Fatal(err)
	}
}

// Local copies are not synced, so one found after a restart is read
// through its digest before it is served: a power cut may have left the
// name with other bytes. A whole one is then served locally; a broken one
// is dropped and the shared store's served instead.
func TestRestartChecksCopiesBeforeUse(t *testing.T) {
	ctx := context.Background()
	fs, _ := blobfs.New(t.TempDir())
	shared := &counting{Store: fs}
	dir := t.TempDir()
	s, _ := New(shared, dir, 1<<20, quiet)
	whole := adopt(t, s, []byte("written whole before the cut"))
	broken := adopt(t, s, []byte("never reached the disk intact"))
	local := filepath.Join(dir, "sha256", broken.SHA256[:2], broken.SHA256)
	if err := os.WriteFile(local, make([]byte, broken.Size), 0o644); err != nil {
		t.Fatal(err)
	}
	again, err := New(shared, dir, 1<<20, quiet)
	if err != nil {
		t.Fatal(err)
	}
	// The broken copy is copied again in the background: it must be done
	// before the folder is removed.
	defer again.Close()
	// The whole copy is served without the shared store; the broken one
	// from it (and copied again in the background, which opens it too).
	for _, c := range []struct {
		info     blob.Info
		want     string
		fromDisk bool
	}{{whole, "written whole before the cut", true}, {broken, "never reached the disk intact", false}} {
		before := shared.opens.Load()
		r, info, err := again.Open(ctx, c.info.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(r)
		r.Close()
		opened := shared.opens.Load() > before
		if string(got) != c.want || info.Size != c.info.Size || opened == c.fromDisk {
			t.Fatalf("got %q (%d bytes), shared store opened %v; want %q, from the local copy %v", got, info.Size, opened, c.want, c.fromDisk)
		}
	}
	if ok, checked := again.touch(whole.SHA256); !ok || !checked {
		t.Fatalf("the whole copy: kept %v, checked %v", ok, checked)
	}
	if _, err := os.Stat(local); err == nil {
		if b, _ := os.ReadFile(local); !bytes.Equal(b, make([]byte, broken.Size)) {
			return // copied again from the shared store: fine
		}
		t.Fatal("the broken copy is still there")
	}
}
