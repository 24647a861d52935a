package fetch

import (
	"strings"
	"sync"
	"time"

	"github.com/artifactapi/artifactapi/internal/meta"
)

// objCache keeps recently used metadata rows in memory so a warm hit does
// not query the database. Entries are used for a short ttl; changes made by
// this replica or announced by another drop them at once, and one missed
// announcement is bounded by the ttl (a blob deleted meanwhile reads as a
// miss, never as wrong bytes). Past the ttl an entry is still the last
// known row, which serves hits while the database is unreachable.
type objCache struct {
	mu      sync.Mutex
	entries map[string]cachedObj
	max     int
	ttl     time.Duration
}

type cachedObj struct {
	obj   meta.Object
	added time.Time
}

func newObjCache(max int, ttl time.Duration) *objCache {
	return &objCache{entries: make(map[string]cachedObj), max: max, ttl: ttl}
}

func (c *objCache) get(key string, now time.Time) (meta.Object, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || now.Sub(e.added) > c.ttl {
		return meta.Object{}, false
	}
	return e.obj, true
}

// lastKnown returns the entry whatever its age.
func (c *objCache) lastKnown(key string) (meta.Object, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	return e.obj, ok
}

func (c *objCache) put(key string, o meta.Object) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		// Drop an arbitrary half: cheaper than LRU bookkeeping on every
		// hit, and the rows are one query away.
		n := 0
		for k := range c.entries {
			delete(c.entries, k)
			if n++; n >= c.max/2 {
				break
			}
		}
	}
	c.entries[key] = cachedObj{obj: o, added: time.Now()}
}

func (c *objCache) drop(key string) {
	c.mu.Lock()
	delete(c.entries, key)
	c.mu.Unlock()
}

// dropPrefix drops every entry whose key starts with prefix.
func (c *objCache) dropPrefix(prefix string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.entries {
		if strings.HasPrefix(k, prefix) {
			delete(c.entries, k)
		}
	}
}

func (c *objCache) clear() {
	c.mu.Lock()
	clear(c.entries)
	c.mu.Unlock()
}
