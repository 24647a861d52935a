package fetch

import (
	"container/list"
	"sync"
)

// sizedLRU maps keys to values of known sizes, least recently used out
// first once their sizes pass max.
type sizedLRU[V any] struct {
	mu    sync.Mutex
	max   int64
	used  int64
	lru   *list.List // values are *lruEntry[V], front most recent
	index map[string]*list.Element
}

type lruEntry[V any] struct {
	key  string
	val  V
	size int64
}

func newSizedLRU[V any](max int64) *sizedLRU[V] {
	return &sizedLRU[V]{max: max, lru: list.New(), index: map[string]*list.Element{}}
}

func (c *sizedLRU[V]) get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.index[key]
	if !ok {
		var zero V
		return zero, false
	}
	c.lru.MoveToFront(el)
	return el.Value.(*lruEntry[V]).val, true
}

// add keeps val unless key is there already or val alone passes max; it
// returns what left: the values evicted, or val itself when not kept.
func (c *sizedLRU[V]) add(key string, val V, size int64) (gone []V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.index[key]; ok || size > c.max {
		return []V{val}
	}
	c.index[key] = c.lru.PushFront(&lruEntry[V]{key, val, size})
	c.used += size
	for c.used > c.max {
		e := c.lru.Remove(c.lru.Back()).(*lruEntry[V])
		delete(c.index, e.key)
		c.used -= e.size
		gone = append(gone, e.val)
	}
	return gone
}

func (c *sizedLRU[V]) drop(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.index[key]; ok {
		c.used -= el.Value.(*lruEntry[V]).size
		c.lru.Remove(el)
		delete(c.index, key)
	}
}

// smallCache keeps the bytes of small blobs (and renderings of documents)
// in memory. Blobs are content addressed, so an entry can never be stale;
// a hit on it costs no file open, read or close.
type smallCache struct{ *sizedLRU[[]byte] }

func newSmallCache(max int64) *smallCache { return &smallCache{newSizedLRU[[]byte](max)} }

func (c *smallCache) put(key string, data []byte) { c.add(key, data, int64(len(data))) }
