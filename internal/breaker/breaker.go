// Package breaker is a per-remote circuit breaker kept in the state store,
// so a circuit opened by one replica is open for all.
package breaker

import (
	"context"
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
}

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
	_, err := b.st.Get(ctx, openKey(remote))
	return err == nil
}

// Failure records a failed upstream call.
func (b *Breaker) Failure(ctx context.Context, remote string) {
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
	b.st.Delete(ctx, failKey(remote))
	if _, err := b.st.Get(ctx, trippedKey(remote)); err != nil {
		return // never tripped (or state unreadable): nothing to close
	}
	b.st.Delete(ctx, trippedKey(remote))
	b.st.Delete(ctx, openKey(remote))
	if b.OnChange != nil {
		b.OnChange(remote, false)
	}
}
