package fs

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/artifactapi/artifactapi/internal/blob"
	"github.com/artifactapi/artifactapi/internal/blob/blobtest"
)

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		s, err := New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { assertNoTemps(t, s) })
		return s
	})
}

// assertNoTemps fails a test that leaves uncommitted files behind.
func assertNoTemps(t *testing.T, s *Store) {
	left, _ := os.ReadDir(s.TempDir())
	if len(left) > 0 {
		t.Errorf("%d temp files left behind, first %s", len(left), left[0].Name())
	}
}

func TestCrashTempsRemovedAtStart(t *testing.T) {
	dir := t.TempDir()
	if _, err := New(dir); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, "tmp", "put-12345")
	if err := os.WriteFile(stale, []byte("half a file"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("stale temp still there: %v", err)
	}
	assertNoTemps(t, s)
}

func TestAdoptRenames(t *testing.T) {
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("spooled bytes")
	f, err := os.Create(filepath.Join(s.TempDir(), "spool"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Write(data)
	h := blob.NewHasher()
	h.Write(data)
	info := h.Info()
	if err := s.Adopt(context.Background(), f, blob.Info{SHA256: info.SHA256, Size: 3}); err == nil {
		t.Fatal("adopt with the wrong size succeeded")
	}
	if err := s.Adopt(context.Background(), f, info); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Stat(context.Background(), info.SHA256); err != nil || got != info {
		t.Fatalf("stat = %+v %v", got, err)
	}
	assertNoTemps(t, s)
}
