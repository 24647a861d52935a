package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// body is the deterministic content of a path of n bytes.
func body(name string, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = name[i%len(name)] ^ byte(i/len(name))
	}
	return b
}

// upstream is a misbehaving origin: each path is one kind of fault.
type upstream struct {
	*httptest.Server
	internal      string // a host on another loopback address
	internalConns atomic.Int64
	failing       atomic.Bool // /flaky/ answers 500 while set
	mu            sync.Mutex
	hits          map[string]int
	progress      chan int64 // bytes of /big/ sent so far, as they go
}

func newUpstream() (*upstream, error) {
	u := &upstream{hits: map[string]int{}, progress: make(chan int64, 1024)}
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		return nil, fmt.Errorf("listen on 127.0.0.2: %w", err)
	}
	inner := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("internal")) }),
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				u.internalConns.Add(1)
			}
		}}
	go inner.Serve(ln)
	u.internal = ln.Addr().String()
	u.Server = httptest.NewServer(http.HandlerFunc(u.serve))
	return u, nil
}

func (u *upstream) count(path string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.hits[path]
}

// abort closes the client connection at once (with a reset when asked).
func abort(w http.ResponseWriter, reset bool) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok && reset {
		tc.SetLinger(0)
	}
	conn.Close()
}

func (u *upstream) serve(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	u.hits[r.URL.Path]++
	u.mu.Unlock()
	p := r.URL.Path
	flush := func() { http.NewResponseController(w).Flush() }
	switch {
	case strings.HasPrefix(p, "/ok/"):
		w.Write(body(p, 10000))
	case p == "/truncated" || p == "/reset":
		w.Header().Set("Content-Length", "100000")
		w.Write(body(p, 50000))
		flush()
		abort(w, p == "/reset")
	case strings.HasPrefix(p, "/status/"):
		code := map[string]int{"/status/500": 500, "/status/429": 429}[p]
		if code == 429 {
			w.Header().Set("Retry-After", "7")
		}
		http.Error(w, "failing on purpose", code)
	case p == "/silent":
		w.Header().Set("Content-Length", "100000")
		w.Write(body(p, 1000))
		flush()
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
	case p == "/drip":
		for i := 0; i < 20; i++ {
			w.Write(body(p, 20000)[i*1000 : (i+1)*1000])
			flush()
			time.Sleep(100 * time.Millisecond)
		}
	case p == "/redirect-private":
		http.Redirect(w, r, "http://"+u.internal+"/secret", http.StatusFound)
	case p == "/loop":
		http.Redirect(w, r, "/loop", http.StatusFound)
	case strings.HasPrefix(p, "/flaky/"):
		if u.failing.Load() {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		w.Write(body(p, 5000))
	case strings.HasPrefix(p, "/big/"):
		// 64 MB at about 40 MB/s: long enough to be killed in the middle.
		const size, chunk = 64 << 20, 1 << 20
		w.Header().Set("Content-Length", fmt.Sprint(size))
		b := body(p, chunk)
		for sent := int64(0); sent < size; sent += chunk {
			if _, err := w.Write(b); err != nil {
				return
			}
			flush()
			select {
			case u.progress <- sent + chunk:
			default:
			}
			time.Sleep(25 * time.Millisecond)
		}
	case p == "/index.yaml":
		fmt.Fprintf(w, "apiVersion: v1\nentries:\n  bad:\n  - name: bad\n    version: 1.0.0\n    digest: %s\n    urls:\n    - charts/bad-1.0.0.tgz\n", strings.Repeat("0", 64))
	case p == "/charts/bad-1.0.0.tgz":
		w.Write(body(p, 3000))
	default:
		http.NotFound(w, r)
	}
}

// bigBody is what /big/{name} serves, for checking a whole download.
func bigBody(path string) []byte {
	b := body(path, 1<<20)
	out := make([]byte, 0, 64<<20)
	for range 64 {
		out = append(out, b...)
	}
	return out
}
