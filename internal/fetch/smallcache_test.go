package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
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

// An entry hit since the hand last passed it stays when an unhit one can
// go; what the cache lets go, or does not take, is handed back.
func TestSizedCacheEvictsUnhitFirst(t *testing.T) {
	c := newSizedCache[string](6)
	for _, k := range []string{"a", "b", "c"} {
		if gone := c.add(k, k, 2); len(gone) != 0 {
			t.Fatalf("add %s with room: gone %v", k, gone)
		}
	}
	c.get("a")
	c.get("c")
	if gone := c.add("d", "d", 2); len(gone) != 1 || gone[0] != "b" {
		t.Fatalf("add d: gone %v, want [b]", gone)
	}
	// Already there, or too big alone: not kept, handed back.
	if gone := c.add("a", "a2", 1); len(gone) != 1 || gone[0] != "a2" {
		t.Fatalf("re-add a: %v", gone)
	}
	if gone := c.add("big", "big", 7); len(gone) != 1 || gone[0] != "big" {
		t.Fatalf("add big: %v", gone)
	}
	if v, ok := c.get("a"); !ok || v != "a" {
		t.Fatalf("a: %q %v", v, ok)
	}
	c.drop("a")
	c.drop("a")
	if _, ok := c.get("a"); ok {
		t.Fatal("a still there after drop")
	}
	checkRing(t, &c.clock)
}

// Under any mix of adds, hits and drops the cache stays within max and
// its ring and index agree.
func TestSizedCacheInvariants(t *testing.T) {
	c := newSizedCache[int](1000)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		k := fmt.Sprint(r.IntN(300))
		switch r.IntN(4) {
		case 0:
			c.drop(k)
		case 1:
			c.get(k)
		default:
			c.add(k, i, int64(1+r.IntN(40)))
		}
		if c.used > c.max {
			t.Fatalf("op %d: used %d > max %d", i, c.used, c.max)
		}
	}
	checkRing(t, &c.clock)
}

func checkRing[V any](t *testing.T, c *clock[V]) {
	t.Helper()
	n := int64(0)
	for i, e := range c.ring {
		n += e.size
		if c.index[e.key] != e || e.pos != i {
			t.Fatalf("ring and index disagree on %s", e.key)
		}
	}
	if n != c.used || len(c.ring) != len(c.index) {
		t.Fatalf("used %d, ring holds %d in %d entries, index %d", c.used, n, len(c.ring), len(c.index))
	}
}

// Keys hit between fills survive any number of keys added once: a scan
// of cold objects does not flush the hot ones.
func TestSizedCacheKeepsHotKeys(t *testing.T) {
	c := newSizedCache[int](100)
	hot := []string{"h0", "h1", "h2", "h3"}
	for _, k := range hot {
		c.add(k, 0, 10)
	}
	for i := range 1000 {
		c.add(fmt.Sprint(i), i, 10)
		for _, k := range hot {
			if _, ok := c.get(k); !ok {
				t.Fatalf("%s evicted after %d cold adds", k, i+1)
			}
		}
	}
	checkRing(t, &c.clock)
}

// BenchmarkSmallCacheGetLargeSet measures the memory cache's hit over a
// working set of 50,000 keys from all processors: the bookkeeping a hit
// costs, with the keys out of the processor's caches.
func BenchmarkSmallCacheGetLargeSet(b *testing.B) {
	const n = 50000
	c := newSmallCache(64 << 20)
	keys := make([]string, n)
	for i := range keys {
		sum := sha256.Sum256([]byte(fmt.Sprint(i)))
		keys[i] = hex.EncodeToString(sum[:])
		c.put(keys[i], make([]byte, 1024))
	}
	b.ReportAllocs()
	var seed atomic.Uint64
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(seed.Add(1), 0))
		for pb.Next() {
			if _, ok := c.get(keys[r.IntN(n)]); !ok {
				b.Fatal("miss")
			}
		}
	})
}
