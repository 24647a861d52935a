package recorder

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/artifactapi/artifactapi/internal/meta"
)

// store keeps the batches it is given (a unit-test fake: the real stores
// run the conformance suite).
type store struct {
	mu      sync.Mutex
	batches []meta.Batch
}

func (s *store) Record(_ context.Context, b meta.Batch) error {
	s.mu.Lock()
	s.batches = append(s.batches, b)
	s.mu.Unlock()
	return nil
}

func (s *store) sums() (hits, usageRows, usageHits int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range s.batches {
		hits += b.Counters["r"].Hits
		usageRows += int64(len(b.Usage))
		for _, u := range b.Usage {
			usageHits += u.Hits
		}
	}
	return
}

func TestUsageIsSummedOverTicksCountersAreNot(t *testing.T) {
	st := &store{}
	r := New(st, slog.New(slog.NewTextHandler(io.Discard, nil)), 100*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	go r.Run(ctx)
	hit := func(path string) {
		r.Access(meta.Access{Time: time.Now(), Remote: "r", Path: path, Method: "GET", Status: 200, Cache: "HIT"})
	}
	hit("a")
	hit("a")
	hit("b")
	// Counters go out on the next tick; usage waits for usageEvery ticks.
	deadline := time.Now().Add(10 * time.Second)
	for {
		hits, rows, _ := st.sums()
		if hits == 3 {
			if rows != 0 {
				t.Fatalf("usage written at the first tick: %d rows", rows)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("counters never written: %d hits", hits)
		}
		time.Sleep(time.Millisecond)
	}
	hit("a")
	for {
		_, rows, usageHits := st.sums()
		if rows > 0 {
			// One row per object, however many ticks its hits spanned.
			if rows != 2 || usageHits != 4 {
				t.Fatalf("usage: %d rows, %d hits; want 2 rows, 4 hits", rows, usageHits)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("usage never written")
		}
		time.Sleep(time.Millisecond)
	}
	// What is pending at shutdown is written by the last flush.
	hit("c")
	cancel()
	r.Wait()
	if _, rows, usageHits := st.sums(); rows != 3 || usageHits != 5 {
		t.Fatalf("after shutdown: %d rows, %d hits; want 3, 5", rows, usageHits)
	}
}
