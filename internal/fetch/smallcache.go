package fetch

import (
	"container/list"
	"sync"
)

// smallCache keeps the bytes of small blobs in memory, least recently used
// out first. Blobs are content addressed, so an entry can never be stale;
// a hit on it costs no file open, read or close.
type smallCache struct {
	mu    sync.Mutex
	max   int64
	used  int64
	lru   *list.List // values are *smallEntry, front most recent
	index map[string]*list.Element
}

type smallEntry struct {
	sha  string
	data []byte
}

func newSmallCache(max int64) *smallCache {
	return &smallCache{max: max, lru: list.New(), index: map[string]*list.Element{}}
}

func (c *smallCache) get(sha string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.index[sha]
	if !ok {
		return nil, false
	}
	c.lru.MoveToFront(el)
	return el.Value.(*smallEntry).data, true
}

func (c *smallCache) put(sha string, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.index[sha]; ok || int64(len(data)) > c.max {
		return
	}
	c.index[sha] = c.lru.PushFront(&smallEntry{sha, data})
	c.used += int64(len(data))
	for c.used > c.max {
		e := c.lru.Remove(c.lru.Back()).(*smallEntry)
		delete(c.index, e.sha)
		c.used -= int64(len(e.data))
	}
}

func (c *smallCache) drop(sha string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.index[sha]; ok {
		c.used -= int64(len(el.Value.(*smallEntry).data))
		c.lru.Remove(el)
		delete(c.index, sha)
	}
}
