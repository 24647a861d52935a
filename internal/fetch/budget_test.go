package fetch

import (
	"net/http"
	"testing"
	"time"
)

func TestParseBudget(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	resp := func(code int, kv ...string) *http.Response {
		h := http.Header{}
		for i := 0; i+1 < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return &http.Response{StatusCode: code, Header: h}
	}
	cases := []struct {
		name      string
		resp      *http.Response
		remaining int64
		reset     time.Duration
		low       bool
	}{
		{"docker hub", resp(200, "ratelimit-limit", "100;w=21600", "ratelimit-remaining", "76;w=21600"), 76, 6 * time.Hour, false},
		{"docker hub spent", resp(200, "ratelimit-limit", "100;w=21600", "ratelimit-remaining", "5;w=21600"), 5, 6 * time.Hour, true},
		{"ietf delta", resp(200, "RateLimit-Limit", "1000", "RateLimit-Remaining", "51", "RateLimit-Reset", "30"), 51, 30 * time.Second, false},
		{"github epoch", resp(200, "X-RateLimit-Limit", "60", "X-RateLimit-Remaining", "1", "X-RateLimit-Reset", "1795953600"), 1, time.Unix(1795953600, 0).Sub(now), true},
		{"no window", resp(200, "X-RateLimit-Remaining", "0"), 0, time.Minute, true},
		{"429 seconds", resp(429, "Retry-After", "120"), 0, 2 * time.Minute, true},
		{"429 date", resp(429, "Retry-After", now.Add(time.Hour).Format(http.TimeFormat)), 0, time.Hour, true},
		{"429 bare", resp(429), 0, time.Minute, true},
	}
	for _, c := range cases {
		b, ok := parseBudget(c.resp, now)
		if !ok || b.Remaining != c.remaining || !b.ResetAt.Equal(now.Add(c.reset)) || b.Low(now) != c.low {
			t.Errorf("%s: %+v ok=%v low=%v", c.name, b, ok, b.Low(now))
		}
		if b.Low(b.ResetAt.Add(time.Second)) {
			t.Errorf("%s: still low after its reset", c.name)
		}
	}
	if _, ok := parseBudget(resp(200, "Content-Type", "text/plain"), now); ok {
		t.Error("a response without rate-limit headers has no budget")
	}
	if _, ok := parseBudget(resp(200, "ratelimit-remaining", "lots"), now); ok {
		t.Error("an unreadable number is no budget")
	}
}
