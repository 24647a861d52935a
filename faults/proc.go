package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const adminToken = "faults-admin-token-0123456789"

// proc is one running artifactapi binary.
type proc struct {
	cmd     *exec.Cmd
	url     string
	dataDir string
	env     []string
	logs    *bytes.Buffer
}

func freeAddr() string {
	handedMu.Lock()
	defer handedMu.Unlock()
	for {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			panic(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		// A port closed again may be the next one the kernel hands out:
		// two services given one port start as one, and the second's
		// clients talk to the first (a CI run once met Redis answering
		// as PostgreSQL would, with EOF).
		if !handed[addr] {
			handed[addr] = true
			return addr
		}
	}
}

var (
	handedMu sync.Mutex
	handed   = map[string]bool{}
)

// start runs the binary on dataDir and waits for its health endpoint.
func start(bin, dataDir string, env ...string) (*proc, error) {
	addr := freeAddr()
	p := &proc{url: "http://" + addr, dataDir: dataDir, logs: &bytes.Buffer{},
		env: append([]string{"DATA_DIR=" + dataDir, "ADMIN_TOKEN=" + adminToken, "UPSTREAM_IDLE_TIMEOUT=2s", "FILL_LOCK_TTL=2s"}, env...)}
	p.cmd = exec.Command(bin)
	p.cmd.Env = append(append(os.Environ(), p.env...), "LISTEN_ADDR="+addr)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	for i := 0; i < 300; i++ {
		if resp, err := http.Get(p.url + "/api/v2/health"); err == nil {
			resp.Body.Close()
			return p, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.kill()
	return nil, fmt.Errorf("binary did not start:\n%s", p.logs.String())
}

// restart starts the binary again on the same DATA_DIR and settings.
func (p *proc) restart(bin string) (*proc, error) {
	var extra []string
	for _, kv := range p.env {
		if !strings.HasPrefix(kv, "DATA_DIR=") && !strings.HasPrefix(kv, "ADMIN_TOKEN=") {
			extra = append(extra, kv)
		}
	}
	return start(bin, p.dataDir, extra...)
}

func (p *proc) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()
}

func (p *proc) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		p.kill()
	}
}

// api calls the management API.
func (p *proc) api(method, path string, body any) (int, []byte) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, p.url+path, rd)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (p *proc) remote(body map[string]any) error {
	if code, b := p.api("POST", "/api/v2/remotes", body); code != 201 {
		return fmt.Errorf("create remote: %d %s", code, b)
	}
	return nil
}

// objects lists the paths cached for a remote.
func (p *proc) objects(remote string) []string {
	_, b := p.api("GET", "/api/v2/remotes/"+remote+"/objects", nil)
	var out struct{ Objects []struct{ Path string } }
	json.Unmarshal(b, &out)
	var ps []string
	for _, o := range out.Objects {
		ps = append(ps, o.Path)
	}
	return ps
}

// got is one fetch: status, body, whether the body arrived whole (a read
// error means the connection was aborted), and the cache header.
type got struct {
	status  int
	body    []byte
	whole   bool
	cache   string
	err     error
	elapsed time.Duration
}

var client = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{DisableCompression: true}}

func get(url string) got {
	start := time.Now()
	resp, err := client.Get(url)
	if err != nil {
		return got{err: err, elapsed: time.Since(start)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return got{status: resp.StatusCode, body: b, whole: err == nil, cache: resp.Header.Get("X-Cache"), err: err, elapsed: time.Since(start)}
}

func (g got) String() string {
	if g.status == 0 {
		return "connection error"
	}
	s := strconv.Itoa(g.status)
	if !g.whole {
		s += " aborted mid-body"
	}
	if g.cache != "" {
		s += " " + g.cache
	}
	return s
}

// rss is the resident memory of a process in KB.
func rss(pid int) int64 {
	b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// leftovers counts uncommitted files under DATA_DIR: blob temps and spools.
func leftovers(dataDir string) int {
	n := 0
	for _, d := range []string{filepath.Join(dataDir, "blobs", "tmp"), filepath.Join(dataDir, "spool")} {
		entries, _ := os.ReadDir(d)
		n += len(entries)
	}
	return n
}
