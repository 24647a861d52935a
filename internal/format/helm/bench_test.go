package helm

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/artifactapi/artifactapi/internal/format"
)

// bigIndex is an index.yaml of about size bytes, charts in name order.
func bigIndex(size int) []byte {
	var b bytes.Buffer
	b.WriteString("apiVersion: v1\nentries:\n")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "  chart%07d:\n", i)
		for v := range 5 {
			fmt.Fprintf(&b, "  - apiVersion: v2\n    appVersion: 1.%d.0\n    created: \"2024-01-01T00:00:00Z\"\n    description: A chart used to measure the merge of a large index, version %d\n    digest: %064x\n    name: chart%07d\n    urls:\n    - https://charts.example.com/repo/charts/chart%07d-1.%d.0.tgz\n    version: 1.%d.0\n", v, v, i*5+v, i, i, v, v)
		}
	}
	b.WriteString("generated: \"2024-01-01T00:00:00Z\"\n")
	return b.Bytes()
}

// peakHeap runs f and returns the largest heap in use seen meanwhile,
// above what was in use before.
func peakHeap(f func()) uint64 {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		var m runtime.MemStats
		for {
			select {
			case <-done:
				return
			default:
			}
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			time.Sleep(time.Millisecond)
		}
	}()
	f()
	close(done)
	if peak.Load() < before.HeapInuse {
		return 0
	}
	return peak.Load() - before.HeapInuse
}

// BenchmarkLargeIndex rewrites and merges a 50 MB index and reports the
// peak heap each needed beyond the index bytes themselves.
func BenchmarkLargeIndex(b *testing.B) {
	idx := bigIndex(50 << 20)
	b.SetBytes(int64(len(idx)))
	for b.Loop() {
		var stored bytes.Buffer
		stored.Grow(len(idx) + len(idx)/4)
		rw := peakHeap(func() {
			if err := (Type{}).Rewrite("index.yaml", base, bytes.NewReader(idx), &stored); err != nil {
				b.Fatal(err)
			}
		}) - uint64(stored.Cap())
		doc := stored.Bytes()
		in := func(name string) format.MergeInput {
			return format.MergeInput{Name: name, Root: "remote/" + name + "/", Open: func() (io.ReadCloser, error) {
				return io.NopCloser(bytes.NewReader(doc)), nil
			}}
		}
		mg := peakHeap(func() {
			if _, err := (Type{}).Merge(io.Discard, "index.yaml", []format.MergeInput{in("a"), in("b")}); err != nil {
				b.Fatal(err)
			}
		})
		b.ReportMetric(float64(rw)/(1<<20), "rewrite-peak-MB")
		b.ReportMetric(float64(mg)/(1<<20), "merge-peak-MB")
	}
}
