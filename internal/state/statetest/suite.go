// Package statetest is the conformance suite every state.Store must pass.
package statetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/artifactapi/artifactapi/internal/state"
)

// Run runs the suite. newStore may return stores sharing one backend (as
// replicas would); keys are made unique per run so backends need not be empty.
func Run(t *testing.T, newStore func(t *testing.T) state.Store) {
	ctx := context.Background()
	prefix := fmt.Sprintf("statetest:%d:", time.Now().UnixNano())
	k := func(name string) string { return prefix + t.Name() + ":" + name }

	t.Run("SetGetDelete", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.Get(ctx, k("missing")); !errors.Is(err, state.ErrNotFound) {
			t.Fatalf("get missing: %v", err)
		}
		if err := s.Set(ctx, k("a"), "1", 0); err != nil {
			t.Fatal(err)
		}
		if v, err := s.Get(ctx, k("a")); err != nil || v != "1" {
			t.Fatalf("get = %q %v", v, err)
		}
		if err := s.Delete(ctx, k("a")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, k("a")); !errors.Is(err, state.ErrNotFound) {
			t.Fatalf("after delete: %v", err)
		}
	})
	t.Run("TTLExpires", func(t *testing.T) {
		s := newStore(t)
		if err := s.Set(ctx, k("ttl"), "x", 100*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if v, err := s.Get(ctx, k("ttl")); err != nil || v != "x" {
			t.Fatalf("fresh get = %q %v", v, err)
		}
		waitFor(t, "key to expire", func() bool {
			_, err := s.Get(ctx, k("ttl"))
			return errors.Is(err, state.ErrNotFound)
		})
	})
	t.Run("Incr", func(t *testing.T) {
		s := newStore(t)
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				if _, err := s.Incr(ctx, k("n"), time.Minute); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if n, err := s.Incr(ctx, k("n"), time.Minute); err != nil || n != 21 {
			t.Fatalf("incr = %d %v, want 21", n, err)
		}
		if _, err := s.Incr(ctx, k("short"), 100*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "counter to expire", func() bool {
			_, err := s.Get(ctx, k("short"))
			return errors.Is(err, state.ErrNotFound)
		})
		if n, err := s.Incr(ctx, k("short"), time.Minute); err != nil || n != 1 {
			t.Fatalf("incr after expiry = %d %v, want 1", n, err)
		}
	})
	t.Run("LockExclusive", func(t *testing.T) {
		a, b := newStore(t), newStore(t)
		l, err := a.TryLock(ctx, k("l"), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.TryLock(ctx, k("l"), time.Minute); !errors.Is(err, state.ErrLocked) {
			t.Fatalf("second lock: %v, want ErrLocked", err)
		}
		if err := l.Refresh(ctx, time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := l.Unlock(ctx); err != nil {
			t.Fatal(err)
		}
		l2, err := b.TryLock(ctx, k("l"), time.Minute)
		if err != nil {
			t.Fatalf("lock after unlock: %v", err)
		}
		// The first holder's stale handle must not release the new owner.
		if err := l.Unlock(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := a.TryLock(ctx, k("l"), time.Minute); !errors.Is(err, state.ErrLocked) {
			t.Fatalf("stale unlock released the new owner: %v", err)
		}
		l2.Unlock(ctx)
	})
	t.Run("LockUnlessGuardSet", func(t *testing.T) {
		a, b := newStore(t), newStore(t)
		l, err := a.TryLockUnless(ctx, k("g"), time.Minute, k("guard"))
		if err != nil {
			t.Fatalf("no guard: %v", err)
		}
		if _, err := b.TryLockUnless(ctx, k("g"), time.Minute, k("guard")); !errors.Is(err, state.ErrLocked) {
			t.Fatalf("held: %v, want ErrLocked", err)
		}
		l.Unlock(ctx)
		if err := a.Set(ctx, k("guard"), "1", time.Minute); err != nil {
			t.Fatal(err)
		}
		if _, err := b.TryLockUnless(ctx, k("g"), time.Minute, k("guard")); !errors.Is(err, state.ErrGuarded) {
			t.Fatalf("guard set: %v, want ErrGuarded", err)
		}
		// The guard refused the lock: it was not taken.
		l, err = b.TryLock(ctx, k("g"), time.Minute)
		if err != nil {
			t.Fatalf("lock after a guarded try: %v", err)
		}
		l.Unlock(ctx)
		if err := a.Delete(ctx, k("guard")); err != nil {
			t.Fatal(err)
		}
		if l, err = b.TryLockUnless(ctx, k("g"), time.Minute, k("guard")); err != nil {
			t.Fatalf("guard deleted: %v", err)
		}
		l.Unlock(ctx)
	})
	t.Run("LockConcurrentOneWinner", func(t *testing.T) {
		s := newStore(t)
		var won atomic.Int32
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				if _, err := s.TryLock(ctx, k("race"), time.Minute); err == nil {
					won.Add(1)
				} else if !errors.Is(err, state.ErrLocked) {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if won.Load() != 1 {
			t.Fatalf("%d winners, want 1", won.Load())
		}
	})
	// Many locks taken, marked and released at once (the Redis store
	// sends such calls together in one pipeline): each key still has one
	// winner, and each call its own answer.
	t.Run("LocksConcurrentManyKeys", func(t *testing.T) {
		s := newStore(t)
		const keys, tries = 16, 8
		var won [keys]atomic.Int32
		locks := make(chan state.Lock, keys*tries)
		var wg sync.WaitGroup
		for i := range keys * tries {
			wg.Go(func() {
				l, err := s.TryLockUnless(ctx, k(fmt.Sprint("many", i%keys)), time.Minute, k("noguard"))
				switch {
				case err == nil:
					won[i%keys].Add(1)
					locks <- l
				case !errors.Is(err, state.ErrLocked):
					t.Error(err)
				}
			})
		}
		wg.Wait()
		close(locks)
		for i := range keys {
			if n := won[i].Load(); n != 1 {
				t.Fatalf("key %d: %d winners, want 1", i, n)
			}
		}
		for l := range locks {
			wg.Go(func() {
				if err := l.Refresh(ctx, time.Minute); err != nil {
					t.Errorf("refresh: %v", err)
				}
				if err := l.Unlock(ctx); err != nil {
					t.Errorf("unlock: %v", err)
				}
				if err := l.Refresh(ctx, time.Minute); !errors.Is(err, state.ErrLockLost) {
					t.Errorf("refresh after unlock: %v, want ErrLockLost", err)
				}
			})
		}
		wg.Wait()
		for i := range keys {
			l, err := s.TryLockUnless(ctx, k(fmt.Sprint("many", i)), time.Minute, k("noguard"))
			if err != nil {
				t.Fatalf("key %d after unlock: %v", i, err)
			}
			l.Unlock(ctx)
		}
	})
	t.Run("LockExpires", func(t *testing.T) {
		a, b := newStore(t), newStore(t)
		l, err := a.TryLock(ctx, k("exp"), 100*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		var l2 state.Lock
		waitFor(t, "expired lock to be taken", func() bool {
			l2, err = b.TryLock(ctx, k("exp"), time.Minute)
			return err == nil
		})
		if err := l.Refresh(ctx, time.Minute); !errors.Is(err, state.ErrLockLost) {
			t.Fatalf("refresh of a lost lock: %v, want ErrLockLost", err)
		}
		l2.Unlock(ctx)
	})
	t.Run("PubSub", func(t *testing.T) {
		pub, sub1, sub2 := newStore(t), newStore(t), newStore(t)
		sctx, cancel := context.WithCancel(ctx)
		defer cancel()
		c1, err := sub1.Subscribe(sctx, k("ch"))
		if err != nil {
			t.Fatal(err)
		}
		c2, err := sub2.Subscribe(sctx, k("ch"))
		if err != nil {
			t.Fatal(err)
		}
		if err := pub.Publish(ctx, k("ch"), []byte("hello")); err != nil {
			t.Fatal(err)
		}
		// Several in one call arrive each, in order.
		if err := pub.Publish(ctx, k("ch"), []byte("one"), []byte("two"), []byte("three")); err != nil {
			t.Fatal(err)
		}
		for i, c := range []<-chan []byte{c1, c2} {
			for _, want := range []string{"hello", "one", "two", "three"} {
				select {
				case m := <-c:
					if string(m) != want {
						t.Fatalf("subscriber %d got %q, want %q", i, m, want)
					}
				case <-time.After(5 * time.Second):
					t.Fatalf("subscriber %d got nothing, want %q", i, want)
				}
			}
		}
		cancel()
		select {
		case _, ok := <-c1:
			for ok {
				_, ok = <-c1
			}
		case <-time.After(5 * time.Second):
			t.Fatal("channel not closed after cancel")
		}
	})
	t.Run("SlowSubscriberClosed", func(t *testing.T) {
		pub, sub := newStore(t), newStore(t)
		sctx, cancel := context.WithCancel(ctx)
		defer cancel()
		c, err := sub.Subscribe(sctx, k("slow"))
		if err != nil {
			t.Fatal(err)
		}
		// Nobody reads c: past its buffer a message is lost, and the
		// channel must close rather than leave the loss unknown.
		const sent = 2000
		for i := range sent {
			if err := pub.Publish(ctx, k("slow"), []byte(fmt.Sprint(i))); err != nil {
				t.Fatal(err)
			}
		}
		got := 0
		deadline := time.After(5 * time.Second)
		for {
			select {
			case _, ok := <-c:
				if !ok {
					if got >= sent {
						t.Fatalf("closed after all %d messages arrived", got)
					}
					return
				}
				got++
			case <-deadline:
				t.Fatalf("got %d of %d messages and the channel is still open", got, sent)
			}
		}
	})
	t.Run("Ping", func(t *testing.T) {
		if err := newStore(t).Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// waitFor polls cond until it holds or 5 s pass: TTLs are waited out, not
// slept through with a fixed guess.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
