package fetch

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/artifactapi/artifactapi/internal/blob"
	blobfs "github.com/artifactapi/artifactapi/internal/blob/fs"
	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/meta/sqlite"
	"github.com/artifactapi/artifactapi/internal/registry"
)

// gatedStore stores nothing until its gate opens.
type gatedStore struct {
	*blobfs.Store
	gate chan struct{}
}

func (g gatedStore) Adopt(ctx context.Context, f *os.File, info blob.Info) error {
	<-g.gate
	return g.Store.Adopt(ctx, f, info)
}

func (g gatedStore) Put(ctx context.Context, r io.Reader, want blob.Expect) (blob.Info, error) {
	<-g.gate
	return g.Store.Put(ctx, r, want)
}

// kindType names "index" an index and anything else an artifact.
type kindType struct{}

func (kindType) Name() string { return "kind" }
func (kindType) Classify(p string) (format.Class, error) {
	if p == "index" {
		return format.Class{Kind: format.Index}, nil
	}
	return format.Class{Kind: format.Artifact}, nil
}

// An artifact's clients get its last byte once it is verified, while it
// is still being stored; a request that comes meanwhile waits and is a
// hit. An index is stored before its last byte goes, and so is an
// artifact when too many fills are storing already.
func TestArtifactServedWhileStored(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("bytes of " + r.URL.Path)) }))
	defer up.Close()
	gate := make(chan struct{})
	e, ms, _ := newEngineOver(t, func(_ *sqlite.Store, s *blobfs.Store) blob.Store { return gatedStore{s, gate} })
	e.storing = make(chan struct{}, 1) // one fill may store behind its clients
	rem, err := registry.Compile(meta.Remote{Name: "k", PackageType: "kind", BaseURL: up.URL}, format.NewRegistry(kindType{}))
	if err != nil {
		t.Fatal(err)
	}
	serve := func(path string) <-chan *httptest.ResponseRecorder { return serveAsync(t, e, rem, path) }
	var w *httptest.ResponseRecorder
	select {
	case w = <-serve("artifact"):
	case <-time.After(10 * time.Second):
		t.Fatal("an artifact's client waited for the store")
	}
	if w.Body.String() != "bytes of /artifact" || w.Header().Get("X-Cache") != "MISS" {
		t.Fatalf("artifact: %q %s", w.Body.String(), w.Header().Get("X-Cache"))
	}
	if _, err := ms.GetObject(context.Background(), "k", "artifact"); err != meta.ErrNotFound {
		t.Fatalf("stored before the gate opened: %v", err)
	}
	// MaxFills bounds the fills receiving: one storing what its clients
	// have does not count.
	if n, in := fillCounts(e); n != 0 || in != 1 {
		t.Fatalf("%d fills counted as receiving, %d in flight; want 0 of 1 (the artifact is storing)", n, in)
	}
	again := serve("artifact")
	index := serve("index")
	other := serve("other") // no place left to store behind its clients
	time.Sleep(50 * time.Millisecond)
	select {
	case w := <-again:
		t.Fatalf("a request while the artifact is stored answered before it was: %s", w.Header().Get("X-Cache"))
	case w := <-index:
		t.Fatalf("an index was served before it was stored: %q", w.Body.String())
	case w := <-other:
		t.Fatalf("a second artifact was served whole with the one place to store behind taken: %q", w.Body.String())
	default:
	}
	if n, _ := fillCounts(e); n != 2 {
		t.Fatalf("%d fills counted as receiving, want 2 (the index and the artifact without a place to store behind)", n)
	}
	close(gate)
	if w := <-again; w.Body.String() != "bytes of /artifact" || w.Header().Get("X-Cache") != "HIT" {
		t.Fatalf("artifact again: %q %s", w.Body.String(), w.Header().Get("X-Cache"))
	}
	if w := <-other; w.Body.String() != "bytes of /other" {
		t.Fatalf("other: %q", w.Body.String())
	}
	if w := <-index; w.Body.String() != "bytes of /index" {
		t.Fatalf("index: %q", w.Body.String())
	}
	if _, err := ms.GetObject(context.Background(), "k", "index"); err != nil {
		t.Fatalf("index served but not stored: %v", err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		n, in := fillCounts(e)
		if in == 0 && n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d fills still counted as receiving, %d in flight, after all ended", n, in)
		}
	}
}

// serveAsync serves a GET of path in a goroutine of its own; the
// channel gets the response once it is done.
func serveAsync(t *testing.T, e *Engine, rem *registry.Remote, path string) <-chan *httptest.ResponseRecorder {
	done := make(chan *httptest.ResponseRecorder, 1)
	go func() {
		w := httptest.NewRecorder()
		if _, err := e.Serve(w, httptest.NewRequest("GET", "/"+path, nil), rem, path, ""); err != nil {
			t.Error(path, err)
		}
		done <- w
	}()
	return done
}

func fillCounts(e *Engine) (fetching, inflight int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.fetching, len(e.inflight)
}

// A client that got its last byte may ask for its next miss at once,
// while its last fill is still storing: that fill no longer counts
// against MaxFills, so clients each asking for misses one after another,
// as many as MaxFills, are never refused as busy. (The bench's 64
// connections once were, at the 25,690th object, when the count dropped
// just after the last byte could go.)
func TestSequentialMissesWithinMaxFills(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("bytes of " + r.URL.Path)) }))
	defer up.Close()
	e, _, _ := newEngine(t)
	const clients = 16
	e.opt.MaxFills = clients
	rem, err := registry.Compile(meta.Remote{Name: "k", PackageType: "kind", BaseURL: up.URL}, format.NewRegistry(kindType{}))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := range 100 {
				path := fmt.Sprint("artifact-", c, "-", i)
				w := httptest.NewRecorder()
				if _, err := e.Serve(w, httptest.NewRequest("GET", "/"+path, nil), rem, path, ""); err != nil {
					t.Errorf("client %d, miss %d: %v", c, i, err)
					return
				}
				if w.Body.String() != "bytes of /"+path {
					t.Errorf("client %d, miss %d: %d %q", c, i, w.Code, w.Body.String())
					return
				}
			}
		})
	}
	wg.Wait()
}
