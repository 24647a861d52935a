package fetch

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/artifactapi/artifactapi/internal/events"
)

// Budget is what an upstream said of its rate limit: Docker Hub's
// ratelimit-remaining, the IETF RateLimit-* and GitHub-style
// X-RateLimit-* headers, or a 429's Retry-After. It is kept in the state
// store, so every replica spends one budget.
type Budget struct {
	Remaining int64     `json:"remaining"`
	Limit     int64     `json:"limit,omitempty"`
	ResetAt   time.Time `json:"reset_at"`
	Observed  time.Time `json:"observed"`
	// Throttled: the upstream answered 429 and asked to wait until ResetAt.
	Throttled bool `json:"throttled,omitempty"`
}

// Low reports whether the budget is nearly spent at now: throttled, or
// at most 5% of the limit (at least one request) left before ResetAt. A
// low budget serves stale copies instead of revalidating them.
func (b Budget) Low(now time.Time) bool {
	if b.Observed.IsZero() || now.After(b.ResetAt) {
		return false
	}
	return b.Throttled || b.Remaining <= max(1, b.Limit/20)
}

// budgetDefaultReset is how long a budget is believed when the upstream
// gives no window or reset time (and how long a 429 without Retry-After
// holds back revalidation).
const budgetDefaultReset = time.Minute

// parseBudget reads a response's rate-limit headers; false when it has
// none (and is no 429).
func parseBudget(resp *http.Response, now time.Time) (Budget, bool) {
	h := resp.Header
	b := Budget{Observed: now.UTC()}
	if resp.StatusCode == http.StatusTooManyRequests {
		b.Throttled = true
		b.ResetAt = now.Add(retryAfter(h.Get("Retry-After"), now))
		b.Limit, _, _ = headerNumber(h, "RateLimit-Limit", "X-RateLimit-Limit")
		return b, true
	}
	rem, w, ok := headerNumber(h, "RateLimit-Remaining", "X-RateLimit-Remaining")
	if !ok {
		return Budget{}, false
	}
	b.Remaining = rem
	lim, lw, _ := headerNumber(h, "RateLimit-Limit", "X-RateLimit-Limit")
	b.Limit = lim
	w = max(w, lw)
	reset, _, hasReset := headerNumber(h, "RateLimit-Reset", "X-RateLimit-Reset")
	switch {
	case hasReset && reset > 1_000_000_000: // an epoch time (GitHub)
		b.ResetAt = time.Unix(reset, 0)
	case hasReset:
		b.ResetAt = now.Add(time.Duration(reset) * time.Second)
	case w > 0: // Docker Hub: "100;w=21600", a window of seconds
		b.ResetAt = now.Add(time.Duration(w) * time.Second)
	default:
		b.ResetAt = now.Add(budgetDefaultReset)
	}
	b.ResetAt = b.ResetAt.UTC()
	return b, true
}

// headerNumber is the first of names present: its leading number and its
// ";w=" window, if any.
func headerNumber(h http.Header, names ...string) (n, window int64, ok bool) {
	for _, name := range names {
		v := h.Get(name)
		if v == "" {
			continue
		}
		num, params, _ := strings.Cut(v, ";")
		n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
		if err != nil {
			continue
		}
		for _, p := range strings.Split(params, ";") {
			if ws, ok := strings.CutPrefix(strings.TrimSpace(p), "w="); ok {
				window, _ = strconv.ParseInt(ws, 10, 64)
			}
		}
		return n, window, true
	}
	return 0, 0, false
}

// retryAfter reads Retry-After (seconds or an HTTP date), bounded to a day.
func retryAfter(v string, now time.Time) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return min(time.Duration(s)*time.Second, 24*time.Hour)
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), 24*time.Hour)
	}
	return budgetDefaultReset
}

func budgetKey(remote string) string { return "upstream:" + remote + ":budget" }

// budgets is this replica's view of the remotes' budgets: what it last
// wrote or read, so a stale hit asks the state store at most once a
// second per remote.
type budgets struct {
	mu sync.Mutex
	m  map[string]budgetView
}

type budgetView struct {
	b    Budget
	read time.Time
}

// noteBudget keeps what resp says of rem's budget, and tells operators
// when it runs low or recovers.
func (e *Engine) noteBudget(remote string, resp *http.Response) {
	now := time.Now()
	b, ok := parseBudget(resp, now)
	if !ok {
		return
	}
	e.budgets.mu.Lock()
	if e.budgets.m == nil {
		e.budgets.m = map[string]budgetView{}
	}
	prev := e.budgets.m[remote].b
	e.budgets.m[remote] = budgetView{b: b, read: now}
	e.budgets.mu.Unlock()
	if e.Metrics != nil {
		e.Metrics.BudgetRemaining.WithLabelValues(remote).Set(float64(b.Remaining))
		if b.Throttled {
			e.Metrics.Throttled.WithLabelValues(remote).Inc()
		}
	}
	bs, _ := json.Marshal(b)
	ctx, cancel := context.WithTimeout(e.base, time.Second)
	defer cancel()
	if err := e.State.Set(ctx, budgetKey(remote), string(bs), time.Until(b.ResetAt)+time.Second); err != nil {
		e.Log.Debug("upstream budget not kept", "remote", remote, "err", err)
	}
	// Compared with what the last answer said when it came: a budget that
	// was low and ran out its window is recovered once an answer says so.
	if low := b.Low(now); low != prev.Low(prev.Observed) || b.Throttled {
		e.Log.Warn("upstream rate limit", "remote", remote, "remaining", b.Remaining, "limit", b.Limit, "reset_at", b.ResetAt, "throttled", b.Throttled, "low", low)
		if e.Events != nil {
			typ := events.BudgetLow
			if !low {
				typ = events.BudgetRecovered
			}
			e.Events.Publish(events.Event{Type: typ, Remote: remote, Count: int(b.Remaining)})
		}
	}
}

// UpstreamBudget is rem's last known budget, if it is still current.
func (e *Engine) UpstreamBudget(ctx context.Context, remote string) (Budget, bool) {
	now := time.Now()
	e.budgets.mu.Lock()
	v, ok := e.budgets.m[remote]
	e.budgets.mu.Unlock()
	if ok && now.Sub(v.read) < time.Second {
		return v.b, !v.b.Observed.IsZero() && now.Before(v.b.ResetAt)
	}
	var b Budget
	if s, err := e.State.Get(ctx, budgetKey(remote)); err == nil {
		json.Unmarshal([]byte(s), &b)
	}
	e.budgets.mu.Lock()
	if e.budgets.m == nil {
		e.budgets.m = map[string]budgetView{}
	}
	e.budgets.m[remote] = budgetView{b: b, read: now}
	e.budgets.mu.Unlock()
	return b, !b.Observed.IsZero() && now.Before(b.ResetAt)
}

// budgetLow reports whether stale copies of rem's objects should be
// served as they are rather than revalidated.
func (e *Engine) budgetLow(ctx context.Context, remote string) bool {
	b, ok := e.UpstreamBudget(ctx, remote)
	return ok && b.Low(time.Now())
}

// budgetTransport notes the budget of every response from a remote's
// upstream (fills, revalidations, HEADs and relayed requests alike).
type budgetTransport struct {
	next   http.RoundTripper
	e      *Engine
	remote string
}

func (t budgetTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err == nil {
		t.e.noteBudget(t.remote, resp)
	}
	return resp, err
}
