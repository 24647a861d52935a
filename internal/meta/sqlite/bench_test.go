package sqlite

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/artifactapi/artifactapi/internal/meta"
)

// BenchmarkFillCommits commits a small fill (its 1 KB blob and its row)
// from 64 goroutines at once into a table that already holds 50,000, as
// a cold CI fleet's misses do: the metadata store's share of a fill.
func BenchmarkFillCommits(b *testing.B) {
	s, fill := filledStore(b)
	defer s.Close()
	b.SetParallelism(32) // 64 goroutines on 2 cores
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := fill(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// filledStore returns a store holding 50,000 small fills and the function
// that commits the next one.
func filledStore(b *testing.B) (*Store, func() error) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "m.db"))
	if err != nil {
		b.Fatal(err)
	}
	data := make([]byte, 1024)
	var n atomic.Int64
	fill := func() error {
		i := n.Add(1)
		sum := sha256.Sum256(fmt.Appendf(nil, "%d", i))
		now := time.Now()
		o := meta.Object{Remote: "r", Path: fmt.Sprintf("m/%d", i), SHA256: hex.EncodeToString(sum[:]), Size: 1024,
			ContentType: "application/octet-stream", FetchedAt: now, LastAccess: now}
		return s.PutObjectBlob(ctx, o, data)
	}
	for range 50000 / 64 {
		done := make(chan error, 64)
		for range 64 {
			go func() { done <- fill() }()
		}
		for range 64 {
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		}
	}
	return s, fill
}

// BenchmarkFillDuringUsageWrite writes the usage of 50,000 objects (the
// recorder's periodic flush after hits over a large working set) while
// fills commit one every 2 ms, and reports the slowest fill: how long a
// miss waits behind the flush.
func BenchmarkFillDuringUsageWrite(b *testing.B) {
	s, fill := filledStore(b)
	defer s.Close()
	now := time.Now()
	usage := make([]meta.Usage, 50000)
	for i := range usage {
		usage[i] = meta.Usage{Remote: "r", Path: fmt.Sprintf("m/%d", i+1), Hits: 1, LastAccess: now}
	}
	slices.SortFunc(usage, func(x, y meta.Usage) int { return strings.Compare(x.Path, y.Path) })
	var worst time.Duration
	b.ResetTimer()
	for b.Loop() {
		stop, done := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			for {
				select {
				case <-stop:
					return
				case <-time.After(2 * time.Millisecond):
				}
				start := time.Now()
				if err := fill(); err != nil {
					b.Error(err)
				}
				worst = max(worst, time.Since(start))
			}
		}()
		if err := s.Record(context.Background(), meta.Batch{Usage: usage}); err != nil {
			b.Fatal(err)
		}
		close(stop)
		<-done
	}
	b.ReportMetric(float64(worst.Microseconds())/1000, "ms-slowest-fill")
}

// BenchmarkFillCommitsSerial is BenchmarkFillCommits one fill at a time,
// as a client that asks for one file after another (go mod download,
// pip) makes them: no other fill shares a transaction.
func BenchmarkFillCommitsSerial(b *testing.B) {
	s, fill := filledStore(b)
	defer s.Close()
	b.ReportAllocs()
	for b.Loop() {
		if err := fill(); err != nil {
			b.Fatal(err)
		}
	}
}
