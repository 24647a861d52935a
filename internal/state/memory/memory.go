// Package memory is the in-process state store used by the embedded default.
package memory

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/artifactapi/artifactapi/internal/state"
)

type entry struct {
	value   string
	expires time.Time // zero: never
	owner   uint64    // non-zero for locks
}

func (e entry) live(now time.Time) bool { return e.expires.IsZero() || now.Before(e.expires) }

// Store is an in-process state.Store.
type Store struct {
	mu     sync.Mutex
	keys   map[string]entry
	nextID uint64
	subs   map[string]map[chan []byte]struct{}
	now    func() time.Time
	// writes since the last sweep of expired keys: keys nobody reads again
	// (one per distinct 404 path) must not stay forever.
	writes int
}

// New returns an empty store.
func New() *Store {
	return &Store{keys: map[string]entry{}, subs: map[string]map[chan []byte]struct{}{}, now: time.Now}
}

// Name implements state.Store.
func (s *Store) Name() string { return "memory" }

func (s *Store) get(key string) (entry, bool) {
	e, ok := s.keys[key]
	if ok && !e.live(s.now()) {
		delete(s.keys, key)
		return entry{}, false
	}
	return e, ok
}

// put stores a key and, every so many writes, drops the expired ones: a
// sweep costs one pass over the keys and runs after as many writes as
// half of them, so its cost per write stays constant.
func (s *Store) put(key string, e entry) {
	s.keys[key] = e
	s.writes++
	if s.writes < len(s.keys)/2+1024 {
		return
	}
	s.writes = 0
	now := s.now()
	for k, e := range s.keys {
		if !e.live(now) {
			delete(s.keys, k)
		}
	}
}

// Len is the number of keys held, expired ones not yet swept included.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.keys)
}

func (s *Store) expiry(ttl time.Duration) time.Time {
	if ttl <= 0 {
		return time.Time{}
	}
	return s.now().Add(ttl)
}

// TryLock implements state.Store.
func (s *Store) TryLock(ctx context.Context, key string, ttl time.Duration) (state.Lock, error) {
	return s.TryLockUnless(ctx, key, ttl, "")
}

// TryLockUnless implements state.Store.
func (s *Store) TryLockUnless(ctx context.Context, key string, ttl time.Duration, guard string) (state.Lock, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, set := s.get("kv:" + guard); guard != "" && set {
		return nil, state.ErrGuarded
	}
	if _, held := s.get("lock:" + key); held {
		return nil, state.ErrLocked
	}
	s.nextID++
	s.put("lock:"+key, entry{owner: s.nextID, expires: s.expiry(ttl)})
	return &lock{s: s, key: "lock:" + key, owner: s.nextID}, nil
}

type lock struct {
	s     *Store
	key   string
	owner uint64
}

func (l *lock) Refresh(ctx context.Context, ttl time.Duration) error {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	e, ok := l.s.get(l.key)
	if !ok || e.owner != l.owner {
		return state.ErrLockLost
	}
	e.expires = l.s.expiry(ttl)
	l.s.keys[l.key] = e
	return nil
}

func (l *lock) Unlock(ctx context.Context) error {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	if e, ok := l.s.get(l.key); ok && e.owner == l.owner {
		delete(l.s.keys, l.key)
	}
	return nil
}

// Set implements state.Store.
func (s *Store) Set(ctx context.Context, key, value string, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.put("kv:"+key, entry{value: value, expires: s.expiry(ttl)})
	return nil
}

// Get implements state.Store.
func (s *Store) Get(ctx context.Context, key string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.get("kv:" + key)
	if !ok {
		return "", state.ErrNotFound
	}
	return e.value, nil
}

// Delete implements state.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.keys, "kv:"+key)
	return nil
}

// Incr implements state.Store.
func (s *Store) Incr(ctx context.Context, key string, ttl time.Duration) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.get("kv:" + key)
	if !ok {
		e = entry{value: "0", expires: s.expiry(ttl)}
	}
	n, err := strconv.ParseInt(e.value, 10, 64)
	if err != nil {
		return 0, err
	}
	n++
	e.value = strconv.FormatInt(n, 10)
	s.put("kv:"+key, e)
	return n, nil
}

// Publish implements state.Store.
func (s *Store) Publish(ctx context.Context, channel string, msgs ...[]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, msg := range msgs {
		for ch := range s.subs[channel] {
			select {
			case ch <- msg:
			default:
				// Behind: the message is lost and the publisher not kept
				// waiting; closing says so.
				delete(s.subs[channel], ch)
				close(ch)
			}
		}
	}
	return nil
}

// Subscribe implements state.Store.
func (s *Store) Subscribe(ctx context.Context, channel string) (<-chan []byte, error) {
	ch := make(chan []byte, 256)
	s.mu.Lock()
	if s.subs[channel] == nil {
		s.subs[channel] = map[chan []byte]struct{}{}
	}
	s.subs[channel][ch] = struct{}{}
	s.mu.Unlock()
	go func() {
		<-ctx.Done()
		s.mu.Lock()
		if _, ok := s.subs[channel][ch]; ok {
			delete(s.subs[channel], ch)
			close(ch)
		}
		s.mu.Unlock()
	}()
	return ch, nil
}

// Ping implements state.Store.
func (s *Store) Ping(ctx context.Context) error { return nil }

// Close implements state.Store.
func (s *Store) Close() error { return nil }
