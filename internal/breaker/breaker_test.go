package breaker

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/artifactapi/artifactapi/internal/state/memory"
)

// counting counts the round trips a breaker makes to its store.
type counting struct {
	*memory.Store
	ops atomic.Int64
}

func (c *counting) Set(ctx context.Context, key, value string, ttl time.Duration) error {
	c.ops.Add(1)
	return c.Store.Set(ctx, key, value, ttl)
}

func (c *counting) Get(ctx context.Context, key string) (string, error) {
	c.ops.Add(1)
	return c.Store.Get(ctx, key)
}

func (c *counting) Delete(ctx context.Context, key string) error {
	c.ops.Add(1)
	return c.Store.Delete(ctx, key)
}

func (c *counting) Incr(ctx context.Context, key string, ttl time.Duration) (int64, error) {
	c.ops.Add(1)
	return c.Store.Incr(ctx, key, ttl)
}

func TestTripsAfterThresholdAndClosesOnSuccess(t *testing.T) {
	ctx := context.Background()
	st := &counting{Store: memory.New()}
	b := New(st)
	var changes []bool
	b.OnChange = func(_ string, open bool) { changes = append(changes, open) }
	b.Success(ctx, "r")
	for range b.Threshold - 1 {
		b.Failure(ctx, "r")
	}
	if b.Open(ctx, "r") {
		t.Fatal("open before the threshold")
	}
	// A success right after failures resets them, however recent the
	// last success was.
	b.Success(ctx, "r")
	b.Failure(ctx, "r")
	if b.Open(ctx, "r") {
		t.Fatal("open although a success reset the count")
	}
	for range b.Threshold - 1 {
		b.Failure(ctx, "r")
	}
	if !b.Open(ctx, "r") || len(changes) != 1 || !changes[0] {
		t.Fatalf("after %d failures: open %v, changes %v", b.Threshold, b.Open(ctx, "r"), changes)
	}
	b.Success(ctx, "r")
	if b.Open(ctx, "r") || len(changes) != 2 || changes[1] {
		t.Fatalf("after a success: open %v, changes %v", b.Open(ctx, "r"), changes)
	}
}

// A success that found nothing to reset stands for the next ones for a
// moment, so a busy remote does not pay state round trips per answer.
func TestSuccessesCoalesce(t *testing.T) {
	ctx := context.Background()
	st := &counting{Store: memory.New()}
	b := New(st)
	for range 100 {
		b.Success(ctx, "r")
	}
	if n := st.ops.Load(); n != 2 {
		t.Fatalf("100 successes made %d state calls, want 2", n)
	}
	b.Success(ctx, "other")
	if n := st.ops.Load(); n != 4 {
		t.Fatalf("a second remote's success: %d state calls in all, want 4", n)
	}
	b.mu.Lock()
	b.clean["r"] = time.Now().Add(-cleanFor)
	b.mu.Unlock()
	b.Success(ctx, "r")
	if n := st.ops.Load(); n != 6 {
		t.Fatalf("a success after the window: %d state calls in all, want 6", n)
	}
}

// A circuit read closed stands for the next checks for a moment; a
// failure seen here, or the moment passing, has it read again, so a
// circuit another replica opened is seen.
func TestClosedCircuitReadOnce(t *testing.T) {
	ctx := context.Background()
	st := &counting{Store: memory.New()}
	b := New(st)
	other := New(st) // another replica
	for range 100 {
		if b.Open(ctx, "r") {
			t.Fatal("open")
		}
	}
	if n := st.ops.Load(); n != 1 {
		t.Fatalf("100 checks of a closed circuit made %d state calls, want 1", n)
	}
	for range other.Threshold {
		other.Failure(ctx, "r")
	}
	if !other.Open(ctx, "r") {
		t.Fatal("the failing replica's circuit is closed")
	}
	b.mu.Lock()
	b.closed["r"] = time.Now().Add(-time.Millisecond)
	b.mu.Unlock()
	if !b.Open(ctx, "r") {
		t.Fatal("a circuit another replica opened is not seen once the moment passed")
	}
	// A failure here ends the moment at once.
	c := New(st)
	st.Delete(ctx, openKey("r"))
	if c.Open(ctx, "r") {
		t.Fatal("open after the key went")
	}
	st.Set(ctx, openKey("r"), "1", time.Minute)
	c.Failure(ctx, "r")
	if !c.Open(ctx, "r") {
		t.Fatal("a failure here did not have the circuit read again")
	}
}
