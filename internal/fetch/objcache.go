package fetch

import (
	"hash/maphash"
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
//
// Past max rows the clock evicts those not hit since its hand last passed
// them: a working set larger than the cache keeps its hot rows, where
// dropping an arbitrary half at max emptied it of hot and cold alike.
type objCache struct {
	mu      sync.Mutex
	entries clock[cachedObj] // each row of size 1: max is a count
	ttl     time.Duration
	// drops counts the drops of the keys hashing to each stripe, so a row
	// read from the database before a drop of its key is not cached after
	// it: the drop may be the announcement of the change that row predates.
	drops [256]uint64
	seed  maphash.Seed
}

type cachedObj struct {
	obj   meta.Object
	added time.Time
}

func newObjCache(max int, ttl time.Duration) *objCache {
	return &objCache{entries: newClock[cachedObj](int64(max)), ttl: ttl, seed: maphash.MakeSeed()}
}

func (c *objCache) stripe(key string) *uint64 {
	return &c.drops[maphash.String(c.seed, key)%uint64(len(c.drops))]
}

// generation is what putRead is given back: take it before reading the row.
func (c *objCache) generation(key string) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return *c.stripe(key)
}

// putRead caches a row read from the database unless its key was dropped
// since gen was taken.
func (c *objCache) putRead(key string, o meta.Object, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if *c.stripe(key) != gen {
		return
	}
	c.insert(key, o)
}

func (c *objCache) get(key string, now time.Time) (meta.Object, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries.get(key)
	if !ok || now.Sub(e.added) > c.ttl {
		return meta.Object{}, false
	}
	return e.obj, true
}

// lastKnown returns the entry whatever its age.
func (c *objCache) lastKnown(key string) (meta.Object, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries.index[key]
	if !ok {
		return meta.Object{}, false
	}
	return e.val.obj, true
}

// put caches a row this replica has just written.
func (c *objCache) put(key string, o meta.Object) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.insert(key, o)
}

func (c *objCache) insert(key string, o meta.Object) {
	v := cachedObj{obj: o, added: time.Now()}
	if e, ok := c.entries.index[key]; ok {
		e.val = v // a newer row for the key: its place in the ring stays
		return
	}
	c.entries.add(key, v, 1)
}

func (c *objCache) drop(key string) {
	c.mu.Lock()
	c.entries.drop(key)
	*c.stripe(key)++
	c.mu.Unlock()
}

func (c *objCache) dropAllStripes() {
	for i := range c.drops {
		c.drops[i]++
	}
}

// dropPrefix drops every entry whose key starts with prefix.
func (c *objCache) dropPrefix(prefix string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.entries.index {
		if strings.HasPrefix(k, prefix) {
			c.entries.remove(e)
		}
	}
	c.dropAllStripes()
}

func (c *objCache) clear() {
	c.mu.Lock()
	c.entries.reset()
	c.dropAllStripes()
	c.mu.Unlock()
}
