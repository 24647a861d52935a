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
	hits  map[[2]string]*Event
}

// NewBus starts a bus; events are sent from one goroutine until ctx ends.
func NewBus(ctx context.Context, ps PubSub, replica string, log *slog.Logger) *Bus {
	b := &Bus{ps: ps, replica: replica, queue: make(chan Event, 4096), log: log, hits: map[[2]string]*Event{}}
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

// hit adds e to the second's hits, summed per (remote, path).
func (b *Bus) hit(e Event) {
	k := [2]string{e.Remote, e.Path}
	b.hitMu.Lock()
	defer b.hitMu.Unlock()
	if h := b.hits[k]; h != nil {
		h.Count++
		h.Size += e.Size
		return
	}
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	e.Replica, e.Count = b.replica, 1
	b.hits[k] = &e
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
			next := make(map[[2]string]*Event, paths)
			b.hitMu.Lock()
			hits := b.hits
			b.hits = next
			b.hitMu.Unlock()
			paths = len(hits)
			b.sendHits(ctx, hits)
		}
	}
}

// maxHitPaths is how many paths' hits are sent one by one each second;
// past it a second's hits go as one event per remote (no path), so a busy
// cache over a large working set does not send every SSE client an event
// per object per second.
const maxHitPaths = 200

func (b *Bus) sendHits(ctx context.Context, hits map[[2]string]*Event) {
	if len(hits) <= maxHitPaths {
		batch := make([]Event, 0, len(hits))
		for _, h := range hits {
			batch = append(batch, *h)
		}
		b.send(ctx, batch...)
		return
	}
	perRemote := map[string]*Event{}
	for k, h := range hits {
		r := perRemote[k[0]]
		if r == nil {
			r = &Event{Type: Hit, Time: h.Time, Remote: k[0], Replica: h.Replica}
			perRemote[k[0]] = r
		}
		r.Count += h.Count
		r.Size += h.Size
	}
	batch := make([]Event, 0, len(perRemote))
	for _, r := range perRemote {
		batch = append(batch, *r)
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
