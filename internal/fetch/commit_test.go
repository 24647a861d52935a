package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/artifactapi/artifactapi/internal/blob"
	blobfs "github.com/artifactapi/artifactapi/internal/blob/fs"
	"github.com/artifactapi/artifactapi/internal/blob/inline"
	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/meta/sqlite"
	"github.com/artifactapi/artifactapi/internal/registry"
)

// failingRows is a table whose combined blob-and-row writes fail, as a
// database that went away between the fill and its commit.
type failingRows struct{ *sqlite.Store }

func (failingRows) PutObjectBlob(context.Context, meta.Object, []byte) error {
	return errors.New("database gone")
}

// A small fill's blob and row are committed together in the table, and
// nothing goes to the files; when that one write fails, the client still
// has its verified bytes and nothing at all is stored.
func TestSmallFillCommitsBlobWithRow(t *testing.T) {
	body := []byte("a small module's go.mod")
	sum := sha256.Sum256(body)
	sha := hex.EncodeToString(sum[:])
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) }))
	defer up.Close()
	for _, fail := range []bool{false, true} {
		e, ms, bs := newEngineOver(t, func(ms *sqlite.Store, bs *blobfs.Store) blob.Store {
			if fail {
				return inline.New(failingRows{ms}, bs, 16<<10)
			}
			return inline.New(ms, bs, 16<<10)
		})
		rem, err := registry.Compile(meta.Remote{Name: "k", PackageType: "kind", BaseURL: up.URL}, format.NewRegistry(kindType{}))
		if err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		if _, err := e.Serve(w, httptest.NewRequest("GET", "/m.mod", nil), rem, "m.mod", ""); err != nil || w.Body.String() != string(body) {
			t.Fatalf("fail=%v: miss answered %q, %v", fail, w.Body.String(), err)
		}
		e.Settle(context.Background(), "", "")
		_, rowErr := ms.GetObject(context.Background(), "k", "m.mod")
		_, blobErr := ms.GetBlob(context.Background(), sha)
		if _, _, err := bs.Open(context.Background(), sha); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("fail=%v: the small blob went to the files too: %v", fail, err)
		}
		if fail {
			if !errors.Is(rowErr, meta.ErrNotFound) || !errors.Is(blobErr, meta.ErrNotFound) {
				t.Errorf("failed commit stored something: row %v, blob %v", rowErr, blobErr)
			}
			continue
		}
		if rowErr != nil || blobErr != nil {
			t.Fatalf("committed fill: row %v, blob %v", rowErr, blobErr)
		}
		w = httptest.NewRecorder()
		if o, err := e.Serve(w, httptest.NewRequest("GET", "/m.mod", nil), rem, "m.mod", ""); err != nil || o != format.Hit || w.Body.String() != string(body) {
			t.Fatalf("second request: %s %q %v", o, w.Body.String(), err)
		}
	}
}
