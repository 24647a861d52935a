// Package redis is the state store shared by replicas: fill locks, TTL keys
// and pub/sub on Redis (go-redis).
package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/artifactapi/artifactapi/internal/group"
	"github.com/artifactapi/artifactapi/internal/state"
)

// Store is a state.Store on Redis. Every key and channel is under prefix,
// so one Redis can serve several installations.
type Store struct {
	rdb     *redis.Client
	prefix  string
	scripts group.Group[*call]
}

// Open parses url (redis://[user:pass@]host:port/db) and connects. The
// connection is checked; an unreachable Redis later makes calls fail, which
// callers treat as degraded, not fatal.
func Open(ctx context.Context, url, prefix string) (*Store, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redis url: %w", err)
	}
	opt.DialTimeout = 2 * time.Second
	opt.ReadTimeout = 2 * time.Second
	opt.WriteTimeout = 2 * time.Second
	opt.MaxRetries = 1
	if opt.ClientName == "" {
		opt.ClientName = "artifactapi" // visible in CLIENT LIST
	}
	s := &Store{rdb: redis.NewClient(opt), prefix: prefix}
	s.scripts.Write = s.runBatch
	if err := s.Ping(ctx); err != nil {
		s.rdb.Close()
		return nil, fmt.Errorf("redis %s: %w", opt.Addr, err)
	}
	return s, nil
}

// Name implements state.Store.
func (s *Store) Name() string { return "redis" }

// Ping implements state.Store.
func (s *Store) Ping(ctx context.Context) error { return s.rdb.Ping(ctx).Err() }

// Close implements state.Store.
func (s *Store) Close() error { return s.rdb.Close() }

func (s *Store) kv(key string) string { return s.prefix + "kv:" + key }

// TryLock implements state.Store: SET NX PX with a random owner token, so
// only the owner can refresh or release it.
func (s *Store) TryLock(ctx context.Context, key string, ttl time.Duration) (state.Lock, error) {
	l := s.newLock(key)
	ok, err := s.rdb.SetNX(ctx, l.key, l.owner, ttl).Result()
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, state.ErrLocked
	}
	return l, nil
}

// TryLockUnless implements state.Store: a miss asks whether its 404 is
// remembered and takes its fill lock in one round trip, not two.
func (s *Store) TryLockUnless(ctx context.Context, key string, ttl time.Duration, guard string) (state.Lock, error) {
	l := s.newLock(key)
	n, err := s.run(ctx, lockUnlessScript, []string{l.key, s.kv(guard)}, l.owner, ttl.Milliseconds())
	switch {
	case err != nil:
		return nil, err
	case n < 0:
		return nil, state.ErrGuarded
	case n == 0:
		return nil, state.ErrLocked
	}
	return l, nil
}

func (s *Store) newLock(key string) *lock {
	b := make([]byte, 16)
	rand.Read(b)
	return &lock{s: s, key: s.prefix + "lock:" + key, owner: hex.EncodeToString(b)}
}

type lock struct {
	s          *Store
	key, owner string
}

// Compare-and-act scripts: the check and the change must be one step, or a
// lock that expired and was taken by another replica could be extended or
// deleted by its former owner.
var (
	refreshScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then
		return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end return 0`)
	unlockScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then
		return redis.call("DEL", KEYS[1]) end return 0`)
	lockUnlessScript = redis.NewScript(`if redis.call("EXISTS", KEYS[2]) == 1 then return -1 end
		if redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2], "NX") then return 1 end return 0`)
)

func (l *lock) Refresh(ctx context.Context, ttl time.Duration) error {
	n, err := l.s.run(ctx, refreshScript, []string{l.key}, l.owner, ttl.Milliseconds())
	if err != nil {
		return err
	}
	if n == 0 {
		return state.ErrLockLost
	}
	return nil
}

func (l *lock) Unlock(ctx context.Context) error {
	_, err := l.s.run(ctx, unlockScript, []string{l.key}, l.owner)
	return err
}

// Set implements state.Store.
func (s *Store) Set(ctx context.Context, key, value string, ttl time.Duration) error {
	return s.rdb.Set(ctx, s.kv(key), value, max(ttl, 0)).Err()
}

// Get implements state.Store.
func (s *Store) Get(ctx context.Context, key string) (string, error) {
	v, err := s.rdb.Get(ctx, s.kv(key)).Result()
	if errors.Is(err, redis.Nil) {
		return "", state.ErrNotFound
	}
	return v, err
}

// Delete implements state.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	return s.rdb.Del(ctx, s.kv(key)).Err()
}

// incrScript sets the expiry only when INCR created the key, so a window
// counter is not extended by every increment.
var incrScript = redis.NewScript(`local n = redis.call("INCR", KEYS[1])
	if n == 1 and tonumber(ARGV[1]) > 0 then redis.call("PEXPIRE", KEYS[1], ARGV[1]) end return n`)

// Incr implements state.Store.
func (s *Store) Incr(ctx context.Context, key string, ttl time.Duration) (int64, error) {
	return incrScript.Run(ctx, s.rdb, []string{s.kv(key)}, ttl.Milliseconds()).Int64()
}

// Publish implements state.Store: several messages are pipelined.
func (s *Store) Publish(ctx context.Context, channel string, msgs ...[]byte) error {
	if len(msgs) == 1 {
		return s.rdb.Publish(ctx, s.prefix+channel, msgs[0]).Err()
	}
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, m := range msgs {
			p.Publish(ctx, s.prefix+channel, m)
		}
		return nil
	})
	return err
}

// Subscribe implements state.Store. Unlike go-redis's own channel, which
// reconnects silently, the returned channel closes when the connection
// breaks: messages sent meanwhile are lost, and the caller must know so it
// can resubscribe and catch up (the config watcher reloads).
func (s *Store) Subscribe(ctx context.Context, channel string) (<-chan []byte, error) {
	ps := s.rdb.Subscribe(ctx, s.prefix+channel)
	if _, err := ps.Receive(ctx); err != nil {
		ps.Close()
		return nil, err
	}
	out := make(chan []byte, 256)
	stop := context.AfterFunc(ctx, func() { ps.Close() })
	go func() {
		defer close(out)
		defer stop()
		defer ps.Close()
		for ctx.Err() == nil {
			m, err := ps.ReceiveTimeout(ctx, 5*time.Second)
			var ne net.Error
			switch {
			case errors.As(err, &ne) && ne.Timeout():
				// Quiet channel: a ping proves the connection still works.
				if err := ps.Ping(ctx); err != nil {
					return
				}
				continue
			case err != nil:
				return
			}
			msg, ok := m.(*redis.Message)
			if !ok {
				continue
			}
			select {
			case out <- []byte(msg.Payload):
			default:
				// Behind: this message is lost, and Redis is not kept
				// waiting; closing says so.
				return
			}
		}
	}()
	return out, nil
}
