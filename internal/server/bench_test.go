package server

import (
	"fmt"
	"io"
	"net/http"
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
