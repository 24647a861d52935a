package sqlite

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/artifactapi/artifactapi/internal/meta"
)

// BenchmarkFillCommits commits a small fill (its 1 KB blob and its row)
// from 64 goroutines at once into a table that already holds 50,000, as
// a cold CI fleet's misses do: the metadata store's share of a fill.
func BenchmarkFillCommits(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "m.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
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
