package fetch

import (
	"context"
	"slices"
)

// prefetch fills, in the background, what f's client will ask for next
// (format.Prefetcher), unless it is cached, refused by the remote's
// patterns or policy, or being filled already. It runs as one of the
// engine's fills, so Close waits for it; it takes at most half of
// MaxFills, leaving the rest to clients. No client waits for a prefetch,
// so none starts while the upstream's rate limit is nearly spent: what is
// left of it is for what clients ask.
func (e *Engine) prefetch(f *fill) {
	p := f.rem.Type.Prefetcher
	if p == nil {
		return
	}
	next := p.Next(f.path)
	if len(next) == 0 {
		return
	}
	rem := f.rem
	e.fills.Go(func() {
		if e.budgetLow(e.base, rem.Name) {
			return
		}
		for _, path := range next {
			ctx, cancel := context.WithTimeout(e.base, e.opt.LockTTL)
			var c cacheState
			var err error
			if slices.Contains(f.absentNext, path) {
				c, err = e.uncached(rem, path) // read along with f's row
			} else {
				c, err = e.cached(ctx, rem, path)
			}
			wanted := err == nil && c.hit == nil && c.stale == nil && e.police(ctx, rem, path) == nil
			cancel()
			if !wanted || !e.roomFor(cacheKey(rem.Name, path)) {
				continue
			}
			if nf, err := e.join(c, path, true); err == nil {
				e.Metrics.Prefetches.WithLabelValues(rem.Name).Inc()
				nf.release()
			}
		}
	})
}

// roomFor says whether a prefetch of key may start: none is filling it,
// the engine is not closing, and fewer than half of MaxFills are fetching.
func (e *Engine) roomFor(key string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.inflight[key] == nil && e.base.Err() == nil && e.fetching < e.opt.MaxFills/2
}
