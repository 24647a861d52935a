package server

import (
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
)

// BenchmarkWarmHit measures serving a cached 2 KB object over HTTP.
func BenchmarkWarmHit(b *testing.B) {
	data := randomBytes(2048)
	up := newUpstream(b, func(w http.ResponseWriter, r *http.Request) { w.Write(data) })
	h := newHarness(b, nil)
	h.remote("r", up.URL, nil)
	url := h.srv.URL + "/api/v1/remote/r/obj"
	fetchAll(b, url)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Get(url)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}

// BenchmarkColdFill measures a miss of a 1 MB object: upstream fetch,
// hash, spool, commit, stream.
func BenchmarkColdFill(b *testing.B) {
	data := randomBytes(1 << 20)
	up := newUpstream(b, func(w http.ResponseWriter, r *http.Request) { w.Write(data) })
	h := newHarness(b, nil)
	h.remote("r", up.URL, nil)
	var n atomic.Int64
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		fetchAll(b, fmt.Sprintf("%s/api/v1/remote/r/obj%d", h.srv.URL, n.Add(1)))
	}
}

func fetchAll(b *testing.B, url string) {
	resp, err := http.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Fatalf("%s: %d", url, resp.StatusCode)
	}
}

// BenchmarkColdFillSmall measures a miss of a 2 KB object end to end, as
// most of an npm install or go mod download is: the fixed cost of a fill
// (lock, spool, verify, commit, metadata row).
func BenchmarkColdFillSmall(b *testing.B) {
	data := randomBytes(2048)
	up := newUpstream(b, func(w http.ResponseWriter, r *http.Request) { w.Write(data) })
	h := newHarness(b, nil)
	h.remote("r", up.URL, nil)
	var n atomic.Int64
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		fetchAll(b, fmt.Sprintf("%s/api/v1/remote/r/s%d", h.srv.URL, n.Add(1)))
	}
}

// BenchmarkColdFillSmallParallel is BenchmarkColdFillSmall with 64
// clients missing at once, as a cold CI fleet does: what the fills share
// (the metadata store's commits, the disk's syncs) shows here.
func BenchmarkColdFillSmallParallel(b *testing.B) {
	data := randomBytes(2048)
	up := newUpstream(b, func(w http.ResponseWriter, r *http.Request) { w.Write(data) })
	h := newHarness(b, nil)
	h.remote("r", up.URL, nil)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var n atomic.Int64
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Get(fmt.Sprintf("%s/api/v1/remote/r/p%d", h.srv.URL, n.Add(1)))
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
}

// BenchmarkWarmHitLargeSet is BenchmarkWarmHit over 20,000 distinct
// objects: hits outside a small hot set.
func BenchmarkWarmHitLargeSet(b *testing.B) {
	up := newUpstream(b, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(r.URL.Path)) })
	h := newHarness(b, nil)
	h.remote("r", up.URL, nil)
	const objects = 20000
	for i := range objects {
		fetchAll(b, fmt.Sprintf("%s/api/v1/remote/r/o%d", h.srv.URL, i))
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Get(fmt.Sprintf("%s/api/v1/remote/r/o%d", h.srv.URL, n.Add(1)%objects))
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}
