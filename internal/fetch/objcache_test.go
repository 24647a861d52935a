package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/metrics"
	"github.com/artifactapi/artifactapi/internal/state/memory"
)

// A row read before its key was dropped may predate the change the drop
// announced: it must not be cached after the drop.
func TestObjCacheReadRacingADrop(t *testing.T) {
	c := newObjCache(16, time.Hour)
	old := meta.Object{Remote: "r", Path: "p", SHA256: "old"}
	now := time.Now()

	gen := c.generation("r\x00p")
	c.putRead("r\x00p", old, gen)
	if o, ok := c.get("r\x00p", now); !ok || o.SHA256 != "old" {
		t.Fatalf("an undisturbed read is cached: %v %v", o, ok)
	}

	for name, drop := range map[string]func(){
		"drop":   func() { c.drop("r\x00p") },
		"prefix": func() { c.dropPrefix("r\x00") },
		"clear":  c.clear,
	} {
		c.drop("r\x00p")
		gen := c.generation("r\x00p")
		drop() // the announcement arrives while the database read is out
		c.putRead("r\x00p", old, gen)
		if o, ok := c.get("r\x00p", now); ok {
			t.Errorf("%s: the raced read was cached: %v", name, o)
		}
	}
	// A replica's own write is the newest row: cached whatever dropped.
	c.put("r\x00p", meta.Object{SHA256: "new"})
	if o, ok := c.get("r\x00p", now); !ok || o.SHA256 != "new" {
		t.Fatalf("own write: %v %v", o, ok)
	}
}

// flakyPubSub fails its first publishes, as Redis does while unreachable
// from this replica.
type flakyPubSub struct {
	mu    sync.Mutex
	fails int
	sent  []string
}

func (p *flakyPubSub) Publish(_ context.Context, _ string, msgs ...[]byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fails > 0 {
		p.fails--
		return errors.New("connection refused")
	}
	for _, m := range msgs {
		p.sent = append(p.sent, string(m))
	}
	return nil
}

func (p *flakyPubSub) Subscribe(ctx context.Context, _ string) (<-chan []byte, error) {
	ch := make(chan []byte)
	context.AfterFunc(ctx, func() { close(ch) })
	return ch, nil
}

func (p *flakyPubSub) got() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.sent...)
}

// Other replicas keep rows cached long on the strength of invalidations,
// so one Publish refused is sent again later, never dropped.
func TestInvalidationSentAgainAfterAFailure(t *testing.T) {
	ps := &flakyPubSub{fails: 2}
	e := &Engine{Deps: Deps{PubSub: ps, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, rows: newObjCache(16, time.Hour), id: "me"}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.WatchInvalidations(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	e.invalidate(ctx, "r", "a", false)   // refused
	e.invalidate(ctx, "r", "dir/", true) // refused
	deadline := time.Now().Add(10 * time.Second)
	for len(ps.got()) < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	got := strings.Join(ps.got(), "|")
	if want := "me\x01r\x00a|me\x01r\x00dir/\x00*"; got != want {
		t.Fatalf("sent %q, want %q", got, want)
	}
}

// Past maxUnsent the queue becomes one invalidation of every row, which
// receivers apply as a clear.
func TestUnsentOverflowDropsAll(t *testing.T) {
	var u unsent
	for i := range maxUnsent + 5 {
		u.add(cacheKey("r", string(rune('a'+i%26))))
	}
	if k := u.take(); len(k) != 1 || k[0] != dropAll {
		t.Fatalf("after overflow: %d keys, first %q", len(k), k[0])
	}
	if k := u.take(); len(k) != 0 {
		t.Fatalf("take leaves %d keys", len(k))
	}
}

// What another replica announces is applied here: one row, a prefix, or
// every row; this replica's own announcements are skipped.
func TestWatchInvalidationsApplies(t *testing.T) {
	bus := memory.New()
	e := &Engine{Deps: Deps{PubSub: bus, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, rows: newObjCache(16, time.Hour), id: "me"}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.WatchInvalidations(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	fill := func() {
		for _, k := range []string{"r\x00a", "r\x00dir/b", "s\x00c"} {
			e.rows.put(k, meta.Object{SHA256: k})
		}
	}
	cached := func() string {
		var in []string
		for _, k := range []string{"r\x00a", "r\x00dir/b", "s\x00c"} {
			if _, ok := e.rows.get(k, time.Now()); ok {
				in = append(in, k)
			}
		}
		return strings.Join(in, ",")
	}
	// The subscription is up once a first announcement is applied.
	deadline := time.Now().Add(5 * time.Second)
	for {
		fill()
		bus.Publish(ctx, InvalidateChannel, []byte("other\x01r\x00a"))
		time.Sleep(10 * time.Millisecond)
		if cached() == "r\x00dir/b,s\x00c" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no announcement applied")
		}
	}
	for _, c := range []struct{ msg, want string }{
		{"me\x01r\x00dir/b", "r\x00a,r\x00dir/b,s\x00c"},
		{"other\x01r\x00dir/\x00*", "r\x00a,s\x00c"},
		{"other\x01*", ""},
	} {
		fill()
		bus.Publish(ctx, InvalidateChannel, []byte(c.msg))
		deadline := time.Now().Add(5 * time.Second)
		for cached() != c.want && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if got := cached(); got != c.want {
			t.Errorf("after %q: cached %q, want %q", c.msg, got, c.want)
		}
	}
}

// Past its size the row cache keeps the rows hit since they were last
// looked at: a working set larger than the cache does not empty it of
// its hot rows.
func TestObjCacheKeepsHotRowsPastMax(t *testing.T) {
	c := newObjCache(100, time.Hour)
	hot := []string{"r\x00h0", "r\x00h1", "r\x00h2", "r\x00h3"}
	for _, k := range hot {
		c.put(k, meta.Object{Path: k})
	}
	for i := range 1000 {
		c.put(fmt.Sprintf("r\x00cold%d", i), meta.Object{})
		for _, k := range hot {
			if o, ok := c.get(k, time.Now()); !ok || o.Path != k {
				t.Fatalf("%q evicted after %d cold rows", k, i+1)
			}
		}
		if n := len(c.entries.index); n > 100 {
			t.Fatalf("%d rows cached, max 100", n)
		}
	}
	checkRing(t, &c.entries)
}

// A newer row replaces the cached one in place; drops and clears take
// rows out of the ring as well as the index.
func TestObjCacheReplaceDropClear(t *testing.T) {
	c := newObjCache(10, time.Hour)
	c.put("r\x00a", meta.Object{SHA256: "1"})
	c.put("r\x00a", meta.Object{SHA256: "2"})
	if o, _ := c.get("r\x00a", time.Now()); o.SHA256 != "2" || len(c.entries.ring) != 1 {
		t.Fatalf("got %q in %d entries, want the newer row alone", o.SHA256, len(c.entries.ring))
	}
	for _, k := range []string{"r\x00b", "s\x00a", "s\x00b"} {
		c.put(k, meta.Object{})
	}
	c.drop("r\x00b")
	c.dropPrefix("s\x00")
	checkRing(t, &c.entries)
	if _, ok := c.lastKnown("r\x00a"); !ok || len(c.entries.ring) != 1 {
		t.Fatalf("%d entries left, want r/a alone", len(c.entries.ring))
	}
	c.clear()
	checkRing(t, &c.entries)
	if _, ok := c.lastKnown("r\x00a"); ok {
		t.Fatal("row still known after clear")
	}
}

// BenchmarkObjCacheLargeWorkingSet reads rows of 200,000 objects through
// a row cache of 65,536, the hot ones more often (Zipf, s = 1.1, as
// package popularity goes), caching each miss as a database read does; it
// reports the share of reads the cache answered.
func BenchmarkObjCacheLargeWorkingSet(b *testing.B) {
	const n = 200000
	keys := make([]string, n)
	for i := range keys {
		keys[i] = cacheKey("r", fmt.Sprintf("p/%d", i))
	}
	c := newObjCache(65536, time.Hour)
	z := rand.NewZipf(rand.New(rand.NewSource(1)), 1.1, 1, n-1)
	var hits, reads int
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		k := keys[z.Uint64()]
		reads++
		if _, ok := c.get(k, now); ok {
			hits++
			continue
		}
		c.put(k, meta.Object{})
	}
	b.ReportMetric(100*float64(hits)/float64(reads), "%hit")
}

func TestRowCacheSizeIsConfigured(t *testing.T) {
	for _, tc := range []struct{ set, want int }{{0, 65536}, {2048, 2048}} {
		e, err := New(Deps{Metrics: metrics.New(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, Options{RowCacheRows: tc.set, SpoolDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		if got := e.rows.entries.max; got != int64(tc.want) {
			t.Errorf("RowCacheRows %d: row cache bound %d, want %d", tc.set, got, tc.want)
		}
		e.Close()
	}
}
