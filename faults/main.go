// Command faults drives the built binary through upstream faults, crashes
// and backend outages, on the embedded default and on PostgreSQL + Redis +
// S3 (servers of its own, stopped and started for real), and prints a
// table scenario → outcome. Nothing corrupt or partial may ever be served,
// and every outage must end by itself.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"
)

type row struct {
	deployment, scenario, outcome string
	err                           error
}

func main() {
	bin := flag.String("bin", "bin/artifactapi", "the binary under test")
	only := flag.String("only", "", "embedded or scaleout (default both)")
	flag.Parse()
	root, _ := os.Getwd()
	abs, _ := filepath.Abs(*bin)
	var rows []row
	run := func(dep string) func(string, func() (string, error)) {
		return func(name string, fn func() (string, error)) {
			start := time.Now()
			out, err := fn()
			out = strings.TrimSpace(out + fmt.Sprintf(" (%.1fs)", time.Since(start).Seconds()))
			rows = append(rows, row{dep, name, out, err})
			status := "ok"
			if err != nil {
				status = "FAIL: " + err.Error()
			}
			fmt.Fprintf(os.Stderr, "faults: %s / %s: %s %s\n", dep, name, out, status)
		}
	}
	up, err := newUpstream()
	if err != nil {
		fatal(err)
	}
	defer up.Close()
	if *only != "scaleout" {
		embedded(abs, up, run("embedded"))
	}
	if *only != "embedded" {
		scaleout(abs, root, up, run("scale-out"))
	}
	report(rows)
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "faults:", err)
	os.Exit(2)
}

func report(rows []row) {
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DEPLOYMENT\tSCENARIO\tOUTCOME\tRESULT")
	passed, failed := 0, 0
	for _, r := range rows {
		res := "pass"
		if r.err != nil {
			res, failed = "FAIL: "+r.err.Error(), failed+1
		} else {
			passed++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.deployment, r.scenario, r.outcome, res)
	}
	tw.Flush()
	fmt.Printf("\nfaults: %d passed, %d failed\n", passed, failed)
	if failed > 0 {
		os.Exit(1)
	}
}

func newDeployment(name, bin, dataDir string, up *upstream, env ...string) (*deployment, error) {
	p, err := start(bin, dataDir, append([]string{"UPSTREAM_ALLOW_PRIVATE=false"}, env...)...)
	if err != nil {
		return nil, err
	}
	d := &deployment{name: name, bin: bin, up: up, p: p, env: env}
	return d, p.remote(map[string]any{"name": "u", "package_type": "generic", "base_url": up.URL})
}

// everywhere starts a deployment and runs what every deployment must
// survive; nil when it could not start (reported as a failed scenario).
func everywhere(name, bin, dataDir string, up *upstream, run func(string, func() (string, error)), env ...string) *deployment {
	d, err := newDeployment(name, bin, dataDir, up, env...)
	if err != nil {
		run("start", func() (string, error) { return "", err })
		return nil
	}
	d.upstreamScenarios(run)
	run("kill -9 mid-fill, restart", d.killMidFill)
	return d
}

func embedded(bin string, up *upstream, run func(string, func() (string, error))) {
	dir, _ := os.MkdirTemp("", "faults-embedded-")
	defer os.RemoveAll(dir)
	d := everywhere("embedded", bin, filepath.Join(dir, "data"), up, run)
	if d == nil {
		return
	}
	defer func() { d.p.stop() }()
	run("full disk (16 MB tmpfs DATA_DIR)", func() (string, error) { return fullDisk(bin, up) })
}

// fullDisk fills a small tmpfs: the fill fails with ENOSPC, nothing is
// stored or left behind, and the next fill that fits works.
func fullDisk(bin string, up *upstream) (string, error) {
	dir, _ := os.MkdirTemp("", "faults-disk-")
	defer os.RemoveAll(dir)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", dir).CombinedOutput(); err != nil {
		return "", fmt.Errorf("cannot mount a tmpfs (root needed): %v %s", err, out)
	}
	defer exec.Command("umount", dir).Run()
	d, err := newDeployment("disk", bin, dir, up, "CACHE_MIN_FREE=0")
	if err != nil {
		return "", err
	}
	defer d.p.stop()
	g := get(d.url("/big/disk"))
	if g.status == 200 && g.whole {
		return g.String(), fmt.Errorf("a 64 MB artifact was served whole from a 16 MB disk")
	}
	if d.stored("/big/disk") || leftovers(dir) != 0 {
		return g.String(), fmt.Errorf("a failed fill left a row or temps")
	}
	if after := get(d.url("/ok/after-disk")); after.status != 200 || !bytes.Equal(after.body, body("/ok/after-disk", 10000)) {
		return g.String(), fmt.Errorf("no recovery: %s", after)
	}
	return g.String() + "; nothing stored, temps gone, next fill whole", nil
}

func scaleout(bin, root string, up *upstream, run func(string, func() (string, error))) {
	dir, _ := os.MkdirTemp("", "faults-scaleout-")
	defer os.RemoveAll(dir)
	svc, err := startServices(dir, root)
	if err != nil {
		run("start services", func() (string, error) { return "", err })
		return
	}
	defer svc.stop()
	d := everywhere("scale-out", bin, filepath.Join(dir, "a"), up, run, svc.env...)
	if d == nil {
		return
	}
	defer func() { d.p.stop() }()
	run("replica holding the fill lock killed", func() (string, error) { return lockHolderKilled(d, filepath.Join(dir, "b"), svc.env) })
	run("Redis stopped and restarted", func() (string, error) { return outage(d, svc.redis, "/ok/redis") })
	run("PostgreSQL stopped and restarted", func() (string, error) { return outage(d, svc.pg, "/ok/pg") })
	run("S3 server stopped and restarted", func() (string, error) { return outage(d, svc.s3, "/ok/s3") })
}

// lockHolderKilled: replica a fills, dies; replica b serves the whole
// artifact once the lock expires.
func lockHolderKilled(d *deployment, bDir string, env []string) (string, error) {
	b, err := start(d.bin, bDir, append([]string{"UPSTREAM_ALLOW_PRIVATE=false"}, env...)...)
	if err != nil {
		return "", err
	}
	defer b.stop()
	path := "/big/lock"
	drain(d.up)
	go get(d.url(path))
	if err := waitBytes(d.up, 8<<20); err != nil {
		return "", err
	}
	d.p.kill()
	g := get(b.url + "/api/v1/remote/u" + path)
	np, err := d.p.restart(d.bin)
	if err != nil {
		return "", err
	}
	d.p = np
	if g.status != 200 || !bytes.Equal(g.body, bigBody(path)) {
		return g.String(), fmt.Errorf("the other replica did not serve it whole")
	}
	return fmt.Sprintf("the other replica served it whole after %.1fs; %d upstream requests", g.elapsed.Seconds(), d.up.count(path)), nil
}

// outage stops a backend for real: what the replica can still serve it
// serves (never a partial body), health says so, and after the restart
// everything works again with no manual step.
func outage(d *deployment, svc *service, path string) (string, error) {
	cached := path + "-cached"
	if g := get(d.url(cached)); g.status != 200 {
		return g.String(), fmt.Errorf("warm-up fetch")
	}
	svc.stop()
	hit := get(d.url(cached))
	miss := get(d.url(path))
	health := healthOf(d.p)
	if hit.status == 200 && !bytes.Equal(hit.body, body(cached, 10000)) {
		svc.start()
		return hit.String(), fmt.Errorf("a wrong body served during the outage")
	}
	if miss.status == 200 && miss.whole && !bytes.Equal(miss.body, body(path, 10000)) {
		svc.start()
		return miss.String(), fmt.Errorf("a wrong body served for a miss during the outage")
	}
	during := fmt.Sprintf("down: hit %s, miss %s, health %s", hit, miss, health)
	if err := svc.start(); err != nil {
		return during, err
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		after := get(d.url(path + "-after"))
		if healthOf(d.p) == "ok" && after.status == 200 && bytes.Equal(after.body, body(path+"-after", 10000)) {
			return during + "; back: health ok, new fill whole", nil
		}
		if time.Now().After(deadline) {
			return during, fmt.Errorf("no recovery within 60s after the restart: health %s, fill %s", healthOf(d.p), after)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func healthOf(p *proc) string {
	resp, err := http.Get(p.url + "/api/v2/health")
	if err != nil {
		return "unreachable"
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var h struct{ Status string }
	json.Unmarshal(b, &h)
	return h.Status
}
