package fetch

import (
	"sync"
)

// sizedCache is a clock behind a lock: the memory cache of small blobs,
// the kept renderings and the set of documents gzip does not shrink.
type sizedCache[V any] struct {
	mu sync.Mutex
	clock[V]
}

func newSizedCache[V any](max int64) *sizedCache[V] {
	return &sizedCache[V]{clock: newClock[V](max)}
}

func (c *sizedCache[V]) get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.clock.get(key)
}

// add keeps val unless key is there already or val alone passes max; it
// returns what left: the values evicted, or val itself when not kept.
func (c *sizedCache[V]) add(key string, val V, size int64) []V {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.clock.add(key, val, size)
}

func (c *sizedCache[V]) drop(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clock.drop(key)
}

// smallCache keeps the bytes of small blobs (and renderings of documents)
// in memory. Blobs are content addressed, so an entry can never be stale;
// a hit on it costs no file open, read or close.
type smallCache struct{ *sizedCache[[]byte] }

func newSmallCache(max int64) *smallCache { return &smallCache{newSizedCache[[]byte](max)} }

func (c *smallCache) put(key string, data []byte) { c.add(key, data, int64(len(data))) }
