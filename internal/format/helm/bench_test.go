package helm

import (
	"bufio"
	"fmt"
	"io"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/artifactapi/artifactapi/internal/format"
)

// bigIndex streams an index.yaml of about size bytes, charts in name
// order, without holding it: what is measured is the reader's memory.
func bigIndex(size int) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		b := bufio.NewWriter(pw)
		n := 0
		b.WriteString("apiVersion: v1\nentries:\n")
		for i := 0; n < size; i++ {
			m, _ := fmt.Fprintf(b, "  chart%07d:\n", i)
			n += m
			for v := range 5 {
				m, _ := fmt.Fprintf(b, "  - apiVersion: v2\n    appVersion: 1.%d.0\n    created: \"2024-01-01T00:00:00Z\"\n    description: A chart used to measure the merge of a large index, version %d\n    digest: %064x\n    name: chart%07d\n    urls:\n    - https://charts.example.com/repo/charts/chart%07d-1.%d.0.tgz\n    version: 1.%d.0\n", v, v, i*5+v, i, i, v, v)
				n += m
			}
		}
		b.WriteString("generated: \"2024-01-01T00:00:00Z\"\n")
		b.Flush()
		pw.Close()
	}()
	return pr
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

// BenchmarkLargeIndex rewrites a 50 MB index and merges two, each streamed
// in and out, and reports the peak heap each needed (measured on 2026-11-26:
// rewrite 3.8 MB, merge 4.4 MB). The sampler stops the world every
// millisecond, so its ns/op says nothing about speed.
func BenchmarkLargeIndex(b *testing.B) {
	const size = 50 << 20
	b.SetBytes(size)
	for b.Loop() {
		rw := peakHeap(func() {
			if err := (Type{}).Rewrite("index.yaml", base, bigIndex(size), io.Discard); err != nil {
				b.Fatal(err)
			}
		})
		in := func(name string) format.MergeInput {
			return format.MergeInput{Name: name, Root: "remote/" + name + "/", Open: func() (io.ReadCloser, error) {
				return io.NopCloser(bigIndex(size)), nil
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
