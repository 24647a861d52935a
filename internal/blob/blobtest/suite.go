// Package blobtest is the conformance suite every blob.Store implementation
// must pass.
package blobtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"sync"
	"testing"

	"github.com/artifactapi/artifactapi/internal/blob"
)

// Run runs the suite; newStore must return an empty store.
func Run(t *testing.T, newStore func(t *testing.T) blob.Store) {
	ctx := context.Background()
	t.Run("PutOpenStat", func(t *testing.T) {
		s := newStore(t)
		data := randBytes(t, 100_000)
		info, err := s.Put(ctx, bytes.NewReader(data), blob.Expect{SHA256: digest(data), Size: int64(len(data))})
		if err != nil {
			t.Fatal(err)
		}
		if info.SHA256 != digest(data) || info.Size != int64(len(data)) {
			t.Fatalf("info = %+v", info)
		}
		st, err := s.Stat(ctx, info.SHA256)
		if err != nil || st != info {
			t.Fatalf("stat = %+v, %v", st, err)
		}
		if got := readAll(t, s, info.SHA256); !bytes.Equal(got, data) {
			t.Fatal("content differs")
		}
	})
	t.Run("UnknownExpectations", func(t *testing.T) {
		s := newStore(t)
		data := []byte("no digest known in advance")
		info, err := s.Put(ctx, bytes.NewReader(data), blob.Expect{Size: -1})
		if err != nil || info.SHA256 != digest(data) {
			t.Fatalf("info = %+v, %v", info, err)
		}
	})
	t.Run("EmptyBlob", func(t *testing.T) {
		s := newStore(t)
		info, err := s.Put(ctx, bytes.NewReader(nil), blob.Expect{Size: 0})
		if err != nil || info.Size != 0 {
			t.Fatalf("info = %+v, %v", info, err)
		}
		if got := readAll(t, s, info.SHA256); len(got) != 0 {
			t.Fatal("empty blob not empty")
		}
	})
	t.Run("Seek", func(t *testing.T) {
		s := newStore(t)
		data := randBytes(t, 10_000)
		info := put(t, s, data)
		r, _, err := s.Open(ctx, info.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if _, err := r.Seek(5000, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		part := make([]byte, 100)
		if _, err := io.ReadFull(r, part); err != nil || !bytes.Equal(part, data[5000:5100]) {
			t.Fatalf("range read wrong: %v", err)
		}
	})
	t.Run("StoredOnce", func(t *testing.T) {
		s := newStore(t)
		data := randBytes(t, 4096)
		a := put(t, s, data)
		b := put(t, s, data)
		if a != b {
			t.Fatalf("%+v != %+v", a, b)
		}
		if got := readAll(t, s, a.SHA256); !bytes.Equal(got, data) {
			t.Fatal("content differs after second put")
		}
	})
	t.Run("ConcurrentSamePut", func(t *testing.T) {
		s := newStore(t)
		data := randBytes(t, 200_000)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Go(func() {
				_, err := s.Put(ctx, bytes.NewReader(data), blob.Expect{SHA256: digest(data), Size: int64(len(data))})
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if got := readAll(t, s, digest(data)); !bytes.Equal(got, data) {
			t.Fatal("content differs")
		}
	})
	t.Run("DigestMismatchStoresNothing", func(t *testing.T) {
		s := newStore(t)
		data := randBytes(t, 1000)
		wrong := digest([]byte("other"))
		_, err := s.Put(ctx, bytes.NewReader(data), blob.Expect{SHA256: wrong, Size: -1})
		if !errors.Is(err, blob.ErrDigestMismatch) {
			t.Fatalf("err = %v, want digest mismatch", err)
		}
		assertAbsent(t, s, digest(data))
		assertAbsent(t, s, wrong)
	})
	t.Run("SizeMismatchStoresNothing", func(t *testing.T) {
		s := newStore(t)
		data := randBytes(t, 1000)
		for _, size := range []int64{999, 1001} { // longer, then shorter than announced
			_, err := s.Put(ctx, bytes.NewReader(data), blob.Expect{Size: size})
			if !errors.Is(err, blob.ErrSizeMismatch) {
				t.Fatalf("size %d: err = %v, want size mismatch", size, err)
			}
			assertAbsent(t, s, digest(data))
			assertAbsent(t, s, digest(data[:999]))
		}
	})
	// With both digest and size known a store may upload in one step
	// (s3's direct PUT): still nothing wrong or partial may be stored.
	t.Run("KnownDigestAndSizeMismatchStoresNothing", func(t *testing.T) {
		s := newStore(t)
		data := randBytes(t, 1000)
		wrong := digest(append([]byte{data[0] ^ 0xff}, data[1:]...)) // never data itself
		if _, err := s.Put(ctx, bytes.NewReader(data), blob.Expect{SHA256: wrong, Size: 1000}); !errors.Is(err, blob.ErrDigestMismatch) {
			t.Fatalf("wrong digest: err = %v, want digest mismatch", err)
		}
		assertAbsent(t, s, wrong)
		assertAbsent(t, s, digest(data))
		for _, src := range [][]byte{data[:999], append(data[:1000:1000], 'x')} { // shorter, then longer
			want := blob.Expect{SHA256: digest(data), Size: 1000}
			if _, err := s.Put(ctx, bytes.NewReader(src), want); !errors.Is(err, blob.ErrSizeMismatch) {
				t.Fatalf("%d bytes for 1000: err = %v, want size mismatch", len(src), err)
			}
			assertAbsent(t, s, digest(data))
		}
		if info, err := s.Put(ctx, bytes.NewReader(data), blob.Expect{SHA256: digest(data), Size: 1000}); err != nil || info.Size != 1000 {
			t.Fatalf("right bytes: %+v %v", info, err)
		}
		if got := readAll(t, s, digest(data)); !bytes.Equal(got, data) {
			t.Fatal("content differs")
		}
	})
	t.Run("ReaderErrorStoresNothing", func(t *testing.T) {
		s := newStore(t)
		data := randBytes(t, 50_000)
		boom := errors.New("connection reset")
		r := io.MultiReader(bytes.NewReader(data[:20_000]), errReader{boom})
		if _, err := s.Put(ctx, r, blob.Expect{Size: -1}); !errors.Is(err, boom) {
			t.Fatalf("err = %v, want the reader's error", err)
		}
		assertAbsent(t, s, digest(data[:20_000]))
	})
	t.Run("BadDigest", func(t *testing.T) {
		s := newStore(t)
		for _, bad := range []string{"", "abc", "../../../../etc/passwd", digest(nil)[:63] + "G"} {
			if _, _, err := s.Open(ctx, bad); !errors.Is(err, blob.ErrBadDigest) {
				t.Fatalf("Open(%q) err = %v", bad, err)
			}
		}
	})
	t.Run("Delete", func(t *testing.T) {
		s := newStore(t)
		info := put(t, s, []byte("delete me"))
		if err := s.Delete(ctx, info.SHA256); err != nil {
			t.Fatal(err)
		}
		assertAbsent(t, s, info.SHA256)
		if err := s.Delete(ctx, info.SHA256); err != nil {
			t.Fatalf("second delete: %v", err)
		}
	})
	t.Run("Check", func(t *testing.T) {
		if err := newStore(t).Check(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func put(t *testing.T, s blob.Store, data []byte) blob.Info {
	t.Helper()
	info, err := s.Put(context.Background(), bytes.NewReader(data), blob.Expect{SHA256: digest(data), Size: int64(len(data))})
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func readAll(t *testing.T, s blob.Store, sha string) []byte {
	t.Helper()
	r, info, err := s.Open(context.Background(), sha)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) != info.Size {
		t.Fatalf("read %d bytes, info says %d", len(b), info.Size)
	}
	return b
}

func assertAbsent(t *testing.T, s blob.Store, sha string) {
	t.Helper()
	if _, err := s.Stat(context.Background(), sha); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Stat(%s) err = %v, want not found", sha[:12], err)
	}
	if _, _, err := s.Open(context.Background(), sha); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Open(%s) err = %v, want not found", sha[:12], err)
	}
}

func randBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
