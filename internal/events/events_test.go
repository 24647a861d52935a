package events

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/artifactapi/artifactapi/internal/state/memory"
)

// collect returns the events published in the next window.
func collect(t *testing.T, ch <-chan []byte, window time.Duration) []Event {
	var out []Event
	deadline := time.After(window)
	for {
		select {
		case msg := <-ch:
			var e Event
			if err := json.Unmarshal(msg, &e); err != nil {
				t.Fatal(err)
			}
			out = append(out, e)
		case <-deadline:
			return out
		}
	}
}

func TestHitsAreSummedPerPathThenPerRemote(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ps := memory.New()
	bus := NewBus(ctx, ps, "r1", slog.New(slog.NewTextHandler(io.Discard, nil)))
	ch, err := bus.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A few paths: one event per path with its count.
	for range 3 {
		bus.Publish(Event{Type: Hit, Remote: "a", Path: "x", Size: 10})
	}
	bus.Publish(Event{Type: Hit, Remote: "a", Path: "y", Size: 1})
	got := collect(t, ch, 1500*time.Millisecond)
	// Summed, since a tick may fall between two publishes.
	counts := map[string]int{}
	for _, e := range got {
		counts[e.Path] += e.Count
	}
	if len(counts) != 2 || counts["x"] != 3 || counts["y"] != 1 {
		t.Fatalf("few paths: %+v", got)
	}
	// Many paths in one second: one event per remote, no path.
	for i := range maxHitPaths + 50 {
		bus.Publish(Event{Type: Hit, Remote: "a", Path: fmt.Sprint("p", i), Size: 2})
	}
	bus.Publish(Event{Type: Hit, Remote: "b", Path: "q", Size: 5})
	bus.Publish(Event{Type: Hit, Remote: "a", Path: "p0", Size: 2}) // a path counted before the switch to remotes
	got = collect(t, ch, 1500*time.Millisecond)
	total, size, summed := map[string]int{}, map[string]int64{}, 0
	for _, e := range got {
		total[e.Remote] += e.Count
		size[e.Remote] += e.Size
		if e.Remote == "a" && e.Path == "" {
			summed++
		}
	}
	if total["a"] != maxHitPaths+51 || size["a"] != 2*(maxHitPaths+51) || total["b"] != 1 || size["b"] != 5 ||
		summed == 0 || len(got) > 2*2+maxHitPaths {
		t.Fatalf("many paths: %d events, totals %v, %d summed", len(got), total, summed)
	}
}

// countingPubSub records what is published, and in how many calls.
type countingPubSub struct {
	mu    sync.Mutex
	calls int
	msgs  [][]byte
}

func (c *countingPubSub) Publish(_ context.Context, _ string, msgs ...[]byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	c.msgs = append(c.msgs, msgs...)
	return nil
}

func (c *countingPubSub) Subscribe(context.Context, string) (<-chan []byte, error) { return nil, nil }

// A burst of events goes out whole and in order, in far fewer round trips
// than events.
func TestBurstIsSentInOrderInBatches(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ps := &countingPubSub{}
	bus := &Bus{ps: ps, replica: "r1", queue: make(chan Event, 4096), log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	const n = 1000
	for i := range n {
		bus.Publish(Event{Type: FetchFinished, Remote: "a", Path: fmt.Sprint(i)})
	}
	go bus.run(ctx) // started after the burst queued, as under load
	deadline := time.Now().Add(5 * time.Second)
	for {
		ps.mu.Lock()
		got, calls := len(ps.msgs), ps.calls
		ps.mu.Unlock()
		if got == n {
			if calls > n/maxBatch+1 {
				t.Fatalf("%d events took %d publishes", n, calls)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d events published", got, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for i, m := range ps.msgs {
		var e Event
		if err := json.Unmarshal(m, &e); err != nil || e.Path != fmt.Sprint(i) {
			t.Fatalf("event %d: %s (%v)", i, m, err)
		}
	}
}

// A small fill's two events, a moment apart, go in one round trip.
func TestEventsMomentsApartShareAPublish(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ps := &countingPubSub{}
	bus := &Bus{ps: ps, replica: "r1", queue: make(chan Event, 4096), log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	go bus.run(ctx)
	bus.Publish(Event{Type: FetchStarted, Remote: "a", Path: "p"})
	time.Sleep(200 * time.Microsecond) // after the bus took the first
	bus.Publish(Event{Type: FetchFinished, Remote: "a", Path: "p"})
	deadline := time.Now().Add(5 * time.Second)
	for {
		ps.mu.Lock()
		got, calls := len(ps.msgs), ps.calls
		ps.mu.Unlock()
		if got == 2 {
			if calls != 1 {
				t.Fatalf("2 events a moment apart took %d publishes", calls)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 2 events published", got)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
