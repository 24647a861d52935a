package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// Real clients through ArtifactAPI against the same clients straight at
// the origin: what a CI job feels. Each figure is the median of three
// runs, each with an empty client cache; a cold run has a remote of its
// own, so its proxy cache is empty too.
type clientTable struct{ rows []string }

func (c *clientTable) row(name string, direct, cold, warm time.Duration, target string) {
	c.rows = append(c.rows, fmt.Sprintf("| %s | %s | %s | %.2f× | %s | %.2f× | %s |", name, direct, cold,
		cold.Seconds()/direct.Seconds(), warm, warm.Seconds()/direct.Seconds(), target))
}

func (c *clientTable) String() string {
	return "| client workload | direct | through, cold | ratio | through, warm | ratio | target cold / warm |\n|---|---|---|---|---|---|---|\n" +
		strings.Join(c.rows, "\n") + "\n"
}

// clientCorpus writes each ecosystem's repository under files: 50 Go
// modules (go/), 40 npm packages and an app depending on them all (npmc/),
// 30 wheels with PEP 503 pages (pypic/), 20 charts (helmc/).
func clientCorpus(files, origin string) {
	for i := range 50 {
		goModule(filepath.Join(files, "go"), fmt.Sprintf("bench.test/m%02d", i), "v1.0.0")
	}
	deps := map[string]string{}
	for i := range 40 {
		name := fmt.Sprintf("pkg%02d", i)
		deps[name] = "1.0.0"
		npmPackage(files, origin, name, nil)
	}
	npmPackage(files, origin, "app", deps)
	for i := range 30 {
		name := fmt.Sprintf("benchpkg%02d", i)
		file, data, metadata := benchWheel(name, "1.0.0")
		writeAt(filepath.Join(files, "pypic", "packages", file), data)
		// PyPI serves every wheel's metadata apart (PEP 658), and pip reads
		// it while it resolves, before it downloads the wheel.
		writeAt(filepath.Join(files, "pypic", "packages", file+".metadata"), metadata)
		writeAt(filepath.Join(files, "pypic", "simple", name, "index.html"),
			fmt.Appendf(nil, "<!DOCTYPE html><html><body><a href=\"../../packages/%s#sha256=%x\" data-dist-info-metadata=\"sha256=%[3]x\" data-core-metadata=\"sha256=%[3]x\">%[1]s</a></body></html>\n",
				file, sha256.Sum256(data), sha256.Sum256(metadata)))
	}
	var idx bytes.Buffer
	idx.WriteString("apiVersion: v1\nentries:\n")
	for i := range 20 {
		name := fmt.Sprintf("chart%02d", i)
		tgz := targz(map[string]string{name + "/Chart.yaml": "apiVersion: v2\nname: " + name + "\nversion: 1.0.0\n"})
		writeAt(filepath.Join(files, "helmc", name+"-1.0.0.tgz"), tgz)
		fmt.Fprintf(&idx, "  %s:\n  - apiVersion: v2\n    name: %s\n    version: 1.0.0\n    digest: %x\n    urls:\n    - %s-1.0.0.tgz\n", name, name, sha256.Sum256(tgz), name)
	}
	idx.WriteString("generated: \"2024-01-01T00:00:00Z\"\n")
	writeAt(filepath.Join(files, "helmc", "index.yaml"), idx.Bytes())
}

func goModule(dir, mod, version string) {
	src, err := os.MkdirTemp("", "mod")
	check(err)
	defer os.RemoveAll(src)
	gomod := "module " + mod + "\n\ngo 1.21\n"
	check(os.WriteFile(filepath.Join(src, "go.mod"), []byte(gomod), 0o644))
	check(os.WriteFile(filepath.Join(src, "m.go"), []byte("package m\n\nconst V = \""+version+"\"\n"), 0o644))
	esc, _ := module.EscapePath(mod)
	vdir := filepath.Join(dir, esc, "@v")
	check(os.MkdirAll(vdir, 0o755))
	f, err := os.Create(filepath.Join(vdir, version+".zip"))
	check(err)
	check(modzip.CreateFromDir(f, module.Version{Path: mod, Version: version}, src))
	check(f.Close())
	writeAt(filepath.Join(vdir, version+".mod"), []byte(gomod))
	writeAt(filepath.Join(vdir, version+".info"), []byte(`{"Version":"`+version+`","Time":"2024-01-01T00:00:00Z"}`))
	writeAt(filepath.Join(vdir, "list"), []byte(version+"\n"))
}

func npmPackage(files, origin, name string, deps map[string]string) {
	pj, _ := json.Marshal(map[string]any{"name": name, "version": "1.0.0", "dependencies": deps})
	tgz := targz(map[string]string{"package/package.json": string(pj), "package/index.js": "module.exports = 1\n"})
	path := "npmc/" + name + "/-/" + name + "-1.0.0.tgz"
	writeAt(filepath.Join(files, path), tgz)
	sum := sha512.Sum512(tgz)
	doc, _ := json.Marshal(map[string]any{"name": name, "dist-tags": map[string]string{"latest": "1.0.0"},
		"versions": map[string]any{"1.0.0": map[string]any{"name": name, "version": "1.0.0", "dependencies": deps,
			"dist": map[string]string{"tarball": "http://" + origin + "/" + path, "integrity": "sha512-" + base64.StdEncoding.EncodeToString(sum[:])}}}})
	writeAt(filepath.Join(files, "npmc", name+".json"), doc)
}

func targz(files map[string]string) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n]))})
		tw.Write([]byte(files[n]))
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

// benchWheel is a minimal pure-Python wheel.
func benchWheel(name, version string) (file string, data, metadata []byte) {
	info := name + "-" + version + ".dist-info/"
	files := map[string]string{name + "/__init__.py": "", info + "METADATA": "Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\n",
		info + "WHEEL": "Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
	var record strings.Builder
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range []string{name + "/__init__.py", info + "METADATA", info + "WHEEL"} {
		w, _ := zw.Create(f)
		w.Write([]byte(files[f]))
		sum := sha256.Sum256([]byte(files[f]))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", f, base64.RawURLEncoding.EncodeToString(sum[:]), len(files[f]))
	}
	record.WriteString(info + "RECORD,,\n")
	w, _ := zw.Create(info + "RECORD")
	w.Write([]byte(record.String()))
	zw.Close()
	return name + "-" + version + "-py3-none-any.whl", buf.Bytes(), []byte(files[info+"METADATA"])
}

// workload is one real client's workload. run gets the base URL (or, for
// skopeo, registry host and prefix) it works against.
type workload struct {
	name, typ, target string
	bin               string // what must be installed
	// upstream is the remote's base_url; direct is run's base straight at
	// it; via is run's base through the remote named so.
	upstream, direct string
	via              func(remote string) string
	run              func(base string) error
}

// clientRows times each client direct, through a cold remote and through
// a warm one: against the bench's origin, Debian's docker-registry for
// skopeo, and the machine's npm registry (npm config get registry) for a
// real-world install.
func clientRows(t *clientTable, match *regexp.Regexp, work, origin, pAddr, token string) {
	viaAPI := func(name string) string { return "http://" + pAddr + "/api/v1/remote/" + name }
	local := func(name, typ, base, target, bin string, run func(string) error) workload {
		u := "http://" + origin + "/" + base
		return workload{name: name, typ: typ, target: target, bin: bin, upstream: u, direct: u, via: viaAPI, run: run}
	}
	goDownload := func(base string) error {
		args := []string{"mod", "download", "-json"}
		for i := range 50 {
			args = append(args, fmt.Sprintf("bench.test/m%02d@v1.0.0", i))
		}
		tmp := mustTemp()
		return command(tmp, []string{"GOPROXY=" + base, "GOSUMDB=off", "GOFLAGS=-modcacherw", "GOMODCACHE=" + tmp + "/cache", "GOTOOLCHAIN=local", "GONOSUMDB=", "GOPRIVATE=", "GONOPROXY="}, "go", args...)
	}
	pipDownload := func(base string) error {
		tmp := mustTemp()
		args := []string{"-m", "pip", "--isolated", "--disable-pip-version-check", "--no-cache-dir", "download", "--no-deps", "-d", tmp, "--index-url", base + "/simple/"}
		for i := range 30 {
			args = append(args, fmt.Sprintf("benchpkg%02d==1.0.0", i))
		}
		return command(tmp, []string{"PIP_CONFIG_FILE=/dev/null"}, "python3", args...)
	}
	clients := []workload{
		local("`go mod download` of 50 module versions", "goproxy", "go", "≤ 1.5× / ≤ 1.05×", "go", goDownload),
		local("`npm install` of 41 packages", "npm", "npmc", "≤ 1.2× / ≤ 1.05×", "npm", func(base string) error {
			return npmInstall(base, "app")
		}),
		local("`pip download` of 30 wheels", "pypi", "pypic", "≤ 1.2× / ≤ 1.05×", "python3", pipDownload),
		local("`helm repo add` and `helm pull` of 20 charts", "helm", "helmc", "≤ 1.2× / ≤ 1.05×", helmBin(), func(base string) error {
			tmp := mustTemp()
			env := []string{"HELM_CACHE_HOME=" + tmp + "/c", "HELM_CONFIG_HOME=" + tmp + "/f", "HELM_DATA_HOME=" + tmp + "/d"}
			if err := command(tmp, env, helmBin(), "repo", "add", "b", base); err != nil {
				return err
			}
			for i := range 20 {
				if err := command(tmp, env, helmBin(), "pull", fmt.Sprintf("b/chart%02d", i), "-d", tmp); err != nil {
					return err
				}
			}
			return nil
		}),
	}
	// The same go and pip runs against the origin behind a WAN's round trip.
	far, stop := farOrigin(origin, originRTT)
	defer stop()
	away := func(name, typ, base, bin string, run func(string) error) workload {
		u := far + "/" + base
		return workload{name: fmt.Sprintf("%s, origin %s away", name, originRTT), typ: typ, target: "– / –", bin: bin, upstream: u, direct: u, via: viaAPI, run: run}
	}
	clients = append(clients, away("`go mod download` of 50 module versions", "goproxy", "go", "go", goDownload),
		away("`pip download` of 30 wheels", "pypi", "pypic", "python3", pipDownload))
	// These two start or reach something of their own: only when asked.
	if match.MatchString("skopeo") {
		if c, stop, ok := skopeoClient(work, pAddr); ok {
			defer stop()
			clients = append(clients, c)
		}
	}
	if match.MatchString("real npm registry") {
		if c, ok := realNPMClient(viaAPI); ok {
			clients = append(clients, c)
		}
	}
	for ci, c := range clients {
		if !match.MatchString(c.name) {
			continue
		}
		if _, err := exec.LookPath(c.bin); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %s skipped: %v (scripts/install-clients.sh installs the clients)\n", c.name, err)
			continue
		}
		var ds, cs, ws []time.Duration
		for i := range 3 {
			ds = append(ds, mustTime(c.name, func() error { return c.run(c.direct) }))
			name := fmt.Sprintf("c%d-%s-%d", ci, c.typ, i)
			api(pAddr, token, "POST", "/api/v2/remotes", fmt.Sprintf(`{"name":%q,"package_type":%q,"base_url":%q}`, name, c.typ, c.upstream))
			cs = append(cs, mustTime(c.name, func() error { return c.run(c.via(name)) }))
		}
		for range 3 {
			ws = append(ws, mustTime(c.name, func() error { return c.run(c.via(fmt.Sprintf("c%d-%s-0", ci, c.typ))) }))
		}
		t.row(c.name, median(ds), median(cs), median(ws), c.target)
	}
}

func npmInstall(registry string, pkgs ...string) error {
	tmp := mustTemp()
	writeAt(filepath.Join(tmp, "package.json"), []byte(`{"name":"proj","version":"1.0.0"}`))
	args := append([]string{"install", "--registry", registry + "/", "--cache", tmp + "/cache", "--no-audit", "--no-fund", "--package-lock=false"}, pkgs...)
	return command(tmp, nil, "npm", args...)
}

// skopeoClient pushes benchImage to a docker-registry of its own and
// copies it to a directory: the layers in parallel, as a CI runner pulls
// an image.
func skopeoClient(work, pAddr string) (workload, func(), bool) {
	for _, bin := range []string{"skopeo", "docker-registry"} {
		if _, err := exec.LookPath(bin); err != nil {
			fmt.Fprintf(os.Stderr, "bench: skopeo row skipped: %v (scripts/install-clients.sh installs it)\n", err)
			return workload{}, nil, false
		}
	}
	reg := startRegistry(work)
	layout := filepath.Join(work, "image")
	benchImage(layout)
	policy := filepath.Join(work, "policy.json")
	writeAt(policy, []byte(`{"default":[{"type":"insecureAcceptAnything"}]}`))
	check(command(work, nil, "skopeo", "--policy", policy, "copy", "--dest-tls-verify=false", "oci:"+layout+":1", "docker://"+reg.addr+"/bench/img:1"))
	return workload{name: "`skopeo copy` of a 45 MB image (8 layers)", typ: "docker", target: "≤ 1.2× / ≤ 1.05×", bin: "skopeo",
		upstream: "http://" + reg.addr, direct: reg.addr, via: func(remote string) string { return pAddr + "/" + remote },
		run: func(base string) error {
			tmp := mustTemp()
			return command(tmp, nil, "skopeo", "--policy", policy, "copy", "--src-tls-verify=false", "docker://"+base+"/bench/img:1", "dir:"+tmp+"/img")
		}}, reg.stop, true
}

// realNPMClient installs a front-end toolchain from the machine's npm
// registry: hundreds of real packuments and tarballs from a remote
// registry, the cold case a CI fleet's proxy sees most.
func realNPMClient(via func(string) string) (workload, bool) {
	out, err := exec.Command("npm", "config", "get", "registry").Output()
	upstream := strings.TrimSuffix(strings.TrimSpace(string(out)), "/")
	if err != nil || upstream == "" {
		fmt.Fprintln(os.Stderr, "bench: real npm registry row skipped: npm names no registry")
		return workload{}, false
	}
	resp, err := http.Get(upstream + "/ms")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("GET /ms: %s", resp.Status)
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: real npm registry row skipped: %s unreachable (%v)\n", upstream, err)
		return workload{}, false
	}
	pkgs := []string{"vite", "react", "react-dom", "@vitejs/plugin-react", "typescript", "vitest"}
	return workload{name: "`npm install " + strings.Join(pkgs, " ") + "` from the real npm registry", typ: "npm", target: "≤ 1.1× / –", bin: "npm",
		upstream: upstream, direct: upstream, via: via, run: func(base string) error { return npmInstall(base, pkgs...) }}, true
}

// originRTT is the round trip farOrigin adds: a registry in another
// region or across the internet, where the loopback origin has none.
const originRTT = 20 * time.Millisecond

// farOrigin is the bench's origin behind rtt more per request, as a
// client on the far side of a WAN sees it: what a cold proxy's misses
// cost when each waits for the upstream, and what its prefetches save.
func farOrigin(origin string, rtt time.Duration) (base string, stop func()) {
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: origin})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(rtt)
		rp.ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }
}

// mustTemp is a new directory for one client run. It is removed with the
// whole work directory, not after the run: on a filesystem without a
// journal (ext4 as this machine has it), creating files just after tens
// of thousands were deleted is slow, and the runs after a removal were
// measuring that, direct and through the proxy alike.
func mustTemp() string {
	d, err := os.MkdirTemp(workRoot, "client")
	check(err)
	return d
}

// workRoot holds every file a run writes.
var workRoot string

// mustTime times one client run, which starts with the disk written back
// as the proxy table's runs do: the table's last rows write gigabytes (the
// 1 GB fill, the herds), and on scale-out the S3 server's writeback landed
// in the first client rows (go cold 3.2-3.5× after them, 2.1-2.6× alone).
func mustTime(name string, f func() error) time.Duration {
	syscall.Sync()
	start := time.Now()
	if err := f(); err != nil {
		panic(fmt.Sprintf("bench: %s: %v", name, err)) // main's defers stop nginx and the proxy
	}
	return time.Since(start).Round(time.Millisecond)
}

func command(dir string, env []string, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// helmBin is helm from PATH or the one scripts/install-clients.sh builds.
func helmBin() string {
	if p, err := exec.LookPath("helm"); err == nil {
		return p
	}
	p, _ := filepath.Abs("bin/helm")
	return p
}
