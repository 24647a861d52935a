package s3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/artifactapi/artifactapi/internal/blob"
)

// writeTemp is a file holding data, and what its bytes are.
func writeTemp(t *testing.T, data []byte) (*os.File, blob.Expect) {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "spool"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return f, blob.Expect{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))}
}

// A file goes up in one PUT signed by the store itself, to its address,
// and reads back whole; whatever its descriptor's offset (a spool's is
// at its end). Over the minio-go path (a server that does not check
// payload hashes) the result is the same.
func TestPutFile(t *testing.T) {
	s := newStore(t)
	for _, direct := range []bool{true, false} {
		s.direct = direct
		data := bytes.Repeat([]byte(strings.Repeat("x", 100)+"put file "), 20000)
		data = append(data, byte(len(data)), byte(map[bool]int{true: 1}[direct]))
		f, want := writeTemp(t, data)
		info, err := s.PutFile(context.Background(), f, want)
		if err != nil || info.SHA256 != want.SHA256 || info.Size != want.Size {
			t.Fatalf("direct=%v: %+v %v", direct, info, err)
		}
		r, got, err := s.Open(context.Background(), want.SHA256)
		if err != nil || got.Size != want.Size {
			t.Fatalf("direct=%v: open %+v %v", direct, got, err)
		}
		back, _ := io.ReadAll(r)
		r.Close()
		if !bytes.Equal(back, data) {
			t.Fatalf("direct=%v: read back %d bytes, not what was put", direct, len(back))
		}
	}
	s.direct = true
	f, want := writeTemp(t, nil)
	if _, err := s.PutFile(context.Background(), f, want); err != nil {
		t.Fatalf("empty file: %v", err)
	}
	if info, err := s.Stat(context.Background(), want.SHA256); err != nil || info.Size != 0 {
		t.Fatalf("empty file: %+v %v", info, err)
	}
}

// The server's check is the verification: a file whose bytes are not
// the digest's, or fewer than the size says, stores nothing at the
// digest's address.
func TestPutFileRefusesOtherBytes(t *testing.T) {
	s := newStore(t)
	f, want := writeTemp(t, []byte("the bytes that were verified"))
	wrong := want
	sum := sha256.Sum256([]byte("other bytes"))
	wrong.SHA256 = hex.EncodeToString(sum[:])
	if _, err := s.PutFile(context.Background(), f, wrong); !errors.Is(err, blob.ErrDigestMismatch) {
		t.Fatalf("wrong digest: %v, want a digest mismatch", err)
	}
	short := want
	short.Size += 10
	if _, err := s.PutFile(context.Background(), f, short); err == nil {
		t.Fatal("a file shorter than its size was stored")
	}
	for _, sha := range []string{wrong.SHA256, want.SHA256} {
		if _, err := s.Stat(context.Background(), sha); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("%s stored: %v", sha, err)
		}
	}
}
