package server

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

// hijackClose sends partial content then kills the connection; with
// linger 0 the kernel sends an RST, i.e. a connection reset.
func hijackClose(t *testing.T, w http.ResponseWriter, reset bool) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Error(err)
		return
	}
	buf.Flush()
	if tc, ok := conn.(*net.TCPConn); ok && reset {
		tc.SetLinger(0)
	}
	conn.Close()
}

func TestTruncatedBodyAfterFullContentLength(t *testing.T) {
	data := randomBytes(1 << 20)
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.WriteHeader(200)
		w.Write(data[:len(data)/2])
		w.(http.Flusher).Flush()
		hijackClose(t, w, false)
	})
	h := newHarness(t, nil)
	h.remote("r", up.URL, nil)
	resp, body, err := h.get("/api/v1/remote/r/file.bin")
	// The client's stream is aborted; or, when the upstream broke off
	// before the first byte reached it, it gets a clean 502. Never a
	// complete 200.
	if err == nil && resp.StatusCode == http.StatusOK {
		t.Fatalf("client read a clean body of %d bytes (status %d); want an aborted stream or an error", len(body), resp.StatusCode)
	}
	if len(body) >= len(data) {
		t.Fatalf("client got %d bytes", len(body))
	}
	h.assertNothingStored("r")
	// The next request goes upstream again: nothing was remembered.
	h.get("/api/v1/remote/r/file.bin")
	if up.hits.Load() != 2 {
		t.Fatalf("upstream hits = %d, want 2", up.hits.Load())
	}
}

func TestConnectionResetMidBody(t *testing.T) {
	data := randomBytes(300_000)
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200) // chunked: no length to check against
		w.Write(data[:100_000])
		w.(http.Flusher).Flush()
		hijackClose(t, w, true)
	})
	h := newHarness(t, nil)
	h.remote("r", up.URL, nil)
	resp, body, err := h.get("/api/v1/remote/r/reset.bin")
	// Usually the stream has begun and is aborted; when the reset reaches
	// the proxy before the upstream's headers were read, the answer is a
	// clean 502 instead. Never a complete 200.
	if err == nil && resp.StatusCode == http.StatusOK {
		t.Fatalf("client read a complete 200 of %d bytes from an upstream that reset mid-body", len(body))
	}
	h.assertNothingStored("r")
}

func TestUpstream5xxNothingStored(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusServiceUnavailable)
	})
	h := newHarness(t, nil)
	h.remote("r", up.URL, nil)
	resp, body, _ := h.get("/api/v1/remote/r/x.bin")
	if resp.StatusCode != http.StatusBadGateway || !bytes.Contains(body, []byte(`"error"`)) {
		t.Fatalf("status %d body %s, want 502 JSON", resp.StatusCode, body)
	}
	h.assertNothingStored("r")
}

func TestStaleServedWhenUpstreamFails(t *testing.T) {
	var fail sync.Mutex
	failing := false
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		fail.Lock()
		defer fail.Unlock()
		if failing {
			http.Error(w, "down", 500)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Write([]byte("version one"))
	})
	h := newHarness(t, nil)
	// mutable_ttl 0: every request revalidates.
	h.remote("r", up.URL, map[string]any{"mutable_patterns": []string{`^latest/`}, "mutable_ttl": 0})
	if resp, body, _ := h.get("/api/v1/remote/r/latest/x"); resp.Header.Get("X-Cache") != "MISS" || string(body) != "version one" {
		t.Fatalf("first: %v %q", resp.Header.Get("X-Cache"), body)
	}
	fail.Lock()
	failing = true
	fail.Unlock()
	resp, body, err := h.get("/api/v1/remote/r/latest/x")
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("X-Cache") != "STALE" || string(body) != "version one" {
		t.Fatalf("with upstream down: %d %s %q %v", resp.StatusCode, resp.Header.Get("X-Cache"), body, err)
	}
}

func TestRevalidation304(t *testing.T) {
	var conditional int
	var mu sync.Mutex
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			mu.Lock()
			conditional++
			mu.Unlock()
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("index"))
	})
	h := newHarness(t, nil)
	h.remote("r", up.URL, map[string]any{"mutable_patterns": []string{`index$`}, "mutable_ttl": 0})
	h.get("/api/v1/remote/r/index")
	resp, body, _ := h.get("/api/v1/remote/r/index")
	if resp.Header.Get("X-Cache") != "REVALIDATED" || string(body) != "index" || resp.Header.Get("Content-Type") != "text/plain" {
		t.Fatalf("second: %s %q %s", resp.Header.Get("X-Cache"), body, resp.Header.Get("Content-Type"))
	}
	if conditional != 1 || up.hits.Load() != 2 {
		t.Fatalf("conditional=%d hits=%d", conditional, up.hits.Load())
	}
}

func TestNegativeCacheThenPublished(t *testing.T) {
	var mu sync.Mutex
	published := false
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if !published {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("now here"))
	})
	h := newHarness(t, nil)
	h.remote("r", up.URL, map[string]any{"negative_ttl": 1})
	for i := range 3 {
		resp, _, _ := h.get("/api/v1/remote/r/new.tgz")
		if want := map[bool]string{true: "MISS", false: "HIT"}[i == 0]; resp.StatusCode != 404 || resp.Header.Get("X-Cache") != want {
			t.Fatalf("request %d: %d %s, want 404 %s", i, resp.StatusCode, resp.Header.Get("X-Cache"), want)
		}
	}
	// A HEAD does not fill, and asks the negative cache itself.
	req, _ := http.NewRequest("HEAD", h.srv.URL+"/api/v1/remote/r/new.tgz", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 404 || resp.Header.Get("X-Cache") != "HIT" {
		t.Fatalf("HEAD of a remembered 404: %v %v", err, resp)
	}
	if up.hits.Load() != 1 {
		t.Fatalf("upstream hits = %d, want 1 (404 remembered)", up.hits.Load())
	}
	mu.Lock()
	published = true
	mu.Unlock()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, body, _ := h.get("/api/v1/remote/r/new.tgz")
		if resp.StatusCode == 200 {
			if string(body) != "now here" {
				t.Fatalf("body %q", body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("published artifact not visible after the negative TTL")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSlowDripStreams proves a waiting client gets bytes before the
// upstream has finished: the upstream blocks until the client has read.
func TestSlowDripStreams(t *testing.T) {
	first := []byte("first part;")
	release := make(chan struct{})
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(first)+5))
		w.Write(first)
		w.(http.Flusher).Flush()
		if !held(r, release) {
			return
		}
		w.Write([]byte("done."))
	})
	h := newHarness(t, nil)
	h.remote("r", up.URL, nil)
	resp, err := http.Get(h.srv.URL + "/api/v1/remote/r/drip")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got := make([]byte, len(first)-1) // the last byte is held until commit
	if _, err := io.ReadFull(resp.Body, got); err != nil {
		t.Fatal(err)
	}
	close(release)
	rest, err := io.ReadAll(resp.Body)
	if err != nil || string(got)+string(rest) != "first part;done." {
		t.Fatalf("body %q%q %v", got, rest, err)
	}
}

func TestStalledUpstreamTimesOut(t *testing.T) {
	stop := make(chan struct{})
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.Write([]byte("12345"))
		w.(http.Flusher).Flush()
		<-stop
	})
	t.Cleanup(func() { close(stop) }) // runs before the upstream's Close
	h := newHarness(t, map[string]string{"UPSTREAM_IDLE_TIMEOUT": "300ms"})
	h.remote("r", up.URL, nil)
	if _, body, err := h.get("/api/v1/remote/r/stall"); err == nil {
		t.Fatalf("clean body %q from a stalled upstream", body)
	}
	h.assertNothingStored("r")
}

func TestCircuitOpensAfterRepeatedFailures(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "x", http.StatusBadGateway) })
	h := newHarness(t, nil)
	h.remote("r", up.URL, map[string]any{"negative_ttl": 0})
	for i := range 5 {
		h.get(fmt.Sprintf("/api/v1/remote/r/f%d", i))
	}
	resp, body, _ := h.get("/api/v1/remote/r/another")
	if resp.StatusCode != http.StatusServiceUnavailable || up.hits.Load() != 5 {
		t.Fatalf("after 5 failures: %d %s, upstream hits %d (want 503, 5)", resp.StatusCode, body, up.hits.Load())
	}
}

func TestChangedMutableReplacesOldBlob(t *testing.T) {
	var mu sync.Mutex
	version := "one"
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("ETag", `"`+version+`"`)
		w.Write([]byte("index version " + version))
	})
	h := newHarness(t, nil)
	h.remote("r", up.URL, map[string]any{"mutable_patterns": []string{`index$`}, "mutable_ttl": 0})
	h.get("/api/v1/remote/r/index")
	mu.Lock()
	version = "two"
	mu.Unlock()
	resp, body, _ := h.get("/api/v1/remote/r/index")
	if string(body) != "index version two" || resp.Header.Get("X-Cache") != "MISS" {
		t.Fatalf("after change: %s %q", resp.Header.Get("X-Cache"), body)
	}
	// The client has its bytes once they are verified; they are stored,
	// and the old ones dropped, a moment after.
	waitUntil(t, "the old blob gone and no temps left", func() bool {
		b, tmp := h.blobFiles()
		return b == 1 && tmp == 0
	})
}
