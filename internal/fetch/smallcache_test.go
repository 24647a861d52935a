package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// A small object is in memory from its fill on: its first hit needs
// neither the blob store nor the upstream.
func TestFilledSmallObjectHitsFromMemory(t *testing.T) {
	body := []byte("a small verified object")
	sum := sha256.Sum256(body)
	var asked atomic.Int32
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		w.Write(body)
	}))
	defer up.Close()
	e, _, bs := newEngine(t)
	rem := digestRemote(t, up.URL)
	path := "sha256/" + hex.EncodeToString(sum[:])
	get := func() *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		if _, err := e.Serve(w, httptest.NewRequest("GET", "/x", nil), rem, path, ""); err != nil {
			t.Fatal(err)
		}
		return w
	}
	if w := get(); w.Body.String() != string(body) {
		t.Fatalf("fill: %q", w.Body.String())
	}
	// Gone from the store: only the memory copy can answer.
	if err := bs.Delete(context.Background(), hex.EncodeToString(sum[:])); err != nil {
		t.Fatal(err)
	}
	w := get()
	if w.Body.String() != string(body) || w.Header().Get("X-Cache") != "HIT" || asked.Load() != 1 {
		t.Fatalf("first hit: %q %s, upstream asked %d times", w.Body.String(), w.Header().Get("X-Cache"), asked.Load())
	}
}
