// Command bench runs the side-by-side comparison behind `make bench`: an
// nginx origin serving a generated corpus, nginx proxy_cache in front of
// it, and ArtifactAPI in front of it, under the same workloads (small hits
// at two working-set sizes, cold fills, a cold 1 MB object, large hits, a
// cold herd), printed as one Markdown table of ratios to nginx-cache. It
// targets 127.0.0.1 only and stops by itself.
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	bin := flag.String("bin", "bin/artifactapi", "ArtifactAPI binary")
	dur := flag.Duration("duration", 5*time.Second, "length of each load run")
	repeat := flag.Int("repeat", 3, "load runs of each warm workload per proxy, taking turns at going first (the median is reported)")
	fills := flag.Int("fills", 3, "cold fills of each small-object set per proxy, each on objects of its own, taking turns at going first (the median is reported)")
	small := flag.Int("small", 2000, "distinct 2 KB objects of the small-hit test")
	many := flag.Int("many", 50000, "distinct 1 KB objects of the large working-set test")
	bigMB := flag.Int("big-mb", 200, "size of the large-object and herd tests")
	fillMB := flag.Int("fill-mb", 1024, "size of the cold fill RSS test")
	out := flag.String("out", "", "also write the table to this Markdown file (BENCHMARKS.md)")
	appendOut := flag.Bool("append", false, "append to -out instead of replacing it")
	scaleOut := flag.Bool("scaleout", false, "run the proxy on PostgreSQL + Redis + S3 (the ARTIFACTAPI_TEST_* services)")
	clients := flag.Bool("clients", true, "also time real clients (go, npm, pip, helm) through the proxy against straight at the origin")
	proxies := flag.Bool("proxies", true, "run the table against nginx proxy_cache (false: only the client rows, to iterate on one)")
	match := flag.String("match", "", "time only the client rows whose name matches this regular expression")
	rows := flag.String("rows", "", "run only the proxy table's sections whose name matches this regular expression (small, many, docs, cold, big, herd, fill)")
	workDir := flag.String("work", "", "directory for the corpus, caches and clients, left in place (default: a temporary one, removed at the end)")
	flag.Parse()
	var env []string
	backends := "embedded: SQLite + files + memory"
	if *scaleOut {
		var drop func()
		env, drop = scaleOutEnv()
		defer drop()
		backends = "scale-out: PostgreSQL + S3 + Redis"
	}
	load0 := loadavg()
	work := *workDir
	if work == "" {
		var err error
		work, err = os.MkdirTemp("", "artifactapi-bench")
		check(err)
		defer os.RemoveAll(work)
	} else {
		check(os.MkdirAll(work, 0o755))
	}
	workRoot = work
	files := filepath.Join(work, "files")
	if !*proxies {
		*small, *many, *bigMB, *fillMB = 0, 0, 0, 0
	}
	*fills = max(*fills, 1)
	corpus(files, sizes{*small, *many, *bigMB, *fillMB, *fills})

	origin := startNginx(work, "origin", 2, func(port int) string { return originConf(files, port) })
	defer origin.stop()
	cache := startNginx(work, "cache", 2, func(port int) string { return cacheConf(origin.addr, port) })
	defer cache.stop()
	proxy, token, pAddr := startProxy(*bin, work, env)
	defer proxy.Process.Kill()
	api(pAddr, token, "POST", "/api/v2/remotes", fmt.Sprintf(`{"name":"b","package_type":"generic","base_url":"http://%s"}`, origin.addr))
	nx, px := "http://"+cache.addr+"/", "http://"+pAddr+"/api/v1/remote/b/"
	// Each proxy's run starts with the disk written back: the kernel
	// writing out the other's (or its own) last fill must not land in
	// its measurement. After a 50,000-object fill that writeback took
	// seconds of CPU (ext4 extent conversion) into the next hit run.
	both := func(f func(base string) result) (result, result) {
		syscall.Sync()
		n := f(nx)
		syscall.Sync()
		return n, f(px)
	}
	// turns runs f n times on each proxy, the two taking turns at going
	// first, and reports each one's median: a single 5 s window on two
	// shared cores moved a ratio by a fifth from one run to the next
	// (0.71× and 1.07× for the same binary an hour apart), and nginx's
	// 50,000-object fill took 2.4 s to 18.7 s across runs of one day.
	turns := func(n int, f func(base string, i int) result) (result, result) {
		var ns, ps []result
		for i := range n {
			if i%2 == 0 {
				n, p := both(func(b string) result { return f(b, i) })
				ns, ps = append(ns, n), append(ps, p)
			} else {
				syscall.Sync()
				ps = append(ps, f(px, i))
				syscall.Sync()
				ns = append(ns, f(nx, i))
			}
		}
		return medianResult(ns), medianResult(ps)
	}
	warm := func(f func(base string) result) (result, result) {
		return turns(max(*repeat, 1), func(b string, _ int) result { return f(b) })
	}
	t := &table{}
	if *proxies {
		pr := pair{nx: nx, px: px, once: both, warm: warm, turns: turns, rows: regexp.MustCompile(*rows),
			wal: filepath.Join(work, "data", "artifactapi.db-wal"), cachePgrp: cache.cmd.Process.Pid, stores: *scaleOut}
		proxyRows(t, pr, origin, proxy.Process.Pid, pAddr, token, sizes{*small, *many, *bigMB, *fillMB, *fills}, *dur)
	}

	head := fmt.Sprintf("## ArtifactAPI vs nginx proxy_cache (%s)\n\n%s; %d cores; %s per load run, warm loads the median of %d runs per proxy, small-object fills the median of %d (each on objects of its own; the warm hits read the last set filled); load average before %s, after %s.\n"+
		"Both proxies front the same nginx origin on 127.0.0.1; the load generator shares the cores.\n",
		backends, time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtimeCPUs(), *dur, max(*repeat, 1), *fills, load0, loadavg())
	md := head + "\n" + t.String()
	if *clients {
		clientCorpus(files, origin.addr)
		ct := &clientTable{}
		clientRows(ct, regexp.MustCompile(*match), work, origin.addr, pAddr, token)
		md += "\nReal clients through ArtifactAPI and straight at the same origin (median of 3 runs, each with an empty client cache; every cold run on a remote of its own):\n\n" + ct.String()
	}
	fmt.Print(md)
	if *out != "" {
		flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
		if *appendOut {
			flags, md = os.O_CREATE|os.O_WRONLY|os.O_APPEND, "\n"+md
		} else {
			md = "# Benchmarks\n\nWritten by `make bench` (see the README's Benchmarks section); ratios are ArtifactAPI / nginx-cache within one run.\n\n" + md
		}
		f, err := os.OpenFile(*out, flags, 0o644)
		check(err)
		_, err = f.WriteString(md)
		check(err)
		check(f.Close())
	}
}

// pair runs a load on both proxies (bases nx and px): once, or (warm)
// repeatedly, reporting medians.
type pair struct {
	nx, px     string
	once, warm func(f func(base string) result) (result, result)
	// turns runs f's n runs on each proxy, taking turns at going first,
	// and reports each one's median: a cold fill's run i of n fills the
	// set fillSet(dir, i, n).
	turns func(n int, f func(base string, i int) result) (result, result)
	rows  *regexp.Regexp // the sections to run
	wal   string         // ArtifactAPI's SQLite WAL file (absent on PostgreSQL)
	// cachePgrp is nginx-cache's process group: its master and workers.
	cachePgrp int
	// stores says ArtifactAPI stores in services of its own (scale-out),
	// whose CPU is reported beside its own.
	stores bool
}

// herds is the number of cold herds per proxy, each on a large object of
// its own.
const herds = 3

// sizes are the proxy table's corpus sizes; fills is the number of sets
// of each small-object directory (see fillSet).
type sizes struct{ small, many, bigMB, fillMB, fills int }

// fillSet is the directory of the i-th of n cold fills of dir's objects.
// Each fill has objects of its own, other bytes too: ArtifactAPI stores
// a body once, so a second fill of the same bytes under new paths would
// write no blobs. The last is dir itself, which the warm hits then read.
func fillSet(dir string, i, n int) string {
	if i == n-1 {
		return dir
	}
	return fmt.Sprintf("%s%d", dir, i+1)
}

// setPath is the path of object i of the directory dir (a set of the
// corpus) on the proxy at base.
func setPath(base, dir string) func(int) string {
	return func(i int) string { return fmt.Sprintf("%s%s/%d", base, dir, i) }
}

// proxyRows runs the workloads side by side on nginx-cache (base nx) and
// ArtifactAPI (base px, process pid).
func proxyRows(t *table, pr pair, origin *nginxServer, pid int, pAddr, token string, sz sizes, dur time.Duration) {
	small, many, bigMB, fillMB := sz.small, sz.many, sz.bigMB, sz.fillMB
	nx, px, both := pr.nx, pr.px, pr.once

	run := pr.rows.MatchString
	var hitN, hitP result
	if run("small") {
		// Small objects: filling them cold, then hits.
		fillN, fillP := pr.turns(sz.fills, func(b string, i int) result {
			return timed(func() { load(setPath(b, fillSet("s", i, sz.fills)), small, 64, 0) })
		})
		t.lower(fmt.Sprintf("filling %d × 2 KB cold, 64 conns: s", small), fillN.wall, fillP.wall, "≤ 2×")
		hitN, hitP = pr.warm(func(b string) result { return load(setPath(b, "s"), small, 64, dur) })
		t.higher(fmt.Sprintf("warm hits, %d × 2 KB, 64 conns: req/s", small), hitN.reqs, hitP.reqs, "≥ 0.9×")
		t.lower("same: p99 latency", hitN.p99, hitP.p99, "≤ 1.5×")
	}

	if run("many") {
		// The large working set: the same at tens of thousands of objects.
		var cpus []time.Duration
		var wal int64
		var used cpuUse // the services', over all of ArtifactAPI's fills
		fillN, fillP := pr.turns(sz.fills, func(b string, i int) result {
			c0, u0 := cpuTime(pid), cpuNow(pr.cachePgrp)
			var largest func() int64
			if b == px {
				largest = watchSize(pr.wal)
			}
			r := timed(func() { load(setPath(b, fillSet("m", i, sz.fills)), many, 64, 0) })
			if b == px {
				cpus = append(cpus, cpuTime(pid)-c0)
				wal = max(wal, largest())
				used = used.plus(cpuNow(pr.cachePgrp).since(u0))
			}
			return r
		})
		t.lower(fmt.Sprintf("filling %d × 1 KB cold, 64 conns: s", many), fillN.wall, fillP.wall, "≤ 2×")
		// Less noisy than the wall time, which shares the cores with the
		// load and the origin: what to compare between two builds.
		slices.Sort(cpus)
		cpu := cpus[len(cpus)/2]
		note := fmt.Sprintf("ArtifactAPI CPU filling %d × 1 KB (median): %s, %d µs per object", many, cpu.Round(10*time.Millisecond), cpu.Microseconds()/int64(many))
		if beside := used.servicesPer(many * len(cpus)); pr.stores && beside != "" {
			note += "; beside it, per object over the fills: " + beside
		}
		t.note(note)
		if wal > 0 {
			t.note(fmt.Sprintf("ArtifactAPI's SQLite WAL during the fills: at most %.1f MB", float64(wal)/(1<<20)))
		}
		manyN, manyP := pr.warm(func(b string) result { return load(setPath(b, "m"), many, 64, dur) })
		t.higher(fmt.Sprintf("warm hits, %d × 1 KB, 64 conns: req/s", many), manyN.reqs, manyP.reqs, "≥ 0.9×")
		t.lower("same: p99 latency", manyN.p99, manyP.p99, "≤ 1.5×")
		if hitP.reqs > 0 {
			// nginx-cache's own ratio tells how much of the drop is the
			// machine's (the load generator's, the kernel's) and not
			// the proxy's.
			t.note(fmt.Sprintf("ArtifactAPI: hits at %d objects are %.2f× its rate at %d (target ≥ 0.8×; nginx-cache's: %.2f×); RSS after: %d MB",
				many, manyP.reqs/hitP.reqs, small, manyN.reqs/hitN.reqs, rssKB(pid, "VmRSS")>>10))
		}
	}

	if run("docs") {
		// Metadata documents, rewritten by ArtifactAPI when stored.
		metadataRows(t, pr, pAddr, token, origin.addr, dur)
	}

	if run("cold") {
		// A cold 1 MB object: the fixed cost of a miss. What each miss
		// cost the cores, the stores' share included, says where a
		// ratio comes from on these shared cores.
		var cpuN, cpuP time.Duration
		var used cpuUse
		coldN, coldP := both(func(b string) result {
			var ds []time.Duration
			u0, c0 := cpuNow(pr.cachePgrp), cpuTime(pid)
			for i := range 20 {
				ds = append(ds, wall(func() { get(fmt.Sprintf("%sc/%s%d", b, map[bool]string{true: "n", false: "p"}[b == nx], i)) }))
			}
			time.Sleep(coldSettle) // ArtifactAPI stores the last one after its client has it
			u1, c1 := cpuNow(pr.cachePgrp), cpuTime(pid)
			if b == nx {
				cpuN = u1.since(u0).cache
			} else {
				cpuP, used = c1-c0, u1.since(u0)
			}
			return result{wall: median(ds)}
		})
		t.lower("cold 1 MB object, median of 20: total time", coldN.wall, coldP.wall, "≤ 1.5×")
		note := fmt.Sprintf("CPU per cold 1 MB miss (the 20 above, each stored): nginx-cache %s, ArtifactAPI %s", perOp(cpuN, 20), perOp(cpuP, 20))
		if beside := used.servicesPer(20); pr.stores && beside != "" {
			note += "; beside it " + beside
		}
		t.note(note)
	}

	if run("big") {
		// Large hits.
		get(nx + "big")
		get(px + "big")
		bigN, bigP := pr.warm(func(b string) result { return load(func(int) string { return b + "big" }, 1, 8, dur) })
		t.higher(fmt.Sprintf("warm %d MB hits, 8 clients: MB/s", bigMB), bigN.mbps, bigP.mbps, "keep ≥ 1×")
	}
	if run("herd") {
		// A herd on a cold large object, three times on objects of their
		// own, the proxies taking turns at going first: one herd's wall
		// time put ArtifactAPI anywhere from 0.8× to 1.6× of nginx-cache
		// across the runs of one day.
		var most [2]float64 // origin requests for one object, at most
		herdN, herdP := pr.turns(herds, func(b string, i int) result {
			who := 0 // nginx-cache's; 1 is ArtifactAPI's
			if b == px {
				who = 1
			}
			name := fmt.Sprintf("herd-%c%d", "np"[who], i)
			r := timed(func() { load(func(int) string { return b + name }, 50, 50, 0) })
			most[who] = max(most[who], float64(origin.requests("/"+name)))
			return r
		})
		t.lower(fmt.Sprintf("cold herd, 50 clients on one %d MB object, median of %d: wall", bigMB, herds), herdN.wall, herdP.wall, "keep ≤ 1×")
		t.note(fmt.Sprintf("herd origin requests for one object, at most: nginx-cache %.0f, ArtifactAPI %.0f (target 1)", most[0], most[1]))
	}

	if run("fill") {
		// ArtifactAPI alone: memory during a large cold fill streamed to 8
		// clients. VmHWM is the peak over the process's life: it is reset
		// first (clear_refs 5), or it would report the peak of the fills
		// before.
		before := rssKB(pid, "VmRSS")
		check(os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0))
		el := wall(func() { load(func(int) string { return px + "huge" }, 8, 8, 0) })
		t.note(fmt.Sprintf("ArtifactAPI %d MB cold fill to 8 clients: %s, peak RSS %d MB (%d MB before; target < 64 MB growth)",
			fillMB, el.Round(time.Millisecond), rssKB(pid, "VmHWM")>>10, before>>10))
	}
}

// corpus writes the files the origin serves: s/ (2 KB) and m/ (1 KB),
// each with fills-1 more sets of other bytes (see fillSet), c/ (1 MB, one
// set per proxy, so each miss is a first), big, herds files per proxy and
// huge.
func corpus(files string, sz sizes) {
	check(os.MkdirAll(filepath.Join(files, "c"), 0o755))
	kb := randBytes(1024)
	for set := range sz.fills {
		s, m := filepath.Join(files, fillSet("s", set, sz.fills)), filepath.Join(files, fillSet("m", set, sz.fills))
		check(os.MkdirAll(s, 0o755))
		check(os.MkdirAll(m, 0o755))
		for i := range sz.small {
			check(os.WriteFile(filepath.Join(s, fmt.Sprint(i)), randBytes(2048), 0o644))
		}
		for i := range sz.many {
			// distinct, so stored apart
			kb[0], kb[1], kb[2], kb[3] = byte(i), byte(i>>8), byte(i>>16), byte(set)
			check(os.WriteFile(filepath.Join(m, fmt.Sprint(i)), kb, 0o644))
		}
	}
	for i := range 20 {
		for _, who := range []string{"n", "p"} {
			check(os.WriteFile(filepath.Join(files, "c", fmt.Sprintf("%s%d", who, i)), randBytes(1<<20), 0o644))
		}
	}
	metadata(files)
	writeFile(filepath.Join(files, "big"), sz.bigMB<<20)
	for i := range herds {
		writeFile(filepath.Join(files, fmt.Sprintf("herd-n%d", i)), sz.bigMB<<20)
		writeFile(filepath.Join(files, fmt.Sprintf("herd-p%d", i)), sz.bigMB<<20)
	}
	writeFile(filepath.Join(files, "huge"), sz.fillMB<<20)
}

func timed(f func()) result { return result{wall: wall(f).Round(time.Millisecond)} }

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.Join(strings.Fields(string(b))[:3], " ")
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

// watchSize samples the size of the file at path every 10 ms until the
// function it returns is called, which returns the largest seen (0 if the
// file never existed).
func watchSize(path string) func() int64 {
	stop, done := make(chan struct{}), make(chan int64)
	go func() {
		var largest int64
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			if fi, err := os.Stat(path); err == nil {
				largest = max(largest, fi.Size())
			}
			select {
			case <-stop:
				done <- largest
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 { close(stop); return <-done }
}
