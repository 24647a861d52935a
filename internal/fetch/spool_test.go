package fetch

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/blob"
	blobfs "github.com/artifactapi/artifactapi/internal/blob/fs"
	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/meta/sqlite"
	"github.com/artifactapi/artifactapi/internal/registry"
)

// A small body of announced length is spooled in memory while it
// arrives; a larger one in a file. Both are served and stored whole.
func TestSmallBodiesSpoolInMemory(t *testing.T) {
	bodies := map[string][]byte{"/small": make([]byte, 2048), "/large": make([]byte, smallObject+1)}
	for _, b := range bodies {
		rand.Read(b)
	}
	release := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := bodies[r.URL.Path]
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.Write(b[:len(b)/2])
		w.(http.Flusher).Flush()
		<-release
		w.Write(b[len(b)/2:])
	}))
	defer up.Close()
	e, ms, _ := newEngineOver(t, func(_ *sqlite.Store, s *blobfs.Store) blob.Store { return s })
	rem, err := registry.Compile(meta.Remote{Name: "k", PackageType: "kind", BaseURL: up.URL}, format.NewRegistry(kindType{}))
	if err != nil {
		t.Fatal(err)
	}
	for path, wantFiles := range map[string]int{"small": 0, "large": 1} {
		done := serveAsync(t, e, rem, path)
		deadline := time.Now().Add(10 * time.Second)
		for !halfway(e, cacheKey("k", path)) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: the fill never received its first half", path)
			}
			time.Sleep(5 * time.Millisecond)
		}
		e.mu.Lock()
		_, inFile := e.inflight[cacheKey("k", path)].spool.(*fileSpool)
		e.mu.Unlock()
		if inFile != (wantFiles == 1) {
			t.Errorf("%s: spooled in a file: %v, want %v", path, inFile, wantFiles == 1)
		}
		release <- struct{}{}
		w := <-done
		if !bytes.Equal(w.Body.Bytes(), bodies["/"+path]) {
			t.Fatalf("%s: served %d bytes, not the upstream's %d", path, w.Body.Len(), len(bodies["/"+path]))
		}
		e.fills.Wait()
		obj, err := ms.GetObject(context.Background(), "k", path)
		if err != nil || obj.Size != int64(len(bodies["/"+path])) {
			t.Fatalf("%s: stored %+v, %v", path, obj, err)
		}
		rc, _, err := e.Blobs.Open(context.Background(), obj.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(got, bodies["/"+path]) {
			t.Fatalf("%s: the stored blob differs from the upstream's body", path)
		}
	}
}

func halfway(e *Engine, key string) bool {
	e.mu.Lock()
	f := e.inflight[key]
	e.mu.Unlock()
	if f == nil {
		return false
	}
	n, _ := f.snapshot()
	return n > 0
}

// A memory spool refuses a byte past its announced length, and reads
// never go past it.
func TestMemSpoolBounds(t *testing.T) {
	var e Engine
	sp, err := e.newSpool(4)
	if err != nil {
		t.Fatal(err)
	}
	m := sp.(*memSpool)
	n := copy(m.next(), "abcd")
	if err := m.keep(n); err != nil {
		t.Fatal(err)
	}
	p := make([]byte, 8)
	if n, err := m.ReadAt(p, 1); n != 3 || err != io.EOF || string(p[:n]) != "bcd" {
		t.Fatalf("ReadAt past the end: %d %v %q", n, err, p[:n])
	}
	if n := copy(m.next(), "e"); m.keep(n) == nil || !errors.Is(m.keep(0), errLonger) {
		t.Fatal("a byte past the announced length was kept")
	}
	if got := apierr.Status(errLonger); got != http.StatusBadGateway {
		t.Fatalf("a body longer than announced answers %d, want 502: the upstream's fault", got)
	}
}
