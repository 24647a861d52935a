package server

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

// waitUntil polls a condition the test controls (no sleeping to "let
// requests arrive"): it fails the test after 10 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	// A barrier, not a timing check: generous, for a loaded machine.
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// held blocks an upstream handler until release closes, or lets it go
// when its request is cancelled (a failed test's cleanup cancels the
// fill), so that a failure ends the test instead of hanging it.
func held(r *http.Request, release <-chan struct{}) bool {
	select {
	case <-release:
		return true
	case <-r.Context().Done():
		return false
	}
}

func TestHerdOneUpstreamRequest(t *testing.T) {
	const clients = 24
	data := randomBytes(5 << 20)
	release := make(chan struct{})
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.Write(data[:4096])
		w.(http.Flusher).Flush()
		if !held(r, release) { // hold the fill open until every client has joined it
			return
		}
		w.Write(data[4096:])
	})
	h := newHarness(t, nil)
	h.remote("r", up.URL, nil)
	var wg sync.WaitGroup
	bodies := make([][]byte, clients)
	caches := make([]string, clients)
	for i := range clients {
		wg.Go(func() {
			resp, err := http.Get(h.srv.URL + "/api/v1/remote/r/big.bin")
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			caches[i] = resp.Header.Get("X-Cache")
			bodies[i], err = io.ReadAll(resp.Body)
			if err != nil {
				t.Error(err)
			}
		})
	}
	waitUntil(t, "all clients to join the fill", func() bool { return h.app.Engine.Waiters("r", "big.bin") == clients })
	close(release)
	wg.Wait()
	if n := up.hits.Load(); n != 1 {
		t.Fatalf("upstream requests = %d, want exactly 1", n)
	}
	for i, b := range bodies {
		if !bytes.Equal(b, data) || caches[i] != "MISS" {
			t.Fatalf("client %d: %d bytes, X-Cache %s", i, len(b), caches[i])
		}
	}
	if b, _ := h.blobFiles(); b != 1 {
		t.Fatalf("%d blobs stored, want 1", b)
	}
}

// TestClientDisconnectDoesNotCancelFill: the client that started the fill
// goes away; the fill completes and later clients are served from cache.
func TestClientDisconnectDoesNotCancelFill(t *testing.T) {
	data := randomBytes(2 << 20)
	release := make(chan struct{})
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.Write(data[:1000])
		w.(http.Flusher).Flush()
		if !held(r, release) {
			return
		}
		w.Write(data[1000:])
	})
	h := newHarness(t, nil)
	h.remote("r", up.URL, nil)
	resp, err := http.Get(h.srv.URL + "/api/v1/remote/r/f.bin")
	if err != nil {
		t.Fatal(err)
	}
	io.ReadFull(resp.Body, make([]byte, 500))
	resp.Body.Close() // the client gives up mid-stream
	waitUntil(t, "the client to detach", func() bool { return h.app.Engine.Waiters("r", "f.bin") == 0 })
	close(release)
	waitUntil(t, "the fill to commit", func() bool { return len(h.objects("r")) == 1 })
	resp2, body, err := h.get("/api/v1/remote/r/f.bin")
	if err != nil || !bytes.Equal(body, data) || resp2.Header.Get("X-Cache") != "HIT" {
		t.Fatalf("after reconnect: %v %d bytes %s", err, len(body), resp2.Header.Get("X-Cache"))
	}
	if up.hits.Load() != 1 {
		t.Fatalf("upstream hits = %d", up.hits.Load())
	}
}

// TestHitRangeHeadEtag covers both ways a hit is served: a file (sent by
// sendfile) and a small object from memory.
func TestHitRangeHeadEtag(t *testing.T) {
	for _, size := range []int{100_000, 2048} {
		t.Run(fmt.Sprint(size), func(t *testing.T) { hitRangeHeadEtag(t, size) })
	}
}

func hitRangeHeadEtag(t *testing.T, size int) {
	data := randomBytes(size)
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-tar")
		w.Header().Set("Last-Modified", "Tue, 01 Oct 2024 10:00:00 GMT")
		w.Write(data)
	})
	h := newHarness(t, nil)
	h.remote("r", up.URL, nil)
	// A Range request on a miss fills whole, then serves the range.
	resp, body, _ := h.get("/api/v1/remote/r/a.tar", "Range", "bytes=10-19")
	if resp.StatusCode != 206 || !bytes.Equal(body, data[10:20]) || resp.Header.Get("X-Cache") != "MISS" {
		t.Fatalf("range miss: %d %q %s", resp.StatusCode, body, resp.Header.Get("X-Cache"))
	}
	resp, body, _ = h.get("/api/v1/remote/r/a.tar")
	if resp.Header.Get("X-Cache") != "HIT" || resp.Header.Get("X-Artifact-Source") != "cache" || !bytes.Equal(body, data) ||
		resp.Header.Get("Content-Type") != "application/x-tar" || resp.ContentLength != int64(size) ||
		resp.Header.Get("Last-Modified") != "Tue, 01 Oct 2024 10:00:00 GMT" || resp.Header.Get("Accept-Ranges") != "bytes" {
		t.Fatalf("hit: %d bytes, %v", resp.ContentLength, resp.Header)
	}
	etag := resp.Header.Get("ETag")
	resp, _, _ = h.get("/api/v1/remote/r/a.tar", "If-None-Match", etag)
	if resp.StatusCode != 304 {
		t.Fatalf("If-None-Match: %d", resp.StatusCode)
	}
	resp, _, _ = h.get("/api/v1/remote/r/a.tar", "If-Modified-Since", "Wed, 02 Oct 2024 10:00:00 GMT")
	if resp.StatusCode != 304 {
		t.Fatalf("If-Modified-Since: %d", resp.StatusCode)
	}
	resp, body, _ = h.get("/api/v1/remote/r/a.tar", "Range", fmt.Sprintf("bytes=%d-", size-10))
	if resp.StatusCode != 206 || !bytes.Equal(body, data[size-10:]) {
		t.Fatalf("range hit: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("HEAD", h.srv.URL+"/api/v1/remote/r/a.tar", nil)
	hr, err := http.DefaultClient.Do(req)
	if err != nil || hr.ContentLength != int64(len(data)) || hr.Header.Get("Accept-Ranges") != "bytes" {
		t.Fatalf("head: %v %v", hr, err)
	}
	if up.hits.Load() != 1 {
		t.Fatalf("upstream hits = %d", up.hits.Load())
	}
}

func TestIdenticalBytesStoredOnce(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("same bytes everywhere")) })
	h := newHarness(t, nil)
	h.remote("a", up.URL, nil)
	h.remote("b", up.URL, nil)
	h.get("/api/v1/remote/a/x")
	h.get("/api/v1/remote/a/y")
	h.get("/api/v1/remote/b/z")
	// Clients have an artifact's last byte while it is still being
	// stored: its row is written last.
	for deadline := time.Now().Add(10 * time.Second); len(h.objects("a")) != 2 || len(h.objects("b")) != 1; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the three objects were never all stored")
		}
	}
	if b, _ := h.blobFiles(); b != 1 {
		t.Fatalf("%d blobs for identical content, want 1", b)
	}
	// Evicting one remote keeps the blob the other still uses.
	var out map[string]int
	h.api("DELETE", "/api/v2/remotes/a/objects", nil, &out)
	if out["evicted"] != 2 {
		t.Fatalf("evicted %v", out)
	}
	if b, _ := h.blobFiles(); b != 1 {
		t.Fatal("shared blob deleted while remote b uses it")
	}
	h.api("DELETE", "/api/v2/remotes/b/objects?path=z", nil, &out)
	if b, _ := h.blobFiles(); b != 0 || out["evicted"] != 1 {
		t.Fatalf("blob not deleted after last reference: %d blobs, %v", b, out)
	}
}

// A hit's Last-Modified is the upstream's date in the preferred form,
// whatever form the upstream sent it in, and when the fill was made if
// the upstream sent no date.
func TestHitLastModifiedNormalized(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/rfc850":
			w.Header().Set("Last-Modified", "Tuesday, 01-Oct-24 10:00:00 GMT")
		case "/asctime":
			w.Header().Set("Last-Modified", "Tue Oct  1 10:00:00 2024")
		case "/garbage":
			w.Header().Set("Last-Modified", "yesterday-ish")
		}
		w.Write([]byte("body"))
	})
	h := newHarness(t, nil)
	h.remote("r", up.URL, nil)
	for path, want := range map[string]string{"rfc850": "Tue, 01 Oct 2024 10:00:00 GMT", "asctime": "Tue, 01 Oct 2024 10:00:00 GMT", "garbage": ""} {
		h.get("/api/v1/remote/r/" + path)
		resp, _, _ := h.get("/api/v1/remote/r/" + path)
		got := resp.Header.Get("Last-Modified")
		if resp.Header.Get("X-Cache") != "HIT" {
			t.Fatalf("%s: not a hit", path)
		}
		if want == "" {
			if when, err := http.ParseTime(got); err != nil || time.Since(when) > time.Minute {
				t.Fatalf("%s: Last-Modified %q, want when it was fetched", path, got)
			}
		} else if got != want {
			t.Fatalf("%s: Last-Modified %q, want %q", path, got, want)
		}
	}
}
