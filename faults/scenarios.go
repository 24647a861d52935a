package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"
)

// deployment is a running server (or two) with its upstream remote made.
type deployment struct {
	name string
	bin  string
	up   *upstream
	p    *proc
	env  []string
}

func (d *deployment) url(path string) string { return d.p.url + "/api/v1/remote/u" + path }

// stored reports whether the remote holds path.
func (d *deployment) stored(path string) bool {
	return slices.Contains(d.p.objects("u"), strings.TrimPrefix(path, "/"))
}

// refusedWhole checks a fault answer: never a complete 200, nothing
// stored, no temp left behind.
func (d *deployment) refusedWhole(path string) (string, error) {
	g := get(d.url(path))
	if g.status == 200 && g.whole {
		return g.String(), fmt.Errorf("a complete 200 for a broken upstream answer")
	}
	if d.stored(path) {
		return g.String(), fmt.Errorf("stored")
	}
	deadline := time.Now().Add(5 * time.Second)
	for leftovers(d.p.dataDir) > 0 {
		if time.Now().After(deadline) {
			return g.String(), fmt.Errorf("%d temp files left", leftovers(d.p.dataDir))
		}
		time.Sleep(20 * time.Millisecond)
	}
	return g.String() + ", nothing stored", nil
}

func expectStatus(g got, status int) (string, error) {
	if g.status != status {
		return g.String(), fmt.Errorf("want %d", status)
	}
	return g.String(), nil
}

// upstreamScenarios are the faults every deployment must survive.
func (d *deployment) upstreamScenarios(run func(string, func() (string, error))) {
	run("truncated body", func() (string, error) { return d.refusedWhole("/truncated") })
	run("reset mid-body", func() (string, error) { return d.refusedWhole("/reset") })
	run("wrong digest (helm chart)", func() (string, error) {
		if err := d.p.remote(map[string]any{"name": "charts", "package_type": "helm", "base_url": d.up.URL}); err != nil {
			return "", err
		}
		get(d.p.url + "/api/v1/remote/charts/index.yaml")
		g := get(d.p.url + "/api/v1/remote/charts/charts/bad-1.0.0.tgz")
		if g.status == 200 && g.whole {
			return g.String(), fmt.Errorf("a chart that fails its digest was served whole")
		}
		if slices.Contains(d.p.objects("charts"), "charts/bad-1.0.0.tgz") {
			return g.String(), fmt.Errorf("stored")
		}
		return g.String() + ", nothing stored", nil
	})
	run("upstream 500", func() (string, error) {
		out, err := d.refusedWhole("/status/500")
		if err == nil && !strings.HasPrefix(out, "502") {
			err = fmt.Errorf("want 502")
		}
		return out, err
	})
	run("upstream 429 with Retry-After", func() (string, error) { return expectStatus(get(d.url("/status/429")), 429) })
	run("upstream silent mid-body (idle timeout 2s)", func() (string, error) {
		out, err := d.refusedWhole("/silent")
		return out, err
	})
	run("slow drip (20 x 100 ms)", func() (string, error) {
		g := get(d.url("/drip"))
		if g.status != 200 || !bytes.Equal(g.body, body("/drip", 20000)) {
			return g.String(), fmt.Errorf("drip not served whole and right")
		}
		return g.String() + ", whole", nil
	})
	run("redirect to a private address", func() (string, error) {
		before := d.up.internalConns.Load()
		out, err := d.refusedWhole("/redirect-private")
		if n := d.up.internalConns.Load() - before; n != 0 {
			return out, fmt.Errorf("%d connections reached the internal host", n)
		}
		return out + ", no connection made", err
	})
	run("redirect loop", func() (string, error) { return expectStatus(get(d.url("/loop")), 502) })
	run("stale on error; breaker opens and closes", d.staleAndBreaker)
	run("10,000 random 404 paths", d.random404s)
}

func (d *deployment) staleAndBreaker() (string, error) {
	if err := d.p.remote(map[string]any{"name": "flaky", "package_type": "generic", "base_url": d.up.URL, "mutable_ttl": 0,
		"mutable_patterns": []string{"."}}); err != nil {
		return "", err
	}
	u := d.p.url + "/api/v1/remote/flaky/flaky/a"
	if g := get(u); g.status != 200 {
		return g.String(), fmt.Errorf("first fetch")
	}
	d.up.failing.Store(true)
	defer d.up.failing.Store(false)
	for i := 0; i < 5; i++ {
		if g := get(u); g.status != 200 || g.cache != "STALE" || !bytes.Equal(g.body, body("/flaky/a", 5000)) {
			return g.String(), fmt.Errorf("want the stale copy while the upstream fails")
		}
	}
	open := d.up.count("/flaky/a")
	for i := 0; i < 5; i++ {
		get(u)
	}
	if n := d.up.count("/flaky/a") - open; n != 0 {
		return "", fmt.Errorf("breaker did not open: %d more upstream requests", n)
	}
	d.up.failing.Store(false)
	deadline := time.Now().Add(45 * time.Second)
	for {
		g := get(u)
		if d.up.count("/flaky/a") > open && g.status == 200 && g.cache != "STALE" {
			break
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("breaker did not close after its cooldown: %s", g)
		}
		time.Sleep(500 * time.Millisecond)
	}
	return "STALE x5, open (0 upstream requests), closed after cooldown", nil
}

func (d *deployment) random404s() (string, error) {
	before := rss(d.p.cmd.Process.Pid)
	var wg sync.WaitGroup
	paths := make(chan string)
	for range 8 {
		wg.Go(func() {
			for p := range paths {
				get(d.url(p))
			}
		})
	}
	for i := 0; i < 10000; i++ {
		paths <- fmt.Sprintf("/missing/%d-%x", i, rand.Uint64())
	}
	close(paths)
	wg.Wait()
	after := rss(d.p.cmd.Process.Pid)
	out := fmt.Sprintf("RSS %d MB -> %d MB", before>>10, after>>10)
	if after-before > 64<<10 {
		return out, fmt.Errorf("memory grew by %d MB", (after-before)>>10)
	}
	return out, nil
}

// killMidFill kills the binary while it fills, restarts it on the same
// DATA_DIR, and fetches again: the whole artifact, no partial object.
func (d *deployment) killMidFill() (string, error) {
	path := "/big/kill-" + d.name
	drain(d.up)
	go get(d.url(path))
	if err := waitBytes(d.up, 8<<20); err != nil {
		return "", err
	}
	d.p.kill()
	np, err := d.p.restart(d.bin)
	if err != nil {
		return "", err
	}
	d.p = np
	if leftovers(np.dataDir) != 0 {
		return "", fmt.Errorf("temps left after the restart")
	}
	if d.stored(path) {
		return "", fmt.Errorf("a partial object survived")
	}
	g := get(d.url(path))
	if g.status != 200 || !bytes.Equal(g.body, bigBody(path)) {
		return g.String(), fmt.Errorf("after the restart the artifact is not whole")
	}
	return "killed at 8 MB; after restart no partial object, no temps; refetched whole", nil
}

// drain forgets progress of earlier downloads.
func drain(u *upstream) {
	for {
		select {
		case <-u.progress:
		default:
			return
		}
	}
}

// waitBytes waits until the upstream has sent at least n bytes of a /big/.
func waitBytes(u *upstream, n int64) error {
	timeout := time.After(30 * time.Second)
	for {
		select {
		case sent := <-u.progress:
			if sent >= n {
				return nil
			}
		case <-timeout:
			return fmt.Errorf("the fill never reached %d bytes", n)
		}
	}
}
