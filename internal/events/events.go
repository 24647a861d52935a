// Package events is the event bus: what happened (fetches, hits, evictions,
// config and circuit changes), fanned out to every replica's SSE clients.
package events

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"
)

// Channel is the pub/sub channel events travel on.
const Channel = "artifactapi:events"

// Event types.
const (
	FetchStarted = "fetch.started"
	// FetchProgress is sent about four times a second per fill in flight
	// (Bytes of Size, Size 0 when the upstream did not say), so a UI can
	// draw a bar for a large download.
	FetchProgress = "fetch.progress"
	FetchFinished = "fetch.finished"
	FetchFailed   = "fetch.failed"
	Hit           = "hit"
	Evict         = "evict"
	RemoteCreated = "remote.created"
	RemoteUpdated = "remote.updated"
	RemoteDeleted = "remote.deleted"
	VirtualChange = "virtual.changed"
	CircuitOpen   = "circuit.open"
	CircuitClosed = "circuit.closed"
	// An upstream's rate limit ran low (or it answered 429): stale copies
	// are served instead of revalidated until it recovers. Count is what
	// is left.
	BudgetLow       = "upstream.budget_low"
	BudgetRecovered = "upstream.budget_recovered"
	// A warming job's progress (about 4 a second) and its end: Path is
	// the job's id, Count the items done of Size; Error says how many
	// failed.
	WarmProgress = "warm.progress"
	WarmFinished = "warm.finished"
)

// Event is one thing that happened.
type Event struct {
	Type   string    `json:"type"`
	Time   time.Time `json:"time"`
	Remote string    `json:"remote,omitempty"`
	Path   string    `json:"path,omitempty"`
	Size   int64     `json:"size,omitempty"`
	Bytes  int64     `json:"bytes,omitempty"`
	// DurationMS is how long a finished or failed fill took.
	DurationMS int64  `json:"duration_ms,omitempty"`
	SHA256     string `json:"sha256,omitempty"`
	Count      int    `json:"count,omitempty"`
	Error      string `json:"error,omitempty"`
	Replica    string `json:"replica,omitempty"`
}

// PubSub is the transport (the state store).
type PubSub interface {
	Publish(ctx context.Context, channel string, msgs ...[]byte) error
	Subscribe(ctx context.Context, channel string) (<-chan []byte, error)
}

// Bus publishes events without ever blocking the caller on the transport.
type Bus struct {
	ps      PubSub
	replica string
	queue   chan Event
	log     *slog.Logger

	// Hits are counted here, not queued: a channel send per hit woke
	// the sending goroutine on every one, 3% of a small hit's CPU.
	hitMu sync.Mutex
	hits  hitWindow
}

// hitWindow is one second's hits: summed per (remote, path) while at
// most maxHitPaths paths were hit, and per remote only once more were,
// which is all sendHits sends of such a second.
type hitWindow struct {
	paths   map[[2]string]*Event
	remotes map[string]*Event // set once the second passed maxHitPaths paths
}

// NewBus starts a bus; events are sent from one goroutine until ctx ends.
func NewBus(ctx context.Context, ps PubSub, replica string, log *slog.Logger) *Bus {
	b := &Bus{ps: ps, replica: replica, queue: make(chan Event, 4096), log: log, hits: hitWindow{paths: map[[2]string]*Event{}}}
	go b.run(ctx)
	return b
}

// Publish queues e; when the queue is full the event is dropped, because
// the request path must not wait on observability.
func (b *Bus) Publish(e Event) {
	if e.Type == Hit {
		b.hit(e)
		return
	}
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	e.Replica = b.replica
	select {
	case b.queue <- e:
	default:
	}
}

// hit adds e to the second's hits, summed per (remote, path), or per
// remote once the second has hit more than maxHitPaths paths. Counted per
// path past that, a hit over a large working set (nearly every one a path
// not yet hit that second) cost an event and a map entry, made to be
// summed per remote a second later.
func (b *Bus) hit(e Event) {
	b.hitMu.Lock()
	defer b.hitMu.Unlock()
	w := &b.hits
	if w.remotes == nil {
		k := [2]string{e.Remote, e.Path}
		if h := w.paths[k]; h != nil {
			h.Count++
			h.Size += e.Size
			return
		}
		if len(w.paths) < maxHitPaths {
			w.paths[k] = b.first(e)
			return
		}
		w.remotes = map[string]*Event{}
		for k, h := range w.paths {
			w.remotes[k[0]] = sum(w.remotes[k[0]], *h)
		}
	}
	if r := w.remotes[e.Remote]; r != nil {
		r.Count++
		r.Size += e.Size
		return
	}
	w.remotes[e.Remote] = sum(nil, *b.first(e))
}

// first is e as the first hit of its path or remote in a second.
func (b *Bus) first(e Event) *Event {
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	e.Replica, e.Count = b.replica, 1
	return &e
}

// sum adds the hits h to a remote's total r (nil: none yet), which names
// no path and keeps the time of its first.
func sum(r *Event, h Event) *Event {
	if r == nil {
		r = &Event{Type: Hit, Time: h.Time, Remote: h.Remote, Replica: h.Replica}
	}
	r.Count += h.Count
	r.Size += h.Size
	return r
}

// maxBatch is how many events go in one Publish at most, and linger how
// long the first of them waits for others (a live view does not see it).
const (
	maxBatch = 128
	linger   = 10 * time.Millisecond
)

// run sends events. Hits are many and alike, so they are summed per
// (remote, path) as they come (hit) and sent once a second with a count;
// the rest go within linger, with whatever queued behind them in the
// same call: under a burst of fills, two events each, a round trip per
// event was a fifth of what the state store was asked; and a small
// fill's two events, a millisecond apart, went in two.
func (b *Bus) run(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var batch []Event
	paths := 0 // hit in the last second
	wait := time.NewTimer(linger)
	wait.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-b.queue:
			batch = append(batch, e)
			wait.Reset(linger)
		gather:
			for len(batch) < maxBatch {
				select {
				case e := <-b.queue:
					batch = append(batch, e)
				case <-wait.C:
					break gather
				case <-ctx.Done():
					return
				}
			}
			wait.Stop()
			b.send(ctx, batch...)
			batch = batch[:0]
		case <-tick.C:
			// Made outside the lock, with room for the last second's
			// paths, so hits do not wait on it growing.
			next := hitWindow{paths: make(map[[2]string]*Event, paths)}
			b.hitMu.Lock()
			hits := b.hits
			b.hits = next
			b.hitMu.Unlock()
			paths = len(hits.paths)
			b.sendHits(ctx, hits)
		}
	}
}

// maxHitPaths is how many paths' hits are sent one by one each second;
// past it a second's hits go as one event per remote (no path), so a busy
// cache over a large working set does not send every SSE client an event
// per object per second.
const maxHitPaths = 200

func (b *Bus) sendHits(ctx context.Context, w hitWindow) {
	batch := make([]Event, 0, max(len(w.paths), len(w.remotes)))
	if w.remotes != nil {
		for _, r := range w.remotes {
			batch = append(batch, *r)
		}
	} else {
		for _, h := range w.paths {
			batch = append(batch, *h)
		}
	}
	b.send(ctx, batch...)
}

func (b *Bus) send(ctx context.Context, es ...Event) {
	if len(es) == 0 {
		return
	}
	msgs := make([][]byte, len(es))
	for i, e := range es {
		msgs[i], _ = json.Marshal(e)
	}
	if err := b.ps.Publish(ctx, Channel, msgs...); err != nil {
		b.log.Debug("events not published", "count", len(es), "first", es[0].Type, "err", err)
	}
}

// Subscribe returns raw JSON events from every replica until ctx ends.
func (b *Bus) Subscribe(ctx context.Context) (<-chan []byte, error) {
	return b.ps.Subscribe(ctx, Channel)
}
