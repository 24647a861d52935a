package inline_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"
	"time"

	"github.com/artifactapi/artifactapi/internal/blob"
	"github.com/artifactapi/artifactapi/internal/blob/blobtest"
	"github.com/artifactapi/artifactapi/internal/blob/fs"
	"github.com/artifactapi/artifactapi/internal/blob/inline"
	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/meta/postgres"
	"github.com/artifactapi/artifactapi/internal/meta/sqlite"
	"github.com/artifactapi/artifactapi/internal/testenv"
)

// max is small enough that the suite's blobs go to both stores.
const max = 4096

type backend struct {
	name  string
	table func(t *testing.T) inline.Table
}

var backends = []backend{
	{"sqlite", func(t *testing.T) inline.Table {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "m.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}},
	{"postgres", func(t *testing.T) inline.Table {
		s, err := postgres.Open(context.Background(), testenv.Postgres(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}},
}

func newStore(t *testing.T, b backend) (blob.Store, inline.Table, *fs.Store) {
	table := b.table(t)
	next, err := fs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return inline.New(table, next, max), table, next
}

func TestConformance(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			blobtest.Run(t, func(t *testing.T) blob.Store {
				s, _, _ := newStore(t, b)
				return s
			})
		})
	}
}

func random(t *testing.T, n int) ([]byte, string) {
	b := make([]byte, n)
	rand.Read(b)
	sum := sha256.Sum256(b)
	return b, hex.EncodeToString(sum[:])
}

// TestSmallInTableLargeInFiles checks where each blob goes, announced or
// not: a small one never becomes a file, a large one never a row, and each
// reads back whole from the wrapper.
func TestSmallInTableLargeInFiles(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s, table, next := newStore(t, b)
			for _, c := range []struct {
				n       int
				size    func(int) int64
				inTable bool
			}{
				{max, func(n int) int64 { return int64(n) }, true},
				{max, func(int) int64 { return -1 }, true},
				{max + 1, func(n int) int64 { return int64(n) }, false},
				{max + 1, func(int) int64 { return -1 }, false},
				{3 * max, func(int) int64 { return -1 }, false},
			} {
				data, sha := random(t, c.n)
				// One byte per read: a large blob of unknown size is read in
				// part before it is known where it goes.
				info, err := s.Put(ctx, iotest.OneByteReader(bytes.NewReader(data)), blob.Expect{SHA256: sha, Size: c.size(c.n)})
				if err != nil || info.SHA256 != sha || info.Size != int64(c.n) {
					t.Fatalf("put %d bytes: %+v %v", c.n, info, err)
				}
				_, tErr := table.GetBlob(ctx, sha)
				_, fErr := next.Stat(ctx, sha)
				if (tErr == nil) != c.inTable || (fErr == nil) == c.inTable {
					t.Errorf("%d bytes (size %d): in table %v, in files %v; want table %v", c.n, c.size(c.n), tErr == nil, fErr == nil, c.inTable)
				}
				rc, got, err := s.Open(ctx, sha)
				if err != nil {
					t.Fatal(err)
				}
				read, _ := io.ReadAll(rc)
				rc.Close()
				if !bytes.Equal(read, data) || got.Size != int64(c.n) {
					t.Errorf("%d bytes read back as %d (%+v)", c.n, len(read), got)
				}
				if st, err := s.Stat(ctx, sha); err != nil || st.Size != int64(c.n) {
					t.Errorf("stat %d bytes: %+v %v", c.n, st, err)
				}
			}
		})
	}
}

// TestWalkAndDeleteCoverBoth: the janitor finds orphans in both stores
// through Walk, and Delete removes a blob wherever it is, including a
// small one the wrapped store took by rename.
func TestWalkAndDeleteCoverBoth(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s, _, next := newStore(t, b)
			small, smallSHA := random(t, 10)
			large, largeSHA := random(t, max+10)
			adopted, adoptedSHA := random(t, 20)
			for _, d := range [][]byte{small, large} {
				if _, err := s.Put(ctx, bytes.NewReader(d), blob.Expect{Size: -1}); err != nil {
					t.Fatal(err)
				}
			}
			a, ok := s.(interface {
				TempDir() string
				Adopt(context.Context, *os.File, blob.Info) error
			})
			if !ok {
				t.Fatal("a store over fs does not commit spool files by rename")
			}
			f, err := os.CreateTemp(a.TempDir(), "spool-*")
			if err != nil {
				t.Fatal(err)
			}
			f.Write(adopted)
			if err := a.Adopt(ctx, f, blob.Info{SHA256: adoptedSHA, Size: 20}); err != nil {
				t.Fatal(err)
			}
			f.Close()
			if _, err := next.Stat(ctx, adoptedSHA); err != nil {
				t.Errorf("adopted blob not in the wrapped store: %v", err)
			}
			seen := map[string]int64{}
			start := time.Now().Add(-time.Minute)
			err = s.(interface {
				Walk(func(string, int64, time.Time)) error
			}).Walk(func(sha string, size int64, mod time.Time) {
				if mod.Before(start) {
					t.Errorf("%s dated %v", sha, mod)
				}
				seen[sha] = size
			})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]int64{smallSHA: 10, largeSHA: max + 10, adoptedSHA: 20}
			for sha, n := range want {
				if seen[sha] != n {
					t.Errorf("walk: %s has %d bytes, want %d (saw %v)", sha, seen[sha], n, seen)
				}
			}
			for sha := range want {
				if err := s.Delete(ctx, sha); err != nil {
					t.Fatal(err)
				}
				if _, err := s.Stat(ctx, sha); !errors.Is(err, blob.ErrNotFound) {
					t.Errorf("%s still there after delete: %v", sha, err)
				}
			}
		})
	}
}

// TestConcurrentSmallPuts: puts that arrive together are written in one
// batch; each is there, once, when its Put returns, duplicates included.
func TestConcurrentSmallPuts(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s, table, _ := newStore(t, b)
			blobs := make([][]byte, 64)
			for i := range blobs {
				blobs[i], _ = random(t, 100+i%8)
			}
			errs := make(chan error, 2*len(blobs))
			for range 2 { // each twice, at once
				for _, d := range blobs {
					go func() {
						info, err := s.Put(ctx, bytes.NewReader(d), blob.Expect{Size: int64(len(d))})
						if err == nil {
							var got []byte
							got, err = table.GetBlob(ctx, info.SHA256)
							if err == nil && !bytes.Equal(got, d) {
								err = errors.New("stored bytes differ")
							}
						}
						errs <- err
					}()
				}
			}
			for range 2 * len(blobs) {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			n := 0
			table.WalkBlobs(ctx, func(string, int64, time.Time) { n++ })
			if n != len(blobs) {
				t.Errorf("%d rows for %d distinct blobs", n, len(blobs))
			}
		})
	}
}

// flaky is a table that can be cut off, and counts what it is asked.
type flaky struct {
	inline.Table
	down bool
	gets int
}

var errDown = errors.New("database unreachable")

func (f *flaky) GetBlob(ctx context.Context, sha string) ([]byte, error) {
	f.gets++
	if f.down {
		return nil, errDown
	}
	return f.Table.GetBlob(ctx, sha)
}

func (f *flaky) BlobSize(ctx context.Context, sha string) (int64, error) {
	if f.down {
		return 0, errDown
	}
	return f.Table.BlobSize(ctx, sha)
}

// TestDatabaseDown: while the table cannot be asked, a large blob is still
// served from the wrapped store, and a small one fails as unavailable, not
// as missing (which would drop the row naming it). A blob known to be large
// is never looked for in the table.
func TestDatabaseDown(t *testing.T) {
	ctx := context.Background()
	table := &flaky{Table: backends[0].table(t)}
	next, err := fs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := inline.New(table, next, max)
	small, smallSHA := random(t, 10)
	large, largeSHA := random(t, max+1)
	for _, d := range [][]byte{small, large} {
		if _, err := s.Put(ctx, bytes.NewReader(d), blob.Expect{Size: int64(len(d))}); err != nil {
			t.Fatal(err)
		}
	}
	table.gets = 0
	rc, _, err := blob.OpenSized(ctx, s, largeSHA, max+1)
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if table.gets != 0 {
		t.Errorf("a blob known to be large was looked for in the table (%d queries)", table.gets)
	}

	table.down = true
	for _, open := range []func() error{
		func() error { _, _, err := s.Open(ctx, largeSHA); return err },
		func() error { _, err := s.Stat(ctx, largeSHA); return err },
		func() error { _, _, err := blob.OpenSized(ctx, s, largeSHA, max+1); return err },
	} {
		if err := open(); err != nil {
			t.Errorf("large blob with the database down: %v", err)
		}
	}
	for _, open := range []func() error{
		func() error { _, _, err := s.Open(ctx, smallSHA); return err },
		func() error { _, err := s.Stat(ctx, smallSHA); return err },
		func() error { _, _, err := blob.OpenSized(ctx, s, smallSHA, 10); return err },
	} {
		if err := open(); !errors.Is(err, errDown) || errors.Is(err, blob.ErrNotFound) {
			t.Errorf("small blob with the database down: %v, want the database's error", err)
		}
	}
}

// TestPutWithRow checks that a small fill's blob and row land together,
// readable through the store, and that a blob the table does not keep is
// refused rather than put in the wrong place.
func TestPutWithRow(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s, table, next := newStore(t, b)
			rb := s.(interface {
				Inlines(size int64) bool
				PutWithRow(ctx context.Context, o meta.Object, data []byte) error
			})
			ctx := context.Background()
			if !rb.Inlines(max) || rb.Inlines(max+1) {
				t.Fatalf("Inlines: the table keeps blobs up to %d bytes", max)
			}
			data, sha := random(t, 100)
			o := meta.Object{Remote: "r", Path: "small", SHA256: sha, Size: 100, FetchedAt: time.Now().UTC()}
			if err := rb.PutWithRow(ctx, o, data); err != nil {
				t.Fatal(err)
			}
			if got, err := table.GetBlob(ctx, sha); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("blob in table: %v", err)
			}
			if _, _, err := next.Open(ctx, sha); !errors.Is(err, blob.ErrNotFound) {
				t.Fatalf("small blob also in files: %v", err)
			}
			rows := table.(interface {
				GetObject(ctx context.Context, remote, path string) (meta.Object, error)
			})
			if got, err := rows.GetObject(ctx, "r", "small"); err != nil || got.SHA256 != sha {
				t.Fatalf("row: %+v %v", got, err)
			}
			big, bigSHA := random(t, max+1)
			if err := rb.PutWithRow(ctx, meta.Object{Remote: "r", Path: "big", SHA256: bigSHA, Size: max + 1}, big); err == nil {
				t.Fatal("a blob larger than the table keeps was accepted")
			}
			if _, err := rows.GetObject(ctx, "r", "big"); !errors.Is(err, meta.ErrNotFound) {
				t.Fatalf("refused blob's row: %v", err)
			}
		})
	}
}
