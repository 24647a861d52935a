package fetch

import (
	"context"
	"strings"
	"sync"
	"time"
)

// InvalidateChannel carries "sender\x01remote\x00path" (one row),
// "sender\x01remote\x00prefix\x00*" (every row under prefix) or
// "sender\x01*" (every row) to every replica's row cache; a replica skips
// its own.
const InvalidateChannel = "rows"

// dropAll is the key that drops every row.
const dropAll = "*"

// maxUnsent bounds the invalidations kept while they cannot be sent; past
// it they are replaced by one that drops every row.
const maxUnsent = 1024

// PubSub is what cross-replica invalidation needs from the state store.
type PubSub interface {
	Publish(ctx context.Context, channel string, msgs ...[]byte) error
	Subscribe(ctx context.Context, channel string) (<-chan []byte, error)
}

// unsent holds the invalidations Publish failed on, sent again until they
// go: rows stay cached long on the strength of these announcements, so one
// is late rather than lost.
type unsent struct {
	mu   sync.Mutex
	keys []string
}

func (u *unsent) add(key string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.keys) >= maxUnsent {
		u.keys = append(u.keys[:0], dropAll)
	}
	if len(u.keys) == 1 && u.keys[0] == dropAll {
		return
	}
	u.keys = append(u.keys, key)
}

func (u *unsent) take() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	k := u.keys
	u.keys = nil
	return k
}

// invalidate drops rows here and tells the other replicas to.
func (e *Engine) invalidate(ctx context.Context, remote, path string, prefix bool) {
	key := cacheKey(remote, path)
	if prefix {
		e.rows.dropPrefix(key)
		key += "\x00*"
	} else {
		e.rows.drop(key)
	}
	e.announce(ctx, key)
}

func (e *Engine) announce(ctx context.Context, key string) {
	if e.PubSub == nil {
		return
	}
	if err := e.publishRow(context.WithoutCancel(ctx), key); err != nil {
		e.unsent.add(key)
		e.Log.Warn("row invalidation not sent yet; sending it again every second", "err", err)
	}
}

// publishRow sends one invalidation, marked as this replica's.
func (e *Engine) publishRow(ctx context.Context, key string) error {
	return e.PubSub.Publish(ctx, InvalidateChannel, []byte(e.id+"\x01"+key))
}

// resend sends the invalidations that failed, every second until ctx ends.
func (e *Engine) resend(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, key := range e.unsent.take() {
			if err := e.publishRow(ctx, key); err != nil {
				e.unsent.add(key)
			}
		}
	}
}

// WatchInvalidations applies other replicas' invalidations until ctx ends.
// A broken subscription may have lost some, so the whole cache is dropped
// each time it is (re)established.
func (e *Engine) WatchInvalidations(ctx context.Context) {
	if e.PubSub == nil {
		return
	}
	var wg sync.WaitGroup
	wg.Go(func() { e.resend(ctx) })
	defer wg.Wait()
	for ctx.Err() == nil {
		ch, err := e.PubSub.Subscribe(ctx, InvalidateChannel)
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
			continue
		}
		e.rows.clear()
		for msg := range ch {
			sender, key, _ := strings.Cut(string(msg), "\x01")
			switch k, isPrefix := strings.CutSuffix(key, "\x00*"); {
			case sender == e.id:
			case key == dropAll:
				e.rows.clear()
			case isPrefix:
				e.rows.dropPrefix(k)
			default:
				e.rows.drop(key)
			}
		}
	}
}
