package server

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A HEAD on an uncached artifact asks the upstream with a HEAD: nothing
// is downloaded or stored.
func TestHeadOnMissDownloadsNothing(t *testing.T) {
	var gets, heads atomic.Int64
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		map[string]*atomic.Int64{"GET": &gets, "HEAD": &heads}[r.Method].Add(1)
		w.Header().Set("Content-Length", "5000000")
		w.Header().Set("Content-Type", "application/x-tar")
		if r.Method == "GET" {
			w.Write(make([]byte, 5000000))
		}
	})
	h := newHarness(t, nil)
	h.remote("r", up.URL, nil)
	req, _ := http.NewRequest("HEAD", h.srv.URL+"/api/v1/remote/r/big.tar", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 || resp.ContentLength != 5000000 || resp.Header.Get("Content-Type") != "application/x-tar" {
		t.Fatalf("HEAD on a miss: %v %v", resp, err)
	}
	if gets.Load() != 0 || heads.Load() != 1 {
		t.Fatalf("upstream saw %d GETs and %d HEADs, want 0 and 1", gets.Load(), heads.Load())
	}
	h.assertNothingStored("r")
	// A GET fills as usual; a HEAD then is a hit.
	if resp, body, _ := h.get("/api/v1/remote/r/big.tar"); resp.StatusCode != 200 || len(body) != 5000000 {
		t.Fatalf("GET: %d", resp.StatusCode)
	}
	resp, _ = http.DefaultClient.Do(req)
	if resp.Header.Get("X-Cache") != "HIT" || heads.Load() != 1 {
		t.Fatalf("HEAD after the fill: %s, %d upstream HEADs", resp.Header.Get("X-Cache"), heads.Load())
	}
}

// Beyond MAX_FILLS fills in flight a new miss is 503 with Retry-After;
// clients of a fill in flight still join it.
func TestFillCapAnswersBusy(t *testing.T) {
	release := make(chan struct{})
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			w.Header().Set("Content-Length", "10")
			w.Write([]byte("12345"))
			w.(http.Flusher).Flush()
			if !held(r, release) {
				return
			}
			w.Write([]byte("67890"))
			return
		}
		w.Write([]byte("other"))
	})
	h := newHarness(t, map[string]string{"MAX_FILLS": "1"})
	h.remote("r", up.URL, nil)
	first := make(chan []byte)
	go func() {
		_, body, _ := h.get("/api/v1/remote/r/slow")
		first <- body
	}()
	waitUntil(t, "the first fill", func() bool { return h.app.Engine.Waiters("r", "slow") == 1 })
	resp, body, _ := h.get("/api/v1/remote/r/other")
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("a miss beyond MAX_FILLS: %d %s (Retry-After %q)", resp.StatusCode, body, resp.Header.Get("Retry-After"))
	}
	joined := make(chan []byte)
	go func() {
		_, body, _ := h.get("/api/v1/remote/r/slow")
		joined <- body
	}()
	waitUntil(t, "a second client to join the fill in flight", func() bool { return h.app.Engine.Waiters("r", "slow") == 2 })
	close(release)
	if b := <-first; string(b) != "1234567890" {
		t.Fatalf("first client: %q", b)
	}
	if b := <-joined; string(b) != "1234567890" {
		t.Fatalf("joined client: %q", b)
	}
	if resp, body, _ := h.get("/api/v1/remote/r/other"); resp.StatusCode != 200 || string(body) != "other" {
		t.Fatalf("after the fill: %d %s", resp.StatusCode, body)
	}
}

// A large fill every client left is cancelled: the upstream connection
// closes, nothing is stored, no spool is left; a later client starts anew.
func TestAbandonedLargeFillStops(t *testing.T) {
	const size = 64 << 20
	upstreamGone := make(chan struct{}, 4)
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(size))
		chunk := make([]byte, 64<<10)
		for sent := 0; sent < size; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				upstreamGone <- struct{}{}
				return
			}
			w.(http.Flusher).Flush()
			time.Sleep(5 * time.Millisecond) // a slow upstream: ~13 MB/s
		}
	})
	h := newHarness(t, map[string]string{"FILL_ABANDON_AFTER": "100ms"})
	h.remote("r", up.URL, nil)
	resp, err := http.Get(h.srv.URL + "/api/v1/remote/r/huge.iso")
	if err != nil {
		t.Fatal(err)
	}
	io.ReadFull(resp.Body, make([]byte, 100<<10))
	resp.Body.Close()
	select {
	case <-upstreamGone:
	case <-time.After(30 * time.Second):
		t.Fatal("the abandoned fill kept its upstream connection")
	}
	waitUntil(t, "the fill to end", func() bool {
		_, temps := h.blobFiles()
		return h.app.Engine.Waiters("r", "huge.iso") == 0 && temps == 0
	})
	h.assertNothingStored("r")
	if up.hits.Load() != 1 {
		t.Fatalf("upstream requests = %d", up.hits.Load())
	}
}

// An upstream that gzips though asked for identity: the object is the
// decoded bytes, served without the encoding; an encoding that cannot be
// undone is refused and stores nothing.
func TestUpstreamContentEncoding(t *testing.T) {
	plain := bytes.Repeat([]byte("uncompressed artifact "), 500)
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(plain)
		zw.Close()
		w.Header().Set("Content-Encoding", map[string]string{"/gz": "gzip", "/br": "br", "/a.tgz": "gzip"}[r.URL.Path])
		w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
		w.Write(buf.Bytes())
	})
	h := newHarness(t, nil)
	h.remote("r", up.URL, nil)
	raw := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	for _, pass := range []string{"MISS", "HIT"} {
		resp, err := raw.Get(h.srv.URL + "/api/v1/remote/r/gz")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Equal(body, plain) || resp.Header.Get("Content-Encoding") != "" || resp.Header.Get("X-Cache") != pass {
			t.Fatalf("%s: %d, %d bytes, encoding %q", pass, resp.StatusCode, len(body), resp.Header.Get("Content-Encoding"))
		}
	}
	if resp, body, _ := h.get("/api/v1/remote/r/br"); resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(body), "Content-Encoding") {
		t.Fatalf("br: %d %s", resp.StatusCode, body)
	}
	if objs := h.objects("r"); len(objs) != 1 || objs[0]["size"].(float64) != float64(len(plain)) {
		t.Fatalf("stored: %v", objs)
	}
	// A .tgz "gzip-encoded" is a mislabelled .tgz: its bytes are the file.
	resp, err := raw.Get(h.srv.URL + "/api/v1/remote/r/a.tgz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if zr, err := gzip.NewReader(bytes.NewReader(body)); err != nil || resp.Header.Get("Content-Encoding") != "" {
		t.Fatalf("a .tgz labelled gzip was decoded or relabelled: %v %q", err, resp.Header.Get("Content-Encoding"))
	} else if inner, _ := io.ReadAll(zr); !bytes.Equal(inner, plain) {
		t.Fatal("the .tgz bytes changed")
	}
}

// A client that stops reading a fill in progress is let go after
// CLIENT_IDLE_TIMEOUT, while the fill goes on; it is then stored whole.
func TestStuckReaderIsLetGo(t *testing.T) {
	const size = 32 << 20
	data := randomBytes(size)
	release := make(chan struct{})
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(size))
		w.Write(data[:size/2]) // more than any socket buffers hold
		w.(http.Flusher).Flush()
		if held(r, release) {
			w.Write(data[size/2:])
		}
	})
	h := newHarness(t, map[string]string{"CLIENT_IDLE_TIMEOUT": "300ms", "FILL_ABANDON_AFTER": "1m"})
	h.remote("r", up.URL, nil)
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetReadBuffer(4096)
	fmt.Fprintf(conn, "GET /api/v1/remote/r/big.bin HTTP/1.1\r\nHost: x\r\n\r\n") // and never read
	waitUntil(t, "the reader to join the fill", func() bool { return h.app.Engine.Waiters("r", "big.bin") == 1 })
	// The fill is held open upstream: only the timeout can detach the reader.
	waitUntil(t, "the stuck reader to be let go", func() bool { return h.app.Engine.Waiters("r", "big.bin") == 0 })
	close(release)
	waitUntil(t, "the fill to be stored", func() bool { return len(h.objects("r")) == 1 })
	if resp, body, _ := h.get("/api/v1/remote/r/big.bin"); resp.Header.Get("X-Cache") != "HIT" || !bytes.Equal(body, data) {
		t.Fatal("the fill the stuck reader left was not stored whole")
	}
}
