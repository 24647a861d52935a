package fetch

import (
	"time"

	"github.com/artifactapi/artifactapi/internal/events"
)

// progressEvery spaces a fill's progress events: often enough for a bar to
// move smoothly, rare enough that a fast fill sends none at all.
const progressEvery = 250 * time.Millisecond

// progressReporter returns the function the copy loop calls with the bytes
// received so far; it publishes at most one event per progressEvery.
func progressReporter(pub Publisher, f *fill) func(got int64) {
	next := time.Now().Add(progressEvery)
	size := max(f.size, 0)
	return func(got int64) {
		now := time.Now()
		if now.Before(next) {
			return
		}
		next = now.Add(progressEvery)
		pub.Publish(events.Event{Type: events.FetchProgress, Remote: f.rem.Name, Path: f.path, Size: size, Bytes: got,
			DurationMS: now.Sub(f.started).Milliseconds()})
	}
}
