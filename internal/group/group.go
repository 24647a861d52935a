// Package group sends what concurrent callers submit together: the
// metadata stores' commits (one transaction) and the Redis state store's
// lock scripts (one pipeline).
package group

import (
	"context"
	"sync"
	"time"

	"github.com/artifactapi/artifactapi/internal/runner"
)

// drainers write the batches that go apart from their callers (see
// submit): on kept goroutines, as a batch goes deep into the database or
// Redis client and a new goroutine's stack grew there on every one.
var drainers = runner.New(time.Minute)

// Group commits what concurrent callers submit together: while one batch
// is being written, the items that arrive queue up and go in the next, in
// one transaction. Under a burst of fills each commit then costs one
// database write instead of one per object: SQLite takes its write lock
// once (its writers would otherwise sleep in the busy handler waiting for
// each other), PostgreSQL flushes its log once.
//
// Every caller waits until its own item was written, so a row is there
// when Do returns nil; a batch that fails is written again item by item,
// so each caller gets its own item's error and no other's.
type Group[T any] struct {
	// Write writes a batch in one transaction: all of it or nothing.
	Write func(ctx context.Context, batch []T) error

	mu      sync.Mutex
	queue   []groupItem[T]
	writing bool
}

type groupItem[T any] struct {
	v    T
	ctx  context.Context
	done chan error
}

// Do submits v and returns when it was written (or failed to be). The
// write does not stop when ctx is cancelled: other callers' items share
// it, and a row half decided is worse than one written a little late.
func (g *Group[T]) Do(ctx context.Context, v T) error { return <-g.submit(ctx, v, false) }

// submit queues v and, when no batch is being written, writes the queue:
// in this goroutine, or (apart) in another, so the caller can stop
// waiting.
func (g *Group[T]) submit(ctx context.Context, v T, apart bool) chan error {
	it := groupItem[T]{v: v, ctx: context.WithoutCancel(ctx), done: make(chan error, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, it)
	lead := !g.writing
	g.writing = true
	g.mu.Unlock()
	switch {
	case lead && apart:
		drainers.Go(g.drain)
	case lead:
		g.drain()
	}
	return it.done
}

// Ask is Do for a read: it returns ctx's error once ctx ends (a lookup
// whose client left), and the batch goes on for the others.
func (g *Group[T]) Ask(ctx context.Context, v T) error {
	done := g.submit(ctx, v, true)
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// drain writes the queue as one batch. What queued meanwhile is handed to
// a new writer, so no caller keeps writing other callers' batches after
// its own is done.
func (g *Group[T]) drain() {
	g.mu.Lock()
	batch := g.queue
	g.queue = nil
	g.mu.Unlock()

	vs := make([]T, len(batch))
	for i, it := range batch {
		vs[i] = it.v
	}
	err := g.Write(batch[0].ctx, vs)
	for _, it := range batch {
		if err != nil && len(batch) > 1 {
			it.done <- g.Write(it.ctx, []T{it.v})
			continue
		}
		it.done <- err
	}

	g.mu.Lock()
	if len(g.queue) > 0 {
		drainers.Go(g.drain)
	} else {
		g.writing = false
	}
	g.mu.Unlock()
}
