package runner

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// A function started while a goroutine of the pool is idle runs on it.
// Without the reuse each of these calls would leave a goroutine of its
// own, idle for a minute; with it they share one (a few at most, where a
// call came before the last one's goroutine was back waiting).
func TestGoReusesAnIdleGoroutine(t *testing.T) {
	p := New(time.Minute)
	defer p.Wait()
	before := runtime.NumGoroutine()
	for range 50 {
		done := make(chan struct{})
		p.Go(func() { close(done) })
		<-done
		time.Sleep(2 * time.Millisecond) // its goroutine goes back to waiting
	}
	if n := runtime.NumGoroutine(); n > before+5 {
		t.Fatalf("goroutines went from %d to %d over 50 calls, one after another", before, n)
	}
}

// Functions started together each get a goroutine: Go never waits for
// one to be free.
func TestGoNeverWaits(t *testing.T) {
	p := New(time.Minute)
	defer p.Wait()
	release := make(chan struct{})
	var started atomic.Int32
	for range 8 {
		p.Go(func() {
			started.Add(1)
			<-release
		})
	}
	deadline := time.Now().Add(5 * time.Second)
	for started.Load() < 8 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	close(release)
	if n := started.Load(); n != 8 {
		t.Fatalf("%d of 8 blocking functions started", n)
	}
}

// Wait returns once every function returned, and ends the idle
// goroutines; so does their idle time.
func TestWaitAndIdleEnd(t *testing.T) {
	base := runtime.NumGoroutine()
	p := New(time.Hour)
	var ran atomic.Int32
	for range 4 {
		p.Go(func() {
			time.Sleep(20 * time.Millisecond)
			ran.Add(1)
		})
	}
	p.Wait()
	if ran.Load() != 4 {
		t.Fatalf("Wait returned with %d of 4 functions done", ran.Load())
	}
	settle(t, base)

	q := New(50 * time.Millisecond)
	q.Go(func() {})
	settle(t, base)
}

// settle waits for the goroutine count to fall back to n.
func settle(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines left, want %d", runtime.NumGoroutine(), n)
		}
		time.Sleep(time.Millisecond)
	}
}
