// Command bench runs the side-by-side load comparison behind `make bench`:
// ArtifactAPI warm hits against Go's http.FileServer serving the same files
// from the same disk, RSS during a large fill, and time to first byte on a
// miss. It targets 127.0.0.1 only and stops by itself.
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if len(os.Args) == 3 && os.Args[1] == "fileserver" {
		// Child mode: the baseline server, in its own process like the proxy.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		check(err)
		fmt.Println(ln.Addr().String())
		check(http.Serve(ln, http.FileServer(http.Dir(os.Args[2]))))
	}
	bin := flag.String("bin", "bin/artifactapi", "ArtifactAPI binary")
	dur := flag.Duration("duration", 5*time.Second, "length of each load run")
	bigMB := flag.Int("big-mb", 200, "size of the large-object hit test")
	fillMB := flag.Int("fill-mb", 1024, "size of the cold fill RSS test")
	scaleOut := flag.Bool("scaleout", false, "run the proxy on PostgreSQL + Redis + S3 (the ARTIFACTAPI_TEST_* services)")
	flag.Parse()
	var env []string
	backends := "embedded: SQLite + files + memory"
	if *scaleOut {
		var drop func()
		env, drop = scaleOutEnv()
		defer drop()
		backends = "scale-out: PostgreSQL + S3 + Redis"
	}

	work, err := os.MkdirTemp("", "artifactapi-bench")
	check(err)
	defer os.RemoveAll(work)
	files := filepath.Join(work, "files")
	check(os.MkdirAll(files, 0o755))
	const small = 1000
	for i := range small {
		check(os.WriteFile(filepath.Join(files, fmt.Sprintf("s%04d", i)), randBytes(2048), 0o644))
	}
	writeFile(filepath.Join(files, "big"), *bigMB<<20)
	writeFile(filepath.Join(files, "huge"), *fillMB<<20)

	fs := startChild(os.Args[0], "fileserver", files)
	fsAddr := readAddr(fs)
	defer fs.Process.Kill()
	proxy, token, pAddr := startProxy(*bin, work, env)
	defer proxy.Process.Kill()
	api(pAddr, token, "POST", "/api/v2/remotes", fmt.Sprintf(`{"name":"b","package_type":"generic","base_url":"http://%s"}`, fsAddr))
	px := "http://" + pAddr + "/api/v1/remote/b/"
	fsURL := "http://" + fsAddr + "/"

	// Warm the proxy's cache (the test is of hits).
	for i := range small {
		get(px+fmt.Sprintf("s%04d", i), nil)
	}
	get(px+"big", nil)

	fmt.Printf("# ArtifactAPI bench (%s; %d cores, %s per run)\n\n", backends, runtimeCPUs(), *dur)
	fmt.Println("| test | http.FileServer | ArtifactAPI | ratio | target |")
	fmt.Println("|---|---|---|---|---|")
	smallPaths := func(base string) func(i int) string {
		return func(i int) string { return base + fmt.Sprintf("s%04d", i%small) }
	}
	fsR, fsB := load(smallPaths(fsURL), 64, *dur)
	pR, pB := load(smallPaths(px), 64, *dur)
	row("2 KB hits, 64 conns, req/s", fsR, pR, ">= 0.8")
	row("2 KB hits, 64 conns, MB/s", fsB, pB, ">= 0.8")
	bigPath := func(base string) func(int) string { return func(int) string { return base + "big" } }
	_, fsB = load(bigPath(fsURL), 8, *dur)
	_, pB = load(bigPath(px), 8, *dur)
	row(fmt.Sprintf("%d MB object, 8 clients, MB/s", *bigMB), fsB, pB, ">= 0.8")

	// Time to first byte of a miss vs the upstream's own.
	var direct, viaProxy []time.Duration
	for i := range 50 {
		direct = append(direct, ttfb(fsURL+fmt.Sprintf("s%04d", i+500)))
		api(pAddr, token, "DELETE", "/api/v2/remotes/b/objects?path="+fmt.Sprintf("s%04d", i+500), "")
		viaProxy = append(viaProxy, ttfb(px+fmt.Sprintf("s%04d", i+500)))
	}
	md, mp := median(direct), median(viaProxy)
	fmt.Printf("| miss time to first byte, median of 50 | %s | %s | +%s | within 5 ms |\n", md, mp, mp-md)

	// A cold fill of a large object with 8 clients streaming it at once.
	before := rssKB(proxy.Process.Pid, "VmRSS")
	var wg sync.WaitGroup
	var total atomic.Int64
	start := time.Now()
	for range 8 {
		wg.Go(func() { total.Add(get(px+"huge", nil)) })
	}
	wg.Wait()
	el := time.Since(start)
	peak := rssKB(proxy.Process.Pid, "VmHWM")
	fmt.Printf("| %d MB cold fill, 8 clients: peak RSS | - | %d MB (%d MB before) | - | < 64 MB |\n", *fillMB, peak/1024, before/1024)
	fmt.Printf("| %d MB cold fill, 8 clients: time, bytes | - | %s, %d MB | - | - |\n", *fillMB, el.Round(time.Millisecond), total.Load()>>20)
}

func row(name string, base, ours float64, target string) {
	fmt.Printf("| %s | %.0f | %.0f | %.2f | %s |\n", name, base, ours, ours/base, target)
}

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128, DisableCompression: true}}

func get(url string, hdr map[string]string) int64 {
	resp, err := client.Get(url)
	check(err)
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	check(err)
	if resp.StatusCode != 200 {
		panic(fmt.Sprintf("%s: %d", url, resp.StatusCode))
	}
	return n
}

// load runs conns workers for d and returns requests/s and MB/s.
func load(path func(int) string, conns int, d time.Duration) (float64, float64) {
	var reqs, bytes atomic.Int64
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	for w := range conns {
		wg.Go(func() {
			for i := w; time.Now().Before(stop); i += conns {
				bytes.Add(get(path(i), nil))
				reqs.Add(1)
			}
		})
	}
	wg.Wait()
	s := d.Seconds()
	return float64(reqs.Load()) / s, float64(bytes.Load()) / s / (1 << 20)
}

func ttfb(url string) time.Duration {
	start := time.Now()
	resp, err := client.Get(url)
	check(err)
	buf := make([]byte, 1)
	io.ReadFull(resp.Body, buf)
	d := time.Since(start)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return d
}

func median(ds []time.Duration) time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2].Round(10 * time.Microsecond)
}

func startChild(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Stderr = os.Stderr
	return cmd
}

func readAddr(cmd *exec.Cmd) string {
	out, err := cmd.StdoutPipe()
	check(err)
	check(cmd.Start())
	buf := make([]byte, 64)
	n, err := out.Read(buf)
	check(err)
	return strings.TrimSpace(string(buf[:n]))
}

func startProxy(bin, work string, env []string) (*exec.Cmd, string, string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	addr := ln.Addr().String()
	ln.Close()
	token := "bench-token-0123456789"
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "DATA_DIR="+filepath.Join(work, "data"), "LISTEN_ADDR="+addr, "ADMIN_TOKEN="+token, "LOG_LEVEL=warn")
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = os.Stderr
	check(cmd.Start())
	for i := 0; ; i++ {
		if resp, err := http.Get("http://" + addr + "/api/v2/health"); err == nil {
			resp.Body.Close()
			return cmd, token, addr
		}
		if i > 500 {
			panic("proxy did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func api(addr, token, method, path, body string) {
	req, _ := http.NewRequest(method, "http://"+addr+path, bytes.NewBufferString(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	check(err)
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		panic(fmt.Sprintf("%s %s: %d %v", method, path, resp.StatusCode, out))
	}
}

func rssKB(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	check(err)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return n
		}
	}
	return -1
}

func writeFile(path string, size int) {
	f, err := os.Create(path)
	check(err)
	chunk := randBytes(1 << 20)
	for written := 0; written < size; written += len(chunk) {
		_, err := f.Write(chunk[:min(len(chunk), size-written)])
		check(err)
	}
	check(f.Close())
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func runtimeCPUs() int {
	b, _ := os.ReadFile("/proc/cpuinfo")
	return strings.Count(string(b), "processor\t:")
}

func check(err error) {
	if err != nil {
		panic(err)
	}
}
