package group

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// queued waits until a batch is being written and n items wait in g's
// queue for the next.
func queued[T any](t *testing.T, g *Group[T], n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		g.mu.Lock()
		got, writing := len(g.queue), g.writing
		g.mu.Unlock()
		if writing && got == n {
			return
		}
	}
	t.Fatalf("queue never reached %d items behind a write", n)
}

func TestGroupWritesWhatQueuedMeanwhileInOneBatch(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var batches [][]int
	g := &Group[int]{Write: func(_ context.Context, b []int) error {
		if slices.Contains(b, 0) {
			<-release // the first writer holds the lock while the others queue
		}
		mu.Lock()
		batches = append(batches, slices.Clone(b))
		mu.Unlock()
		return nil
	}}
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := g.Do(context.Background(), 0); err != nil {
			t.Error(err)
		}
	})
	queued(t, g, 0) // item 0 is being written
	for i := 1; i <= 20; i++ {
		wg.Go(func() {
			if err := g.Do(context.Background(), i); err != nil {
				t.Error(err)
			}
		})
	}
	queued(t, g, 20)
	close(release)
	wg.Wait()
	if len(batches) != 2 || len(batches[0]) != 1 || len(batches[1]) != 20 {
		t.Fatalf("batches = %v, want [0] then the 20 that queued meanwhile", batches)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.writing || len(g.queue) != 0 {
		t.Fatalf("group still writing (%v) or queued (%d) after every caller returned", g.writing, len(g.queue))
	}
}

func TestGroupFailedBatchFailsOnlyTheBadItem(t *testing.T) {
	bad := errors.New("row refused")
	release := make(chan struct{})
	g := &Group[int]{Write: func(_ context.Context, b []int) error {
		if slices.Contains(b, 0) {
			<-release
		}
		if slices.Contains(b, 7) {
			return bad
		}
		return nil
	}}
	errs := make([]error, 11)
	var wg sync.WaitGroup
	wg.Go(func() { errs[0] = g.Do(context.Background(), 0) })
	queued(t, g, 0)
	for i := 1; i <= 10; i++ {
		wg.Go(func() { errs[i] = g.Do(context.Background(), i) })
	}
	queued(t, g, 10)
	close(release)
	wg.Wait()
	for i, err := range errs {
		if want := i == 7; (err != nil) != want || want && !errors.Is(err, bad) {
			t.Errorf("item %d: err = %v", i, err)
		}
	}
}

func TestGroupWritesDespiteACancelledCaller(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var got error
	g := &Group[int]{Write: func(ctx context.Context, _ []int) error { got = ctx.Err(); return nil }}
	if err := g.Do(ctx, 1); err != nil || got != nil {
		t.Fatalf("Do = %v, write saw ctx err %v; want the row written", err, got)
	}
}

// A reader whose context ends stops waiting for a batch that is slow; the
// batch still runs for the others, and its answer goes nowhere.
func TestGroupAskReturnsWhenItsContextEnds(t *testing.T) {
	release := make(chan struct{})
	g := &Group[int]{Write: func(context.Context, []int) error {
		<-release
		return nil
	}}
	ctx, cancel := context.WithCancel(context.Background())
	asked := make(chan error, 1)
	go func() { asked <- g.Ask(ctx, 1) }()
	queued(t, g, 0) // the batch holding 1 is being written
	cancel()
	select {
	case err := <-asked:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Ask = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		close(release)
		t.Fatal("Ask still waiting for the batch after its context ended")
	}
	close(release)
	if err := g.Ask(context.Background(), 2); err != nil {
		t.Fatalf("the next Ask: %v", err)
	}
}
