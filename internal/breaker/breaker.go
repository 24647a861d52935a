// Package breaker is a per-remote circuit breaker kept in the state store,
// so a circuit opened by one replica is open for all.
package breaker

import (
	"context"
	"sync"
	"time"
)

// Store is the part of the state store the breaker needs.
type Store interface {
	Set(ctx context.Context, key, value string, ttl time.Duration) error
	Get(ctx context.Context, key string) (string, error)
	Delete(ctx context.Context, key string) error
	Incr(ctx context.Context, key string, ttl time.Duration) (int64, error)
}

// Breaker opens a remote's circuit after Threshold consecutive failures
// within Window, for Cooldown; then one request probes (half-open) and a
// success closes it.
type Breaker struct {
	st        Store
	Threshold int64
	Window    time.Duration
	Cooldown  time.Duration
	// OnChange is told when a circuit opens or closes.
	OnChange func(remote string, open bool)

	mu     sync.Mutex
	clean  map[string]time.Time // remote: when a success last found nothing to reset
	closed map[string]time.Time // remote: until when its circuit reads closed without asking
	fails  uint64               // failures seen here, so a read racing one is not kept
}

// cleanFor is how long a success that found no failures and no tripped
// circuit stands for the successes after it. A busy remote paid two state
// round trips on every upstream answer (5% of a cold fill's CPU on
// Redis); within this window, failures another replica counts are not
// reset by this replica's successes, so a flapping upstream trips a
// little sooner, never later. A failure seen here ends the window.
const cleanFor = time.Second

// closedFor is how long a circuit read closed stands for this replica's
// next checks of it: the read was a state round trip before every fill.
// A failure seen here ends it at once, so a replica whose own upstream
// calls fail reads the circuit on its next check; one whose calls all
// succeed learns of a circuit another replica opened within closedFor.
const closedFor = time.Second

// New returns a breaker with production defaults.
func New(st Store) *Breaker {
	return &Breaker{st: st, Threshold: 5, Window: 30 * time.Second, Cooldown: 30 * time.Second}
}

func openKey(remote string) string    { return "breaker:" + remote + ":open" }
func failKey(remote string) string    { return "breaker:" + remote + ":fails" }
func trippedKey(remote string) string { return "breaker:" + remote + ":tripped" }

// Open reports whether requests to remote should skip the upstream. A state
// backend error reads as closed: the upstream decides, not a broken cache.
func (b *Breaker) Open(ctx context.Context, remote string) bool {
	now := time.Now()
	b.mu.Lock()
	until, fails := b.closed[remote], b.fails
	b.mu.Unlock()
	if now.Before(until) {
		return false
	}
	if _, err := b.st.Get(ctx, openKey(remote)); err == nil {
		return true
	}
	b.mu.Lock()
	if b.fails == fails {
		if b.closed == nil {
			b.closed = map[string]time.Time{}
		}
		b.closed[remote] = now.Add(closedFor)
	}
	b.mu.Unlock()
	return false
}

// Failure records a failed upstream call.
func (b *Breaker) Failure(ctx context.Context, remote string) {
	b.mu.Lock()
	delete(b.clean, remote)
	delete(b.closed, remote)
	b.fails++
	b.mu.Unlock()
	n, err := b.st.Incr(ctx, failKey(remote), b.Window)
	if err != nil || n < b.Threshold {
		return
	}
	if b.st.Set(ctx, openKey(remote), "1", b.Cooldown) == nil {
		b.st.Set(ctx, trippedKey(remote), "1", 0)
		if b.OnChange != nil {
			b.OnChange(remote, true)
		}
	}
}

// Success records a good upstream answer and closes a tripped circuit.
func (b *Breaker) Success(ctx context.Context, remote string) {
	now := time.Now()
	b.mu.Lock()
	recent := now.Sub(b.clean[remote]) < cleanFor
	b.mu.Unlock()
	if recent {
		return
	}
	b.st.Delete(ctx, failKey(remote))
	if _, err := b.st.Get(ctx, trippedKey(remote)); err != nil {
		// Never tripped (or state unreadable): nothing to close.
		b.mu.Lock()
		if b.clean == nil {
			b.clean = map[string]time.Time{}
		}
		b.clean[remote] = now
		b.mu.Unlock()
		return
	}
	b.st.Delete(ctx, trippedKey(remote))
	b.st.Delete(ctx, openKey(remote))
	if b.OnChange != nil {
		b.OnChange(remote, false)
	}
}
