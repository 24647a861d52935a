package fetch

import (
	"sync"
	"time"
)

// freeReadingAge is how long one reading of the disk's free space
// answers every fill's reserve check. A statfs per miss was 2.5 % of a
// small miss's CPU; in this time a fill can write far less than the
// reserve (CACHE_MIN_FREE, 1 GB by default) is there to absorb, and a
// fill that passed the check is not checked again as it grows anyway.
const freeReadingAge = 100 * time.Millisecond

// freeReading keeps the last reading of the disk's free space.
type freeReading struct {
	mu   sync.Mutex
	at   time.Time
	free int64
}

// read returns a reading at most freeReadingAge old, taking one with
// fn when the last is older. A failed reading is not kept: the next
// fill tries again.
func (r *freeReading) read(fn func() (int64, error)) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.at.IsZero() && time.Since(r.at) < freeReadingAge {
		return r.free, nil
	}
	free, err := fn()
	if err != nil {
		return 0, err
	}
	r.at, r.free = time.Now(), free
	return free, nil
}
