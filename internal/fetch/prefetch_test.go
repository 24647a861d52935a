package fetch

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/artifactapi/artifactapi/internal/blob"
	blobfs "github.com/artifactapi/artifactapi/internal/blob/fs"
	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/meta/sqlite"
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

// serveAs returns a client of rem through e that expects each path's
// body to be prefix and the path, and calls then (if set) after each.
func serveAs(t *testing.T, e *Engine, rem *registry.Remote, prefix string, then func()) func(path string) format.Outcome {
	return func(path string) format.Outcome {
		t.Helper()
		w := httptest.NewRecorder()
		o, err := e.Serve(w, httptest.NewRequest("GET", "/"+path, nil), rem, path, "")
		if err != nil || w.Body.String() != prefix+"/"+path {
			t.Fatalf("%s: %q %v", path, w.Body.String(), err)
		}
		if then != nil {
			then()
		}
		return o
	}
}

// countingUpstream is a test upstream that counts the requests for each
// path.
type countingUpstream struct {
	*httptest.Server
	mu sync.Mutex
	n  map[string]int
}

func newCountingUpstream(t *testing.T, h http.HandlerFunc) *countingUpstream {
	u := &countingUpstream{n: map[string]int{}}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.n[r.URL.Path]++
		u.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *countingUpstream) asked(path string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.n[path]
}

// A first fill of x.a fills x.b alongside: stored without a client asking,
// fetched once, and then a hit. One that is cached, blocked by the remote,
// or answered 404 upstream is not stored; a client's own fill is joined,
// not doubled.
func TestPrefetchFillsWhatComesNext(t *testing.T) {
	up := newCountingUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/gone") && strings.HasSuffix(r.URL.Path, ".b") {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("bytes of " + r.URL.Path))
	})
	e, ms, _ := newEngine(t)
	rem, err := registry.Compile(meta.Remote{Name: "n", PackageType: "kind", BaseURL: up.URL, Blocklist: []string{"^blocked\\.b$"}},
		format.NewRegistry(nextType{}))
	if err != nil {
		t.Fatal(err)
	}
	get := serveAs(t, e, rem, "bytes of ", nil)
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
	for path, want := range map[string]int{"/m.a": 1, "/m.b": 1, "/cached.b": 1, "/blocked.b": 0, "/gone.b": 1} {
		if n := up.asked(path); n != want {
			t.Errorf("upstream asked for %s %d times, want %d", path, n, want)
		}
	}
	var m dto.Metric
	if err := e.Metrics.Prefetches.WithLabelValues("n").Write(&m); err != nil || m.GetCounter().GetValue() != 2 {
		n := m.GetCounter().GetValue()
		t.Errorf("prefetches counted: %v, want 2 (m.b, gone.b)", n)
	}
}

// A prefetched file that is verified and still being stored is served to
// the client that then asks for it from the verified bytes, as any fill in
// progress is, not after the store: no client has had it yet. It is
// fetched once and stored.
func TestPrefetchedServedWhileStored(t *testing.T) {
	up := newCountingUpstream(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("bytes of " + r.URL.Path)) })
	gate := make(chan struct{})
	var open sync.Once
	openGate := func() { open.Do(func() { close(gate) }) }
	e, ms, _ := newEngineOver(t, func(_ *sqlite.Store, s *blobfs.Store) blob.Store { return gatedStore{s, gate} })
	// A failure must not leave the fills waiting on the gate.
	t.Cleanup(openGate)
	// x.a and x.b store behind their clients.
	e.storing = make(chan struct{}, 2)
	rem, err := registry.Compile(meta.Remote{Name: "n", PackageType: "kind", BaseURL: up.URL}, format.NewRegistry(nextType{}))
	if err != nil {
		t.Fatal(err)
	}
	serve := func(path string) <-chan *httptest.ResponseRecorder { return serveAsync(t, e, rem, path) }
	if w := <-serve("x.a"); w.Body.String() != "bytes of /x.a" {
		t.Fatalf("x.a: %q", w.Body.String())
	}
	verified := func() bool {
		e.mu.Lock()
		defer e.mu.Unlock()
		f := e.inflight[cacheKey("n", "x.b")]
		return f != nil && f.isVerified()
	}
	for deadline := time.Now().Add(10 * time.Second); !verified(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("x.b was not prefetched")
		}
	}
	select {
	case w := <-serve("x.b"):
		if w.Body.String() != "bytes of /x.b" || w.Header().Get("X-Cache") != "MISS" {
			t.Fatalf("x.b: %q %s", w.Body.String(), w.Header().Get("X-Cache"))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the client of a prefetched file waited for its store")
	}
	openGate()
	e.fills.Wait()
	if _, err := ms.GetObject(context.Background(), "n", "x.b"); err != nil {
		t.Fatalf("x.b not stored: %v", err)
	}
	if n := up.asked("/x.b"); n != 1 {
		t.Fatalf("upstream asked for x.b %d times, want 1", n)
	}
}

// While the upstream says its rate limit is nearly spent, a fill starts
// no prefetch: what is left goes to what clients ask. Once it recovers,
// prefetches start again.
func TestNoPrefetchWhileBudgetLow(t *testing.T) {
	var remaining atomic.Int64
	remaining.Store(3) // of 100: low (at most 5%)
	up := newCountingUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-RateLimit-Limit", "100")
		w.Header().Set("X-RateLimit-Remaining", strconv.FormatInt(remaining.Load(), 10))
		w.Write([]byte("bytes of " + r.URL.Path))
	})
	e, ms, _ := newEngine(t)
	rem, err := registry.Compile(meta.Remote{Name: "n", PackageType: "kind", BaseURL: up.URL}, format.NewRegistry(nextType{}))
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) {
		t.Helper()
		w := httptest.NewRecorder()
		if _, err := e.Serve(w, httptest.NewRequest("GET", "/"+path, nil), rem, path, ""); err != nil || w.Body.String() != "bytes of /"+path {
			t.Fatalf("%s: %q %v", path, w.Body.String(), err)
		}
		e.fills.Wait()
	}
	stored := func(path string) bool {
		_, err := ms.GetObject(context.Background(), "n", path)
		return err == nil
	}
	get("first.b") // names nothing next; tells the engine the budget
	get("m.a")
	if stored("m.b") || up.asked("/m.b") != 0 {
		t.Fatalf("m.b prefetched on a low budget (asked %d times)", up.asked("/m.b"))
	}
	remaining.Store(90)
	get("second.b")
	get("n.a")
	if !stored("n.b") || up.asked("/n.b") != 1 {
		t.Fatalf("n.b not prefetched once the budget recovered (asked %d times)", up.asked("/n.b"))
	}
}

// The lookup before a first fill reads the rows of what its prefetch
// fills in the same statement: the prefetch reads nothing more. A row
// found so (another replica's, or one from before a restart) is then in
// memory: it is neither prefetched again nor read again when asked for.
func TestPrefetchReadsItsRowsWithTheFirstLookup(t *testing.T) {
	up := newCountingUpstream(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("bytes of " + r.URL.Path)) })
	e, ms, _ := newEngine(t)
	reads := &countingGets{Objects: ms}
	e.Objects = reads
	rem, err := registry.Compile(meta.Remote{Name: "n", PackageType: "kind", BaseURL: up.URL}, format.NewRegistry(nextType{}))
	if err != nil {
		t.Fatal(err)
	}
	get := serveAs(t, e, rem, "bytes of ", e.fills.Wait)

	get("m.a")
	if n, paths := reads.since(0, 0); n != 1 || !slices.Equal(paths, []string{"m.a", "m.b"}) {
		t.Fatalf("a first fill and its prefetch read the database %d times, for %q; want once, for m.a and m.b", n, paths)
	}
	if _, err := ms.GetObject(context.Background(), "n", "m.b"); err != nil {
		t.Fatalf("m.b was not prefetched: %v", err)
	}

	get("x.b")
	e.rows.clear() // as after a restart, or when another replica stored the rows
	n0, p0 := reads.since(0, 0)
	if o := get("x.a"); o == format.Hit {
		t.Fatal("x.a was never filled but is a hit")
	}
	if o := get("x.b"); o != format.Hit {
		t.Fatalf("x.b: %s, want a hit", o)
	}
	if n, paths := reads.since(n0, len(p0)); n != 1 || !slices.Equal(paths, []string{"x.a", "x.b"}) {
		t.Fatalf("x.a, its prefetch and x.b read the database %d times, for %q; want once, for x.a and x.b", n, paths)
	}
	for path, want := range map[string]int{"/m.a": 1, "/m.b": 1, "/x.a": 1, "/x.b": 1} {
		if n := up.asked(path); n != want {
			t.Errorf("upstream asked for %s %d times, want %d", path, n, want)
		}
	}
}
