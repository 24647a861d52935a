package events

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/artifactapi/artifactapi/internal/state/memory"
)

// BenchmarkHitManyPaths counts hits spread over 50,000 paths, as a cache
// over a large working set sees them: nearly every hit is a path not yet
// hit in its second.
func BenchmarkHitManyPaths(b *testing.B) {
	bus := NewBus(context.Background(), memory.New(), "r", slog.New(slog.NewTextHandler(io.Discard, nil)))
	paths := make([]string, 50000)
	for i := range paths {
		paths[i] = fmt.Sprint("m/", i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		bus.Publish(Event{Type: Hit, Remote: "b", Path: paths[i%len(paths)], Size: 1024})
		i++
	}
}
