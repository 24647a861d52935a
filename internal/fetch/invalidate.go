package fetch

import (
	"context"
	"strings"
	"time"
)

// InvalidateChannel carries "sender\x01remote\x00path" (one row) or
// "sender\x01remote\x00prefix\x00*" (every row under prefix) to every
// replica's row cache; a replica skips its own.
const InvalidateChannel = "rows"

// PubSub is what cross-replica invalidation needs from the state store.
type PubSub interface {
	Publish(ctx context.Context, channel string, msg []byte) error
	Subscribe(ctx context.Context, channel string) (<-chan []byte, error)
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
	if e.PubSub != nil {
		if err := e.PubSub.Publish(ctx, InvalidateChannel, []byte(e.id+"\x01"+key)); err != nil {
			e.Log.Warn("row invalidation not sent; other replicas see it within seconds", "err", err)
		}
	}
}

// WatchInvalidations applies other replicas' invalidations until ctx ends.
// A broken subscription may have lost some, so the whole cache is dropped
// each time it is (re)established.
func (e *Engine) WatchInvalidations(ctx context.Context) {
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
			if sender == e.id {
				continue
			}
			if k, ok := strings.CutSuffix(key, "\x00*"); ok {
				e.rows.dropPrefix(k)
			} else {
				e.rows.drop(key)
			}
		}
	}
}
