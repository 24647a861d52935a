// Package recorder sums requests into traffic per second, object usage and
// counters, and writes them in batches, off the request path.
package recorder

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/artifactapi/artifactapi/internal/meta"
)

// Store is where batches go.
type Store interface {
	Record(ctx context.Context, b meta.Batch) error
}

type item struct {
	access  *meta.Access
	remote  string
	fetched int64
	failed  bool
}

// Recorder batches records and flushes them every interval or every max
// rows, whichever comes first.
type Recorder struct {
	st       Store
	log      *slog.Logger
	ch       chan item
	interval time.Duration
	max      int
	done     chan struct{}
	flushNow chan chan struct{}
	dropped  atomic.Int64

	// usage (hits and last access per object) is summed over
	// usageEvery ticks before it is written: each distinct object is one
	// row update, and over a large working set those updates cost more
	// than serving the hits did (a fifth of the server's CPU under hits
	// spread over 50,000 objects when written every 5 s). Counters and
	// traffic still go every tick.
	usage      map[[2]string]*meta.Usage
	usageTicks int
	usageEvery int
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
	return &Recorder{st: st, log: log, ch: make(chan item, 65536), interval: interval, max: 2000, done: make(chan struct{}), flushNow: make(chan chan struct{}), usageEvery: usagePeriod}
}

// Access records one proxied request. It never blocks: when the queue is
// full the request is counted as dropped.
func (r *Recorder) Access(a meta.Access) { r.put(item{access: &a}) }

// Fetched records bytes pulled from an upstream by a fill.
func (r *Recorder) Fetched(remote string, n int64) { r.put(item{remote: remote, fetched: n}) }

// Failed records an upstream or fill failure.
func (r *Recorder) Failed(remote string) { r.put(item{remote: remote, failed: true}) }

// Dropped is how many records were lost to a full queue.
func (r *Recorder) Dropped() int64 { return r.dropped.Load() }

func (r *Recorder) put(it item) {
	select {
	case r.ch <- it:
	default:
		r.dropped.Add(1)
	}
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

// Run flushes until ctx ends, then flushes what is queued and returns.
func (r *Recorder) Run(ctx context.Context) {
	defer close(r.done)
	t := time.NewTicker(r.interval)
	defer t.Stop()
	b := newBatch()
	for {
		select {
		case it := <-r.ch:
			r.add(ctx, b, it)
			if len(b.traffic) >= r.max {
				r.flush(b)
				b = newBatch()
			}
		case <-t.C:
			r.usageTicks++
			r.flush(b)
			b = newBatch()
		case stored := <-r.flushNow:
			r.flushAll(ctx, b)
			b = newBatch()
			close(stored)
		case <-ctx.Done():
			r.flushAll(ctx, b)
			return
		}
	}
}

// flushAll writes everything queued and summed so far.
func (r *Recorder) flushAll(ctx context.Context, b *batch) {
	for {
		select {
		case it := <-r.ch:
			r.add(ctx, b, it)
		default:
			r.usageTicks = r.usageEvery
			r.flush(b)
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

func newBatch() *batch {
	return &batch{Batch: meta.Batch{Counters: map[string]meta.Counters{}}, usage: map[[2]string]*meta.Usage{}, traffic: map[meta.TrafficKey]*meta.Traffic{}}
}

// add folds one record into b; at debug level each request is also logged,
// since the store keeps only their sums.
func (r *Recorder) add(ctx context.Context, b *batch, it item) {
	if it.access == nil {
		c := b.Counters[it.remote]
		c.BytesFetched += it.fetched
		if it.failed {
			c.Errors++
		}
		b.Counters[it.remote] = c
		return
	}
	a := it.access
	if r.log.Enabled(ctx, slog.LevelDebug) {
		r.log.Debug("request", "remote", a.Remote, "method", a.Method, "path", a.Path, "status", a.Status, "cache", a.Cache,
			"bytes", a.Bytes, "duration", a.Duration, "client", a.Client, "at", a.Time)
	}
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
