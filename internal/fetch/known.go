package fetch

import (
	"context"
	"hash/maphash"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/artifactapi/artifactapi/internal/meta"
)

// knownKeys says, per remote, which paths may have a row, so that a miss
// of a single-process cache (Options.Alone) learns that a path it never
// stored has none without asking the database: that read was 7% of the
// CPU of a run of small misses, a tenth of the proxy's share of it.
//
// It is a Bloom filter per remote, built from the remote's rows in the
// background on the remote's first use and kept whole after: every row
// the engine writes is added before it is written, so "absent" means no
// row has been written since the build read the table. A wrong "may be
// present" (about 1 in 100 at most) costs the read it would have cost
// anyway; "absent" is never wrong while no other process writes rows,
// which is what Alone promises. A path deleted stays "may be present":
// only a rebuild forgets it.
type knownKeys struct {
	list listFunc
	log  *slog.Logger
	base context.Context
	seed maphash.Seed

	mu      sync.Mutex
	remotes map[string]*remoteKeys
}

// remoteKeys is one remote's filter and the build that replaces it.
type remoteKeys struct {
	ready atomic.Pointer[bloom] // nil until the first build ends

	mu       sync.Mutex
	writing  map[uint64]int // keys added whose rows are still being written
	building bool
	early    []uint64  // keys added since the build began, for its filter
	retry    time.Time // when a failed build may run again
}

// written is what add returns, for done once the row is written or not.
type written struct {
	r *remoteKeys
	h uint64
}

// bitsPerKey at a filter's capacity: about 1% false "may be present".
// A filter is built for twice the rows it finds, and rebuilt once its
// adds reach its capacity.
const (
	bitsPerKey  = 10
	minKeys     = 1 << 12
	listPage    = 1000
	retryBuild  = time.Minute
	bloomProbes = 7
)

func newKnownKeys(base context.Context, list listFunc, log *slog.Logger) *knownKeys {
	return &knownKeys{list: list, log: log, base: base, seed: maphash.MakeSeed(), remotes: map[string]*remoteKeys{}}
}

func (k *knownKeys) remote(name string) *remoteKeys {
	k.mu.Lock()
	defer k.mu.Unlock()
	r := k.remotes[name]
	if r == nil {
		r = &remoteKeys{writing: map[uint64]int{}}
		k.remotes[name] = r
	}
	return r
}

// absent reports whether remote has certainly no row for key (a cacheKey
// of it). Until the remote's filter is built it reports false.
func (k *knownKeys) absent(remote, key string) bool {
	if k == nil {
		return false
	}
	r := k.remote(remote)
	b := r.ready.Load()
	if b == nil {
		k.maybeBuild(remote, r)
		return false
	}
	return !b.has(maphash.String(k.seed, key))
}

// add records that remote may have a row for key from now on. Call it
// before the row is written, and done after.
func (k *knownKeys) add(remote, key string) written {
	if k == nil {
		return written{}
	}
	h := maphash.String(k.seed, key)
	r := k.remote(remote)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writing[h]++
	if b := r.ready.Load(); b != nil && b.add(h) && b.full() && !r.building {
		k.startBuild(remote, r)
	}
	if r.building {
		r.early = append(r.early, h)
	}
	return written{r, h}
}

func (k *knownKeys) done(w written) {
	if w.r == nil {
		return
	}
	w.r.mu.Lock()
	defer w.r.mu.Unlock()
	if w.r.writing[w.h]--; w.r.writing[w.h] <= 0 {
		delete(w.r.writing, w.h)
	}
}

func (k *knownKeys) maybeBuild(remote string, r *remoteKeys) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.building || r.ready.Load() != nil || time.Now().Before(r.retry) {
		return
	}
	k.startBuild(remote, r)
}

// startBuild begins a build of r's filter; the caller holds r.mu. A row
// the build's reads miss is one written after they began: its key was
// added after this, or was still being written now. Both go to the new
// filter.
func (k *knownKeys) startBuild(remote string, r *remoteKeys) {
	r.building = true
	r.early = r.early[:0]
	for h := range r.writing {
		r.early = append(r.early, h)
	}
	go k.build(remote, r)
}

// build reads the remote's keys and puts the new filter in place.
func (k *knownKeys) build(remote string, r *remoteKeys) {
	var hashes []uint64
	err := eachPage(k.base, k.list, remote, "", listPage, func(page []meta.Object) bool {
		for _, o := range page {
			hashes = append(hashes, maphash.String(k.seed, cacheKey(remote, o.Path)))
		}
		return true
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	r.building = false
	if err != nil {
		r.early, r.retry = nil, time.Now().Add(retryBuild)
		if k.base.Err() == nil {
			k.log.Warn("key filter not built; misses read the database", "remote", remote, "err", err)
		}
		return
	}
	b := newBloom(2 * (len(hashes) + len(r.early)))
	for _, h := range hashes {
		b.add(h)
	}
	for _, h := range r.early {
		b.add(h)
	}
	r.early = nil
	r.ready.Store(b)
}

// bloom is a Bloom filter safe for concurrent adds and lookups.
type bloom struct {
	words []atomic.Uint64
	mask  uint64 // bits - 1; bits is a power of two
	keys  int    // capacity
	added atomic.Int64
}

func newBloom(keys int) *bloom {
	keys = max(keys, minKeys)
	bits := uint64(64)
	for bits < uint64(keys*bitsPerKey) {
		bits <<= 1
	}
	return &bloom{words: make([]atomic.Uint64, bits/64), mask: bits - 1, keys: keys}
}

// probe derives the filter's bit positions from one 64-bit hash (double
// hashing: Kirsch and Mitzenmacher).
func (b *bloom) probe(h uint64, i uint64) uint64 {
	return (h + i*(h>>32|h<<32|1)) & b.mask
}

func (b *bloom) has(h uint64) bool {
	for i := range uint64(bloomProbes) {
		p := b.probe(h, i)
		if b.words[p/64].Load()&(1<<(p%64)) == 0 {
			return false
		}
	}
	return true
}

// add sets h's bits and reports whether h was new to the filter.
func (b *bloom) add(h uint64) bool {
	fresh := false
	for i := range uint64(bloomProbes) {
		p := b.probe(h, i)
		bit := uint64(1) << (p % 64)
		if b.words[p/64].Or(bit)&bit == 0 {
			fresh = true
		}
	}
	if fresh {
		b.added.Add(1)
	}
	return fresh
}

// full reports whether the filter holds as many keys as it was sized for.
func (b *bloom) full() bool { return b.added.Load() >= int64(b.keys) }
