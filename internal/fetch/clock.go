package fetch

// clock maps keys to values of known sizes and evicts by CLOCK once their
// sizes pass max: a hit only marks its entry, where an LRU list moved it
// to the front. Over a working set of tens of thousands of small objects
// that move (three scattered cache lines rewritten under the lock on every
// hit) was a measurable share of a warm hit. Entries hit since the hand
// last passed them get another round; the rest leave first. A clock is
// not safe for concurrent use: its owner locks around it.
type clock[V any] struct {
	max   int64
	used  int64
	ring  []*clockEntry[V] // in no order the callers rely on
	hand  int
	index map[string]*clockEntry[V]
}

type clockEntry[V any] struct {
	key  string
	val  V
	size int64
	pos  int // in ring
	hit  bool
}

func newClock[V any](max int64) clock[V] {
	return clock[V]{max: max, index: map[string]*clockEntry[V]{}}
}

// get returns key's value and marks it hit.
func (c *clock[V]) get(key string) (V, bool) {
	e, ok := c.index[key]
	if !ok {
		var zero V
		return zero, false
	}
	if !e.hit {
		// Only the first hit writes: hot entries' cache lines stay
		// shared between processors.
		e.hit = true
	}
	return e.val, true
}

// add keeps val unless key is there already or val alone passes max; it
// returns what left: the values evicted, or val itself when not kept.
func (c *clock[V]) add(key string, val V, size int64) (gone []V) {
	if _, ok := c.index[key]; ok || size > c.max {
		return []V{val}
	}
	for c.used+size > c.max {
		gone = append(gone, c.evict().val)
	}
	// A new entry goes just behind the hand, so it is looked at last; it
	// starts unmarked, so if it is not hit by then it leaves before the
	// entries that were. Whatever held its place moves to the end, still
	// ahead of the hand.
	if c.hand >= len(c.ring) {
		c.hand = 0
	}
	e := &clockEntry[V]{key: key, val: val, size: size, pos: c.hand}
	if c.hand < len(c.ring) {
		moved := c.ring[c.hand]
		moved.pos = len(c.ring)
		c.ring = append(c.ring, moved)
		c.ring[c.hand] = e
	} else {
		c.ring = append(c.ring, e)
	}
	c.hand++
	c.index[key] = e
	c.used += size
	return gone
}

// evict takes out the first unmarked entry from the hand on, unmarking the
// ones it passes. Two turns at most: the first unmarks everything.
func (c *clock[V]) evict() *clockEntry[V] {
	for {
		if c.hand >= len(c.ring) {
			c.hand = 0
		}
		e := c.ring[c.hand]
		if !e.hit {
			c.remove(e)
			return e
		}
		e.hit = false
		c.hand++
	}
}

// remove takes e out of the ring by moving the last entry into its place,
// which the hand then looks at next.
func (c *clock[V]) remove(e *clockEntry[V]) {
	last := c.ring[len(c.ring)-1]
	c.ring[e.pos], last.pos = last, e.pos
	c.ring[len(c.ring)-1] = nil
	c.ring = c.ring[:len(c.ring)-1]
	delete(c.index, e.key)
	c.used -= e.size
}

func (c *clock[V]) drop(key string) {
	if e, ok := c.index[key]; ok {
		c.remove(e)
	}
}

// reset empties the clock.
func (c *clock[V]) reset() {
	clear(c.ring)
	c.ring, c.hand, c.used = c.ring[:0], 0, 0
	clear(c.index)
}
