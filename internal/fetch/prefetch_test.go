package fetch

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/registry"
)

// nextType is kindType whose clients ask for x.b after x.a.
type nextType struct{ kindType }

func (nextType) Next(path string) []string {
	if p, ok := strings.CutSuffix(path, ".a"); ok {
		return []string{p + ".b"}
	}
	return nil
}

// A first fill of x.a fills x.b alongside: stored without a client asking,
// fetched once, and then a hit. One that is cached, blocked by the remote,
// or answered 404 upstream is not stored; a client's own fill is joined,
// not doubled.
func TestPrefetchFillsWhatComesNext(t *testing.T) {
	var mu sync.Mutex
	asked := map[string]int{}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked[r.URL.Path]++
		mu.Unlock()
		if strings.HasPrefix(r.URL.Path, "/gone") && strings.HasSuffix(r.URL.Path, ".b") {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("bytes of " + r.URL.Path))
	}))
	defer up.Close()
	e, ms, _ := newEngine(t)
	rem, err := registry.Compile(meta.Remote{Name: "n", PackageType: "kind", BaseURL: up.URL, Blocklist: []string{"^blocked\\.b$"}},
		format.NewRegistry(nextType{}))
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) format.Outcome {
		t.Helper()
		w := httptest.NewRecorder()
		o, err := e.Serve(w, httptest.NewRequest("GET", "/"+path, nil), rem, path, "")
		if err != nil || w.Body.String() != "bytes of /"+path {
			t.Fatalf("%s: %q %v", path, w.Body.String(), err)
		}
		return o
	}
	settle := func() { e.fills.Wait() }
	ctx := context.Background()

	get("m.a")
	settle()
	if _, err := ms.GetObject(ctx, "n", "m.b"); err != nil {
		t.Fatalf("m.b was not prefetched: %v", err)
	}
	if o := get("m.b"); o != format.Hit {
		t.Fatalf("m.b after its prefetch: %s, want a hit", o)
	}

	get("cached.b")
	settle()
	get("cached.a")
	settle()

	get("blocked.a")
	get("gone.a")
	settle()
	for _, path := range []string{"blocked.b", "gone.b"} {
		if _, err := ms.GetObject(ctx, "n", path); !errors.Is(err, meta.ErrNotFound) {
			t.Errorf("%s stored: %v", path, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for path, want := range map[string]int{"/m.a": 1, "/m.b": 1, "/cached.b": 1, "/blocked.b": 0, "/gone.b": 1} {
		if asked[path] != want {
			t.Errorf("upstream asked for %s %d times, want %d", path, asked[path], want)
		}
	}
	var m dto.Metric
	if err := e.Metrics.Prefetches.WithLabelValues("n").Write(&m); err != nil || m.GetCounter().GetValue() != 2 {
		n := m.GetCounter().GetValue()
		t.Errorf("prefetches counted: %v, want 2 (m.b, gone.b)", n)
	}
}
