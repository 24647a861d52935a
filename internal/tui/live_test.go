package tui

import (
	"strings"
	"testing"
	"time"
)

func TestLiveFollowsAFillToItsEnd(t *testing.T) {
	l := NewLive(3)
	now := time.Now()
	l.Apply(Event{Type: "fetch.started", Remote: "r", Path: "big", Size: 100}, now)
	l.Apply(Event{Type: "fetch.progress", Remote: "r", Path: "big", Size: 100, Bytes: 40}, now)
	// An event stream joined mid-fill sees progress without a start.
	l.Apply(Event{Type: "fetch.progress", Remote: "r", Path: "other", Bytes: 7}, now)
	f := l.Fills()
	if len(f) != 2 || f[0].Path != "big" || f[0].Bytes != 40 || f[0].Size != 100 || f[1].Size != 0 || f[1].Bytes != 7 {
		t.Fatalf("fills %+v", f)
	}
	// A late progress event never moves the bar back.
	l.Apply(Event{Type: "fetch.progress", Remote: "r", Path: "big", Size: 100, Bytes: 30}, now)
	if l.Fills()[0].Bytes != 40 {
		t.Fatalf("bar went back: %+v", l.Fills()[0])
	}
	l.Apply(Event{Type: "fetch.finished", Remote: "r", Path: "big", Size: 100, DurationMS: 1500}, now)
	l.Apply(Event{Type: "fetch.failed", Remote: "r", Path: "other", Error: "boom", DurationMS: 3}, now)
	if len(l.Fills()) != 0 {
		t.Fatalf("finished fills still in flight: %+v", l.Fills())
	}
	r := l.Recent()
	if len(r) != 2 || r[0].Status != "FAIL" || r[0].Error != "boom" || r[1].Status != "MISS" || r[1].Duration != 1500*time.Millisecond {
		t.Fatalf("recent %+v", r)
	}
}

func TestLiveKeepsTheLastNAndForgetsSilentFills(t *testing.T) {
	l := NewLive(3)
	now := time.Now()
	for i := range 5 {
		l.Apply(Event{Type: "hit", Remote: "r", Path: string(rune('a' + i)), Count: i + 1}, now)
	}
	r := l.Recent()
	if len(r) != 3 || r[0].Path != "e" || r[2].Path != "c" || r[0].Count != 5 {
		t.Fatalf("recent %+v", r)
	}
	l.Apply(Event{Type: "fetch.started", Remote: "r", Path: "stuck"}, now)
	l.Apply(Event{Type: "hit", Remote: "r", Path: "x"}, now.Add(forgetFill+time.Second))
	if len(l.Fills()) != 0 {
		t.Fatalf("a fill silent for over a minute is still shown: %+v", l.Fills())
	}
}

func TestLiveTellsConfigChanges(t *testing.T) {
	l := NewLive(3)
	for typ, want := range map[string]bool{"remote.created": true, "virtual.changed": true, "circuit.open": true, "hit": false, "fetch.finished": false} {
		if got := l.Apply(Event{Type: typ, Remote: "r"}, time.Now()); got != want {
			t.Errorf("%s: config changed %v, want %v", typ, got, want)
		}
	}
}

func TestHumanize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.00 KiB", 1536: "1.50 KiB", 10 << 20: "10.0 MiB", 300 << 30: "300 GiB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
	c := Counters{Hits: 8, Stale: 1, Misses: 1, BytesServed: 1000, BytesFetched: 250}
	if got := HitRatio(c); got != "90.0%" {
		t.Errorf("hit ratio %q", got)
	}
	if n, pct := Saved(c); n != 750 || pct != "75.0%" {
		t.Errorf("saved %d %s", n, pct)
	}
	if HitRatio(Counters{}) != "–" {
		t.Error("hit ratio of nothing")
	}
	if n, _ := Saved(Counters{BytesServed: 10, BytesFetched: 20}); n != 0 {
		t.Errorf("fetched more than served saves nothing, got %d", n)
	}
	for d, want := range map[time.Duration]string{0: "", 15 * time.Millisecond: "15 ms", 1500 * time.Millisecond: "1.5 s", 90 * time.Second: "1m30s"} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestFitNeverGrowsTheFrame(t *testing.T) {
	out := fit([]string{"one\ntwo", strings.Repeat("x", 50), "three", "four"}, 10, 3)
	lines := strings.Split(out, "\n")
	if len(lines) != 3 || lines[0] != "one" || lines[1] != "two" || len(lines[2]) > 12 || !strings.HasSuffix(lines[2], "…") {
		t.Fatalf("fit: %q", lines)
	}
	if got := strings.Count(fit(nil, 10, 4), "\n"); got != 3 {
		t.Fatalf("an empty body is %d lines, want 4", got+1)
	}
}

func TestTableCutsCellsAndFlexes(t *testing.T) {
	cols := []column{{title: "NAME", width: 4}, {title: "URL", width: 5, flex: true}, {title: "N", width: 3, right: true}}
	head, lines := table(cols, [][]string{{"longname", "http://x", "7"}}, 20)
	if head != "NAME URL           N" || lines[0] != "lon… http://x      7" {
		t.Fatalf("head %q line %q", head, lines[0])
	}
}
