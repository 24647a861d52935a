package tui

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Fill is a download from an upstream in flight.
type Fill struct {
	Remote, Path string
	Bytes, Size  int64 // Size 0: not known
	Seen         time.Time
}

// Done is a finished request the events view lists.
type Done struct {
	Time         time.Time
	Status       string // MISS, HIT, FAIL, EVICT, ...
	Remote, Path string
	Size         int64
	Duration     time.Duration
	Count        int
	Error        string
}

// Live is what the event stream tells, reduced for display.
type Live struct {
	fills  map[[2]string]*Fill
	recent []Done // newest first
	keep   int
}

// forgetFill drops a fill that stopped reporting (its replica died, or the
// stream missed its end).
const forgetFill = time.Minute

// NewLive keeps the last keep finished requests.
func NewLive(keep int) *Live {
	return &Live{fills: map[[2]string]*Fill{}, keep: keep}
}

// Apply folds one event in; it reports whether the server's configuration
// changed (so the lists should be read again).
func (l *Live) Apply(e Event, now time.Time) (configChanged bool) {
	k := [2]string{e.Remote, e.Path}
	switch e.Type {
	case "fetch.started", "fetch.progress":
		f := l.fills[k]
		if f == nil {
			f = &Fill{Remote: e.Remote, Path: e.Path}
			l.fills[k] = f
		}
		f.Bytes = max(f.Bytes, e.Bytes)
		if e.Size > 0 {
			f.Size = e.Size
		}
		f.Seen = now
	case "fetch.finished":
		delete(l.fills, k)
		l.add(Done{Time: e.Time, Status: "MISS", Remote: e.Remote, Path: e.Path, Size: e.Size, Duration: ms(e.DurationMS)})
	case "fetch.failed":
		delete(l.fills, k)
		l.add(Done{Time: e.Time, Status: "FAIL", Remote: e.Remote, Path: e.Path, Duration: ms(e.DurationMS), Error: e.Error})
	case "hit":
		path := e.Path
		if path == "" {
			path = "(many paths: summed per remote)" // a busy second, see the README's events
		}
		l.add(Done{Time: e.Time, Status: "HIT", Remote: e.Remote, Path: path, Size: e.Size, Count: e.Count})
	case "evict":
		l.add(Done{Time: e.Time, Status: "EVICT", Remote: e.Remote, Path: e.Path, Count: e.Count})
	case "circuit.open", "circuit.closed":
		l.add(Done{Time: e.Time, Status: map[string]string{"circuit.open": "OPEN", "circuit.closed": "CLOSED"}[e.Type], Remote: e.Remote})
		return true
	case "remote.created", "remote.updated", "remote.deleted", "virtual.changed":
		return true
	}
	for k, f := range l.fills {
		if now.Sub(f.Seen) > forgetFill {
			delete(l.fills, k)
		}
	}
	return false
}

func ms(n int64) time.Duration { return time.Duration(n) * time.Millisecond }

func (l *Live) add(d Done) {
	l.recent = slices.Insert(l.recent, 0, d)
	if len(l.recent) > l.keep {
		l.recent = l.recent[:l.keep]
	}
}

// Fills are the downloads in flight, by remote and path for a steady order
// on screen.
func (l *Live) Fills() []Fill {
	out := make([]Fill, 0, len(l.fills))
	for _, f := range l.fills {
		out = append(out, *f)
	}
	slices.SortFunc(out, func(a, b Fill) int {
		return cmp.Or(strings.Compare(a.Remote, b.Remote), strings.Compare(a.Path, b.Path))
	})
	return out
}

// Recent are the last finished requests, newest first.
func (l *Live) Recent() []Done { return l.recent }
