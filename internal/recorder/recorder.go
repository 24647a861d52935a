// Package recorder sums requests into traffic per second, object usage and
// counters, and writes them in batches, off the request path.
package recorder

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/artifactapi/artifactapi/internal/meta"
)

// Store is where batches go.
type Store interface {
	Record(ctx context.Context, b meta.Batch) error
}

// Recorder sums records into a batch as they come and writes it every
// interval, or as soon as it holds max rows of traffic. Adding is a map
// update under a mutex: a channel send per request woke the writing
// goroutine on every one (3% of a warm small hit's CPU), and a full queue
// lost records.
type Recorder struct {
	st       Store
	log      *slog.Logger
	interval time.Duration
	max      int
	done     chan struct{}
	flushNow chan chan struct{}
	full     chan struct{} // the batch reached max traffic rows

	mu  sync.Mutex
	cur *batch

	// usage (hits and last access per object) is summed over
	// usageEvery ticks before it is written: each distinct object is one
	// row update, and over a large working set those updates cost more
	// than serving the hits did (a fifth of the server's CPU under hits
	// spread over 50,000 objects when written every 5 s). Counters and
	// traffic still go every tick. Only Run touches these.
	usage       map[[2]string]*meta.Usage
	usageTicks  int
	usageEvery  int
	lastObjects int // in the last batch's usage
}

// usagePeriod is how many ticks object usage is summed over by default
// (30 s at the server's 1 s tick: last access orders eviction, which
// does not need it finer); usageMax writes it sooner when that many
// objects are waiting.
const (
	usagePeriod = 30
	usageMax    = 100000
)

// New returns a recorder; Run must be started.
func New(st Store, log *slog.Logger, interval time.Duration) *Recorder {
	return &Recorder{st: st, log: log, interval: interval, max: 2000, done: make(chan struct{}), flushNow: make(chan chan struct{}),
		full: make(chan struct{}, 1), cur: newBatch(0), usageEvery: usagePeriod}
}

// Access records one proxied request; at debug level it is also logged,
// since the store keeps only the sums. It never waits on the store.
func (r *Recorder) Access(a meta.Access) {
	if r.log.Enabled(context.Background(), slog.LevelDebug) {
		r.log.Debug("request", "remote", a.Remote, "method", a.Method, "path", a.Path, "status", a.Status, "cache", a.Cache,
			"bytes", a.Bytes, "duration", a.Duration, "client", a.Client, "at", a.Time)
	}
	r.mu.Lock()
	r.cur.add(&a)
	full := len(r.cur.traffic) >= r.max
	r.mu.Unlock()
	if full {
		select {
		case r.full <- struct{}{}:
		default:
		}
	}
}

// Fetched records bytes pulled from an upstream by a fill.
func (r *Recorder) Fetched(remote string, n int64) { r.count(remote, n, 0) }

// Failed records an upstream or fill failure.
func (r *Recorder) Failed(remote string) { r.count(remote, 0, 1) }

func (r *Recorder) count(remote string, fetched, errors int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.cur.Counters[remote]
	c.BytesFetched += fetched
	c.Errors += errors
	r.cur.Counters[remote] = c
}

// take hands the batch summed so far to the writer (Run). The next one
// is made outside the lock with room for as many objects as this one
// had: grown while requests wait on the lock, a map of tens of
// thousands of hit objects was rehashed several times a second.
func (r *Recorder) take() *batch {
	next := newBatch(r.lastObjects)
	r.mu.Lock()
	b := r.cur
	r.cur = next
	r.mu.Unlock()
	r.lastObjects = len(b.usage)
	return b
}

// FlushUsage writes the object usage summed so far and returns once it is
// stored: the janitor asks before it orders objects by their last use.
func (r *Recorder) FlushUsage(ctx context.Context) error {
	stored := make(chan struct{})
	select {
	case r.flushNow <- stored:
	case <-r.done:
		return nil // stopped: its last flush wrote everything
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-stored:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run writes until ctx ends, then writes what is summed and returns.
func (r *Recorder) Run(ctx context.Context) {
	defer close(r.done)
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		select {
		case <-r.full:
			r.flush(r.take())
		case <-t.C:
			r.usageTicks++
			r.flush(r.take())
		case stored := <-r.flushNow:
			r.usageTicks = r.usageEvery
			r.flush(r.take())
			close(stored)
		case <-ctx.Done():
			r.usageTicks = r.usageEvery
			r.flush(r.take())
			return
		}
	}
}

// Wait blocks until Run has returned (after its final flush).
func (r *Recorder) Wait() { <-r.done }

type batch struct {
	meta.Batch
	usage   map[[2]string]*meta.Usage
	traffic map[meta.TrafficKey]*meta.Traffic
}

// newBatch returns an empty batch with room for objects objects' usage.
func newBatch(objects int) *batch {
	return &batch{Batch: meta.Batch{Counters: map[string]meta.Counters{}}, usage: make(map[[2]string]*meta.Usage, objects), traffic: map[meta.TrafficKey]*meta.Traffic{}}
}

// add folds one request into b.
func (b *batch) add(a *meta.Access) {
	k := meta.TrafficKey{Sec: a.Time.Unix(), Remote: a.Remote, Cache: a.Cache}
	t := b.traffic[k]
	if t == nil {
		t = &meta.Traffic{Second: time.Unix(k.Sec, 0).UTC(), Remote: a.Remote, Cache: a.Cache}
		b.traffic[k] = t
	}
	t.Requests++
	t.Bytes += a.Bytes
	if a.Status >= 500 {
		t.Errors++
	}
	if a.Remote == "" {
		return // no such remote: in the traffic, but there are no counters to bump
	}
	c := b.Counters[a.Remote]
	c.BytesServed += a.Bytes
	switch a.Cache {
	case "HIT":
		c.Hits++
		k := [2]string{a.Remote, a.Path}
		if u := b.usage[k]; u != nil {
			u.Hits++
			u.LastAccess = a.Time
		} else {
			b.usage[k] = &meta.Usage{Remote: a.Remote, Path: a.Path, Hits: 1, LastAccess: a.Time}
		}
	case "MISS":
		c.Misses++
	case "STALE":
		c.Stale++
	case "REVALIDATED":
		c.Revalidated++
	}
	b.Counters[a.Remote] = c
}

func (r *Recorder) flush(b *batch) {
	if r.usage == nil {
		r.usage = map[[2]string]*meta.Usage{}
	}
	for k, u := range b.usage {
		if p := r.usage[k]; p != nil {
			p.Hits += u.Hits
			if u.LastAccess.After(p.LastAccess) {
				p.LastAccess = u.LastAccess
			}
		} else {
			r.usage[k] = u
		}
	}
	if r.usageTicks >= r.usageEvery || len(r.usage) >= usageMax {
		for _, u := range r.usage {
			b.Usage = append(b.Usage, *u)
		}
		// In key order the updates walk the objects table's pages once
		// instead of in hash order, one page read per row.
		slices.SortFunc(b.Usage, func(x, y meta.Usage) int {
			return cmp.Or(strings.Compare(x.Remote, y.Remote), strings.Compare(x.Path, y.Path))
		})
		clear(r.usage)
		r.usageTicks = 0
	}
	for _, t := range b.traffic {
		b.Traffic = append(b.Traffic, *t)
	}
	if len(b.Traffic) == 0 && len(b.Counters) == 0 && len(b.Usage) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.st.Record(ctx, b.Batch); err != nil {
		r.log.Error("traffic and counters batch lost", "traffic_rows", len(b.Traffic), "usage_rows", len(b.Usage), "err", err)
	}
}
