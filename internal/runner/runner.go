// Package runner runs functions on goroutines it keeps for a while after
// each, ready for the next.
//
// A goroutine's stack starts small and is copied to one twice the size
// each time it runs out. A function that goes deep (an upstream HTTP
// exchange, a database batch, hashing and storing a body) on a goroutine
// of its own paid for that copying on every call: 7-8% of the proxy's CPU
// in a run of small misses, embedded or on PostgreSQL + Redis. A kept
// goroutine has its stack grown already (the runtime halves an idle
// one's at a garbage collection at most, so it is copied once per cycle,
// not per call).
package runner

import (
	"sync"
	"time"
)

// Pool is a set of kept goroutines. The zero value is not usable: New.
type Pool struct {
	idle time.Duration
	work chan func() // unbuffered: a send succeeds only into an idle goroutine
	quit chan struct{}
	stop sync.Once
	wg   sync.WaitGroup
}

// New returns a pool whose goroutines end after idle without work.
func New(idle time.Duration) *Pool {
	return &Pool{idle: idle, work: make(chan func()), quit: make(chan struct{})}
}

// Go runs fn on an idle goroutine of the pool, or on a new one, which
// is kept after. It never waits for one to be free.
func (p *Pool) Go(fn func()) {
	select {
	case p.work <- fn:
		return
	default:
	}
	p.wg.Add(1)
	go p.run(fn)
}

func (p *Pool) run(fn func()) {
	defer p.wg.Done()
	t := time.NewTimer(p.idle)
	defer t.Stop()
	for {
		fn()
		fn = nil // what it held is not kept alive while idle
		t.Reset(p.idle)
		select {
		case fn = <-p.work:
		case <-t.C:
			return
		case <-p.quit:
			return
		}
	}
}

// Wait ends the idle goroutines and waits for every function started to
// return, as sync.WaitGroup.Wait does. Functions started after it still
// run; their goroutines end when they return.
func (p *Pool) Wait() {
	p.stop.Do(func() { close(p.quit) })
	p.wg.Wait()
}
