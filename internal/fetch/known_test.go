package fetch

import (
	"context"
	"fmt"
	"hash/maphash"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/registry"
)

// fakeRows is a remote's table as knownKeys reads it. gate, when set,
// holds each listing until it is closed, so a test can act mid-build.
type fakeRows struct {
	mu    sync.Mutex
	paths map[string]bool
	gate  chan struct{}
	lists int
}

func (f *fakeRows) put(path string) {
	f.mu.Lock()
	f.paths[path] = true
	f.mu.Unlock()
}

func (f *fakeRows) list(ctx context.Context, remote, prefix, after string, limit int) ([]meta.Object, error) {
	if f.gate != nil {
		<-f.gate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists++
	var paths []string
	for p := range f.paths {
		if p > after {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	var out []meta.Object
	for _, p := range paths[:min(limit, len(paths))] {
		out = append(out, meta.Object{Remote: remote, Path: p})
	}
	return out, nil
}

func newTestKnown(f *fakeRows) *knownKeys {
	return newKnownKeys(context.Background(), f.list, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// built asks about path until r's filter is in place.
func built(t *testing.T, k *knownKeys, remote string) *bloom {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		k.absent(remote, cacheKey(remote, "probe"))
		if b := k.remote(remote).ready.Load(); b != nil {
			return b
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("the key filter was not built")
	return nil
}

func TestKnownKeysFromTable(t *testing.T) {
	rows := &fakeRows{paths: map[string]bool{}}
	for i := range 2500 { // more than a listing page
		rows.put(fmt.Sprintf("p%d", i))
	}
	k := newTestKnown(rows)
	if k.absent("r", cacheKey("r", "p1")) {
		t.Fatal("absent before the filter was built")
	}
	built(t, k, "r")
	for i := range 2500 {
		if k.absent("r", cacheKey("r", fmt.Sprintf("p%d", i))) {
			t.Fatalf("p%d is in the table but reads as absent", i)
		}
	}
	absent := 0
	for i := range 10000 {
		if k.absent("r", cacheKey("r", fmt.Sprintf("q%d", i))) {
			absent++
		}
	}
	if absent < 9800 {
		t.Fatalf("only %d of 10000 paths never stored read as absent", absent)
	}
	rows.mu.Lock()
	lists := rows.lists
	rows.mu.Unlock()
	if lists != 3 {
		t.Fatalf("the table was listed in %d pages, want 3", lists)
	}
	if k.absent("other", cacheKey("other", "p1")) {
		t.Fatal("another remote's filter answered before it was built")
	}
}

// A row written while the build reads the table is kept, whether its key
// was added before the build began (its write still going on) or during.
func TestKnownKeysWrittenDuringBuild(t *testing.T) {
	rows := &fakeRows{paths: map[string]bool{"old": true}, gate: make(chan struct{})}
	k := newTestKnown(rows)
	before := k.add("r", cacheKey("r", "before")) // its row not yet written
	k.absent("r", cacheKey("r", "x"))             // starts the build
	during := k.add("r", cacheKey("r", "during"))
	close(rows.gate)
	b := built(t, k, "r")
	rows.put("before")
	rows.put("during")
	k.done(before)
	k.done(during)
	for _, p := range []string{"old", "before", "during"} {
		if !b.has(hashOf(k, "r", p)) || k.absent("r", cacheKey("r", p)) {
			t.Fatalf("%s reads as absent", p)
		}
	}
	if len(k.remote("r").writing) != 0 {
		t.Fatalf("writes still counted after done: %v", k.remote("r").writing)
	}
}

// A filter that reached its capacity is rebuilt larger, and nothing
// added meanwhile is lost.
func TestKnownKeysRebuiltWhenFull(t *testing.T) {
	rows := &fakeRows{paths: map[string]bool{}}
	k := newTestKnown(rows)
	first := built(t, k, "r")
	n := first.keys + 100
	for i := range n {
		p := fmt.Sprintf("p%d", i)
		w := k.add("r", cacheKey("r", p))
		rows.put(p)
		k.done(w)
	}
	deadline := time.Now().Add(5 * time.Second)
	for k.remote("r").ready.Load() == first {
		if time.Now().After(deadline) {
			t.Fatal("a full filter was not rebuilt")
		}
		time.Sleep(time.Millisecond)
	}
	if got := k.remote("r").ready.Load().keys; got < 2*first.keys {
		t.Fatalf("rebuilt for %d keys, want at least %d", got, 2*first.keys)
	}
	for i := range n {
		if k.absent("r", cacheKey("r", fmt.Sprintf("p%d", i))) {
			t.Fatalf("p%d lost in the rebuild", i)
		}
	}
}

func hashOf(k *knownKeys, remote, path string) uint64 {
	return maphash.String(k.seed, cacheKey(remote, path))
}

// countingGets counts the database reads of rows: the statements, and
// the paths they asked for.
type countingGets struct {
	Objects
	mu    sync.Mutex
	gets  int
	paths []string
}

func (c *countingGets) GetObject(ctx context.Context, remote, path string) (meta.Object, error) {
	c.mu.Lock()
	c.gets++
	c.paths = append(c.paths, path)
	c.mu.Unlock()
	return c.Objects.GetObject(ctx, remote, path)
}

func (c *countingGets) GetObjects(ctx context.Context, remote string, paths []string) ([]meta.Object, error) {
	c.mu.Lock()
	c.gets++
	c.paths = append(c.paths, paths...)
	c.mu.Unlock()
	return c.Objects.GetObjects(ctx, remote, paths)
}

// since returns the reads and paths read after the first reads and paths
// counted before.
func (c *countingGets) since(reads, paths int) (int, []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gets - reads, slices.Clone(c.paths[paths:])
}

// Alone, a miss of a path never stored does not read the database, and a
// row an earlier run stored is still a hit once the filter is built.
func TestAloneMissSkipsTheDatabase(t *testing.T) {
	up := newCountingUpstream(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "body of "+r.URL.Path) })
	rem, err := registry.Compile(meta.Remote{Name: "k", PackageType: "kind", BaseURL: up.URL}, format.NewRegistry(kindType{}))
	if err != nil {
		t.Fatal(err)
	}
	e, ms, _ := newEngine(t)
	get := serveAs(t, e, rem, "body of ", func() { e.Settle(context.Background(), "", "") })
	get("earlier") // stored as by an earlier run: this engine is not yet Alone
	reads := &countingGets{Objects: ms}
	e.Objects, e.opt.Alone = reads, true
	e.rows.clear()
	e.known = newKnownKeys(e.base, ms.ListObjects, e.Log)
	get("first") // starts the filter's build
	built(t, e.known, "k")
	reads.mu.Lock()
	before := reads.gets
	reads.mu.Unlock()
	if o := get("new"); o != format.Miss {
		t.Fatalf("a path never stored: %s", o)
	}
	reads.mu.Lock()
	after := reads.gets
	reads.mu.Unlock()
	if after != before {
		t.Fatalf("a miss of a path never stored read the database %d times", after-before)
	}
	if o := get("earlier"); o != format.Hit || up.asked("/earlier") != 1 {
		t.Fatalf("the earlier run's row: %s, upstream asked %d times", o, up.asked("/earlier"))
	}
	e.rows.clear()
	if o := get("new"); o != format.Hit || up.asked("/new") != 1 {
		t.Fatalf("a row this run stored, out of the row cache: %s, upstream asked %d times", o, up.asked("/new"))
	}
}
