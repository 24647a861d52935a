package recorder

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/artifactapi/artifactapi/internal/meta"
)

// store keeps the batches it is given (a unit-test fake: the real stores
// run the conformance suite).
type store struct {
	mu      sync.Mutex
	batches []meta.Batch
}

func (s *store) Record(_ context.Context, b meta.Batch) error {
	s.mu.Lock()
	s.batches = append(s.batches, b)
	s.mu.Unlock()
	return nil
}

func (s *store) sums() (hits, usageRows, usageHits int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range s.batches {
		hits += b.Counters["r"].Hits
		usageRows += int64(len(b.Usage))
		for _, u := range b.Usage {
			usageHits += u.Hits
		}
	}
	return
}

func TestUsageIsSummedOverTicksCountersAreNot(t *testing.T) {
	st := &store{}
	r := New(st, slog.New(slog.NewTextHandler(io.Discard, nil)), 100*time.Millisecond)
	r.usageEvery = 5
	ctx, cancel := context.WithCancel(context.Background())
	go r.Run(ctx)
	hit := func(path string) {
		r.Access(meta.Access{Time: time.Now(), Remote: "r", Path: path, Method: "GET", Status: 200, Cache: "HIT"})
	}
	hit("a")
	hit("a")
	hit("b")
	// Counters go out on the next tick; usage waits for usageEvery ticks.
	deadline := time.Now().Add(10 * time.Second)
	for {
		hits, rows, _ := st.sums()
		if hits == 3 {
			if rows != 0 {
				t.Fatalf("usage written at the first tick: %d rows", rows)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("counters never written: %d hits", hits)
		}
		time.Sleep(time.Millisecond)
	}
	hit("a")
	for {
		_, rows, usageHits := st.sums()
		if rows > 0 {
			// One row per object, however many ticks its hits spanned.
			if rows != 2 || usageHits != 4 {
				t.Fatalf("usage: %d rows, %d hits; want 2 rows, 4 hits", rows, usageHits)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("usage never written")
		}
		time.Sleep(time.Millisecond)
	}
	// What is pending at shutdown is written by the last flush.
	hit("c")
	cancel()
	r.Wait()
	if _, rows, usageHits := st.sums(); rows != 3 || usageHits != 5 {
		t.Fatalf("after shutdown: %d rows, %d hits; want 3, 5", rows, usageHits)
	}
}

// FlushUsage writes what was queued and summed before it, long before the
// usage period ends, and returns once it is stored.
func TestFlushUsageWritesPendingUsageNow(t *testing.T) {
	st := &store{}
	r := New(st, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	go r.Run(ctx)
	for _, p := range []string{"a", "b", "a"} {
		r.Access(meta.Access{Time: time.Now(), Remote: "r", Path: p, Method: "GET", Status: 200, Cache: "HIT"})
	}
	if err := r.FlushUsage(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, rows, usageHits := st.sums(); rows != 2 || usageHits != 3 {
		t.Fatalf("after FlushUsage: %d rows, %d hits; want 2, 3", rows, usageHits)
	}
	cancel()
	r.Wait()
	if err := r.FlushUsage(context.Background()); err != nil {
		t.Fatalf("FlushUsage after Run returned: %v", err)
	}
}

// Requests reach the store as one row per second, remote and outcome, and
// each is still logged at debug level.
func TestRequestsAreSummedPerSecond(t *testing.T) {
	st := &store{}
	var logged bytes.Buffer
	r := New(st, slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug})), time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	go r.Run(ctx)
	s0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	req := func(ms int, remote, cache string, status int) {
		r.Access(meta.Access{Time: s0.Add(time.Duration(ms) * time.Millisecond), Remote: remote, Path: "p", Method: "GET", Status: status, Cache: cache, Bytes: 10})
	}
	req(0, "r", "HIT", 200)
	req(999, "r", "HIT", 200)
	req(500, "r", "MISS", 502)
	req(1000, "r", "HIT", 200)
	req(10, "", "BYPASS", 404) // named no remote: traffic, no counters
	cancel()
	r.Wait()
	got := map[string]meta.Traffic{}
	for _, b := range st.batches {
		for _, tr := range b.Traffic {
			got[fmt.Sprintf("%d %s %s", tr.Second.Unix()-s0.Unix(), tr.Remote, tr.Cache)] = tr
		}
	}
	want := map[string][3]int64{"0 r HIT": {2, 20, 0}, "0 r MISS": {1, 10, 1}, "1 r HIT": {1, 10, 0}, "0  BYPASS": {1, 10, 0}}
	if len(got) != len(want) {
		t.Fatalf("traffic rows %+v", got)
	}
	for k, w := range want {
		if g := got[k]; g.Requests != w[0] || g.Bytes != w[1] || g.Errors != w[2] {
			t.Fatalf("%s: %+v, want requests/bytes/errors %v", k, g, w)
		}
	}
	if n := strings.Count(logged.String(), "msg=request"); n != 5 {
		t.Fatalf("%d requests logged at debug, want 5:\n%s", n, logged.String())
	}
}
