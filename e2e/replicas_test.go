package e2e

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/artifactapi/artifactapi/internal/testenv"
)

const token = "test-token-0123456789"

// cluster starts n replicas of the binary on one set of shared backends.
func cluster(t *testing.T, n int, extra ...string) []*proc {
	var env []string
	for k, v := range testenv.ScaleOut(t) {
		env = append(env, k+"="+v)
	}
	env = append(env, extra...)
	var ps []*proc
	for range n {
		ps = append(ps, start(t, t.TempDir(), env...))
	}
	return ps
}

func (p *proc) createRemote(name, base string) {
	p.t.Helper()
	if resp, body := p.do("POST", "/api/v2/remotes", token, map[string]any{"name": name, "package_type": "generic", "base_url": base}); resp.StatusCode != 201 {
		p.t.Fatalf("create remote: %d %s", resp.StatusCode, body)
	}
}

// waitForRemote waits until the remote serves its upstream's /probe here:
// a remote created through another replica arrives by pub/sub.
func (p *proc) waitForRemote(name string) {
	p.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if code, _, _ := fetch(p.url + "/api/v1/remote/" + name + "/probe"); code == 200 {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("remote %s never reached this replica", name)
		}
		time.Sleep(time.Millisecond)
	}
}

func fetch(url string) (int, []byte, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func TestClusterOneFetchAndConfigEverywhere(t *testing.T) {
	data := bytes.Repeat([]byte("layer-"), 1<<20)
	var hits atomic.Int64
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/probe" {
			w.Write([]byte("ok")) // how the test sees the remote in force
			return
		}
		hits.Add(1)
		time.Sleep(300 * time.Millisecond) // long enough for every client to miss
		w.Write(data)
	}))
	defer up.Close()
	rs := cluster(t, 2)

	start := time.Now()
	rs[0].createRemote("r", up.URL)
	rs[1].waitForRemote("r")
	t.Logf("remote created on replica 0 in force on replica 1 after %v", time.Since(start).Round(time.Millisecond))

	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			code, body, err := fetch(rs[i%2].url + "/api/v1/remote/r/big.bin")
			if err != nil || code != 200 || !bytes.Equal(body, data) {
				t.Errorf("client %d: %d %v (%d bytes)", i, code, err, len(body))
			}
		})
	}
	wg.Wait()
	if n := hits.Load(); n != 1 {
		t.Fatalf("upstream fetched %d times by two replicas, want 1", n)
	}
}

// A replica killed mid-fill holds the fill lock until it expires; then the
// other replica fills, and nothing the dead one half-wrote is served.
func TestClusterReplicaDiesMidFill(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<17) // 2 MiB
	var hits atomic.Int64
	firstStarted := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/probe" {
			w.Write([]byte("ok")) // how the test sees the remote in force
			return
		}
		w.Header().Set("Content-Length", "2097152")
		if hits.Add(1) == 1 {
			w.Write(data[:1<<20])
			w.(http.Flusher).Flush()
			close(firstStarted)
			<-r.Context().Done() // the replica filling dies before the rest
			return
		}
		w.Write(data)
	}))
	defer up.Close()
	rs := cluster(t, 2, "FILL_LOCK_TTL=2s")
	rs[0].createRemote("r", up.URL)
	rs[1].waitForRemote("r")

	go fetch(rs[0].url + "/api/v1/remote/r/f.bin")
	select {
	case <-firstStarted:
	case <-time.After(10 * time.Second):
		t.Fatal("the first fill never started")
	}
	rs[0].cmd.Process.Kill() // SIGKILL: no cleanup, the lock stays in Redis
	rs[0].cmd.Wait()

	began := time.Now()
	code, body, err := fetch(rs[1].url + "/api/v1/remote/r/f.bin")
	if err != nil || code != 200 || !bytes.Equal(body, data) {
		t.Fatalf("other replica after the filler died: %d %v (%d bytes)\n%s", code, err, len(body), rs[1].logs)
	}
	t.Logf("served by the surviving replica %v after the kill (lock TTL 2s)", time.Since(began).Round(time.Millisecond))
	if n := hits.Load(); n != 2 {
		t.Fatalf("upstream asked %d times, want 2 (the dead fill and the retry)", n)
	}
}
