package main

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxIdleConns: 512, DisableCompression: true}}

func get(url string) int64 { return fetch(url, "") }

// getGzip is get by a client that accepts gzip, as npm, pip and helm are;
// it counts the bytes that came over the wire.
func getGzip(url string) int64 { return fetch(url, "gzip") }

func fetch(url, encoding string) int64 {
	req, err := http.NewRequest("GET", url, nil)
	check(err)
	if encoding != "" {
		req.Header.Set("Accept-Encoding", encoding)
	}
	resp, err := client.Do(req)
	check(err)
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	check(err)
	if resp.StatusCode != 200 {
		panic(fmt.Sprintf("%s: %d", url, resp.StatusCode))
	}
	return n
}

// result is one load run.
type result struct {
	reqs, mbps float64
	p50, p99   time.Duration
	wall       time.Duration
}

// load runs conns workers against path(i) for d (or, with d == 0, once
// over n paths) and returns requests/s, MB/s and latency percentiles.
func load(path func(int) string, n, conns int, d time.Duration) result {
	return loadWith(get, path, n, conns, d)
}

// loadWith is load with each request made by get.
func loadWith(get func(string) int64, path func(int) string, n, conns int, d time.Duration) result {
	var reqs, bytes atomic.Int64
	lat := make([][]time.Duration, conns)
	stop := time.Now().Add(d)
	var next atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for w := range conns {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if d > 0 && !time.Now().Before(stop) || d == 0 && i >= n {
					return
				}
				t := time.Now()
				bytes.Add(get(path(i % max(n, 1))))
				lat[w] = append(lat[w], time.Since(t))
				reqs.Add(1)
			}
		})
	}
	wg.Wait()
	s := time.Since(start).Seconds()
	all := slices.Concat(lat...)
	slices.Sort(all)
	pct := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[min(len(all)-1, int(float64(len(all))*p))].Round(10 * time.Microsecond)
	}
	return result{reqs: float64(reqs.Load()) / s, mbps: float64(bytes.Load()) / s / (1 << 20), p50: pct(0.5), p99: pct(0.99)}
}

// wall runs f and returns how long it took.
func wall(f func()) time.Duration {
	t := time.Now()
	f()
	return time.Since(t)
}

// medianResult is the median of each figure of rs, taken apart.
func medianResult(rs []result) result {
	f := func(get func(result) float64) float64 {
		vs := make([]float64, len(rs))
		for i, r := range rs {
			vs[i] = get(r)
		}
		slices.Sort(vs)
		return vs[len(vs)/2]
	}
	d := func(get func(result) time.Duration) time.Duration {
		vs := make([]time.Duration, len(rs))
		for i, r := range rs {
			vs[i] = get(r)
		}
		return median(vs)
	}
	return result{
		reqs: f(func(r result) float64 { return r.reqs }), mbps: f(func(r result) float64 { return r.mbps }),
		p50: d(func(r result) time.Duration { return r.p50 }), p99: d(func(r result) time.Duration { return r.p99 }),
		wall: d(func(r result) time.Duration { return r.wall }),
	}
}

func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2].Round(10 * time.Microsecond)
}
