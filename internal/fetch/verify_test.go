package fetch

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/blob"
	blobfs "github.com/artifactapi/artifactapi/internal/blob/fs"
	"github.com/artifactapi/artifactapi/internal/breaker"
	"github.com/artifactapi/artifactapi/internal/events"
	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/meta/sqlite"
	"github.com/artifactapi/artifactapi/internal/metrics"
	"github.com/artifactapi/artifactapi/internal/registry"
	"github.com/artifactapi/artifactapi/internal/state/memory"
)

// digestType publishes a digest in the path, as docker does:
// "sha256/<hex>" must hash to <hex>.
type digestType struct{}

func (digestType) Name() string { return "digest" }
func (digestType) Classify(string) (format.Class, error) {
	return format.Class{Kind: format.Artifact}, nil
}
func (digestType) Expect(path string, _ http.Header) (blob.Expect, bool) {
	hexd, ok := strings.CutPrefix(path, "sha256/")
	return blob.Expect{SHA256: hexd, Size: -1}, ok
}

type nopRecorder struct{}

func (nopRecorder) Fetched(string, int64) {}
func (nopRecorder) Failed(string)         {}

type nopEvents struct{}

func (nopEvents) Publish(events.Event) {}

func newEngine(t *testing.T) (*Engine, *sqlite.Store, *blobfs.Store) {
	return newEngineOver(t, func(_ *sqlite.Store, s *blobfs.Store) blob.Store { return s })
}

// newEngineOver builds an engine on SQLite and the blob store that wrap
// makes of a local one.
func newEngineOver(t *testing.T, wrap func(*sqlite.Store, *blobfs.Store) blob.Store) (*Engine, *sqlite.Store, *blobfs.Store) {
	dir := t.TempDir()
	ms, err := sqlite.Open(context.Background(), filepath.Join(dir, "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ms.Close() })
	bs, err := blobfs.New(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	st := memory.New()
	e, err := New(Deps{Objects: ms, Blobs: wrap(ms, bs), State: st, Breaker: breaker.New(st), Recorder: nopRecorder{}, Events: nopEvents{},
		Metrics: metrics.New(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// A fill stores after its client has the bytes: it must be done before
	// the directory goes (a run failed removing it while a blob was put).
	t.Cleanup(func() { e.Close() })
	return e, ms, bs
}

// digestRemote is a remote of digestType in front of base.
func digestRemote(t *testing.T, base string) *registry.Remote {
	t.Helper()
	rem, err := registry.Compile(meta.Remote{Name: "d", PackageType: "digest", BaseURL: base}, format.NewRegistry(digestType{}))
	if err != nil {
		t.Fatal(err)
	}
	return rem
}

// Both a small body (spooled in memory) and a large one (spooled in a
// file, read in many pieces) are checked.
func TestPublishedDigestMismatchRefused(t *testing.T) {
	large := make([]byte, 3<<20+17)
	rand.Read(large)
	for name, good := range map[string][]byte{"small": []byte("the real layer"), "large": large} {
		t.Run(name, func(t *testing.T) { publishedDigestMismatchRefused(t, good) })
	}
}

func publishedDigestMismatchRefused(t *testing.T, good []byte) {
	sum := sha256.Sum256(good)
	goodHex := hex.EncodeToString(sum[:])
	badHex := strings.Repeat("ab", 32)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(good) // always the same bytes, whatever digest was asked for
	}))
	defer up.Close()
	e, ms, bs := newEngine(t)
	rem := digestRemote(t, up.URL)
	serve := func(path string) (*httptest.ResponseRecorder, error, bool) {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/x", nil)
		aborted := false
		var err error
		func() {
			defer func() {
				if p := recover(); p == http.ErrAbortHandler {
					aborted = true
				} else if p != nil {
					panic(p)
				}
			}()
			_, err = e.Serve(w, r, rem, path, "")
		}()
		return w, err, aborted
	}
	w, err, aborted := serve("sha256/" + badHex)
	if !aborted && (err == nil || apierr.Status(err) != http.StatusBadGateway) {
		t.Fatalf("mismatched digest served: code %d err %v body %q", w.Code, err, w.Body.String())
	}
	if _, err := ms.GetObject(context.Background(), "d", "sha256/"+badHex); err != meta.ErrNotFound {
		t.Fatalf("row stored for a mismatched digest: %v", err)
	}
	if _, err := bs.Stat(context.Background(), goodHex); err != blob.ErrNotFound {
		t.Fatalf("blob stored for a mismatched digest: %v", err)
	}
	w, err, aborted = serve("sha256/" + goodHex)
	if err != nil || aborted || !bytes.Equal(w.Body.Bytes(), good) {
		t.Fatalf("matching digest: %v %v, %d bytes served of %d", err, aborted, w.Body.Len(), len(good))
	}
}
