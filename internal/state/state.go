// Package state defines the short-lived shared state that coordinates
// replicas: fill locks, TTL keys (negative cache, breaker), counters and
// pub/sub for events and config changes.
package state

import (
	"context"
	"errors"
	"time"
)

var (
	// ErrNotFound means the key does not exist or has expired.
	ErrNotFound = errors.New("state key not found")
	// ErrLocked means another holder owns the lock.
	ErrLocked = errors.New("lock held by another owner")
	// ErrLockLost means the lock expired or was taken over before the call.
	ErrLockLost = errors.New("lock lost")
	// ErrGuarded means TryLockUnless found its guard key set.
	ErrGuarded = errors.New("guard key set")
)

// Lock is an owned, expiring lock.
type Lock interface {
	// Refresh extends the lock to ttl from now; ErrLockLost when it is gone.
	Refresh(ctx context.Context, ttl time.Duration) error
	// Unlock releases the lock if still owned; a lost lock is not an error.
	Unlock(ctx context.Context) error
}

// Store is the state backend.
type Store interface {
	// TryLock takes key for ttl, or returns ErrLocked at once.
	TryLock(ctx context.Context, key string, ttl time.Duration) (Lock, error)
	// TryLockUnless is TryLock unless the key guard (one Set stores) is
	// set, which it returns as ErrGuarded; one round trip for both.
	TryLockUnless(ctx context.Context, key string, ttl time.Duration, guard string) (Lock, error)
	// Set stores value under key; ttl 0 keeps it until deleted.
	Set(ctx context.Context, key, value string, ttl time.Duration) error
	Get(ctx context.Context, key string) (string, error)
	Delete(ctx context.Context, key string) error
	// Incr adds one to the counter at key and returns the new value; a new
	// counter expires ttl after its creation.
	Incr(ctx context.Context, key string, ttl time.Duration) (int64, error)
	// Publish sends each of msgs, in order, to every current subscriber of
	// channel, on every replica. Several go in one round trip.
	Publish(ctx context.Context, channel string, msgs ...[]byte) error
	// Subscribe delivers messages until ctx ends; the channel is then closed.
	// It is also closed as soon as a message may have been lost (a broken
	// connection, or a subscriber that fell behind: it never blocks
	// publishers), so a subscriber that resubscribes knows to catch up.
	Subscribe(ctx context.Context, channel string) (<-chan []byte, error)
	Ping(ctx context.Context) error
	Name() string
	Close() error
}
