package e2e

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// debPackage builds a trivial .deb of name into dir/pool/main/<x>/<name>/.
func debPackage(t *testing.T, root, name, version string) string {
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "DEBIAN"), 0o755)
	os.MkdirAll(filepath.Join(src, "usr", "share", "doc", name), 0o755)
	os.WriteFile(filepath.Join(src, "usr", "share", "doc", name, "README"), []byte(name+" "+version+"\n"), 0o644)
	os.WriteFile(filepath.Join(src, "DEBIAN", "control"), []byte("Package: "+name+"\nVersion: "+version+
		"\nArchitecture: all\nMaintainer: test <test@example.invalid>\nDescription: a test package\n"), 0o644)
	out := filepath.Join(root, "pool", "main", name[:1], name, name+"_"+version+"_all.deb")
	os.MkdirAll(filepath.Dir(out), 0o755)
	run(t, "dpkg-deb", "--root-owner-group", "--build", src, out)
	return out
}

// aptRepo makes a repository for suite "stable" with one package, as
// apt-ftparchive does (Packages, Packages.gz, Release).
func aptRepo(t *testing.T) string {
	needClient(t, "apt-ftparchive")
	root := t.TempDir()
	debPackage(t, root, "hello-proxy", "1.0")
	bin := filepath.Join(root, "dists", "stable", "main", "binary-amd64")
	os.MkdirAll(bin, 0o755)
	cmd := exec.Command("apt-ftparchive", "packages", "pool")
	cmd.Dir = root
	pkgs, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(bin, "Packages"), pkgs, 0o644)
	run(t, "gzip", "-k", "-9", filepath.Join(bin, "Packages"))
	cmd = exec.Command("apt-ftparchive", "-o", "APT::FTPArchive::Release::Suite=stable", "-o", "APT::FTPArchive::Release::Codename=stable",
		"-o", "APT::FTPArchive::Release::Components=main", "-o", "APT::FTPArchive::Release::Architectures=amd64", "release", "dists/stable")
	cmd.Dir = root
	rel, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, "dists", "stable", "Release"), rel, 0o644)
	return root
}

// aptGet runs apt-get with private state, cache and sources.
func aptGet(t *testing.T, state, sources string, args ...string) (string, error) {
	for _, d := range []string{"lists/partial", "cache/archives/partial"} {
		os.MkdirAll(filepath.Join(state, d), 0o755)
	}
	os.WriteFile(filepath.Join(state, "sources.list"), []byte(sources+"\n"), 0o644)
	base := []string{"-o", "Dir::Etc::SourceList=" + filepath.Join(state, "sources.list"), "-o", "Dir::Etc::SourceParts=-",
		"-o", "Dir::State::Lists=" + filepath.Join(state, "lists"), "-o", "Dir::Cache=" + filepath.Join(state, "cache"),
		"-o", "Debug::NoLocking=1", "-o", "APT::Architecture=amd64", "-o", "Acquire::Languages=none", "-q"}
	cmd := exec.Command("apt-get", append(base, args...)...)
	cmd.Dir = state
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestAptGetThroughProxy(t *testing.T) {
	repo := aptRepo(t)
	up := httptest.NewServer(http.FileServer(http.Dir(repo)))
	defer up.Close()
	p := start(t, t.TempDir(), "ADMIN_TOKEN="+token)
	createRemote(t, p, map[string]any{"name": "deb", "package_type": "apt", "base_url": up.URL, "mutable_ttl": 300})
	sources := "deb [trusted=yes] " + p.url + "/api/v1/remote/deb/ stable main"
	for _, warm := range []bool{false, true} {
		if warm {
			up.Close() // Release, indices and the .deb from the cache alone
		}
		state := t.TempDir()
		if out, err := aptGet(t, state, sources, "update"); err != nil || strings.Contains(out, "Err:") {
			t.Fatalf("apt-get update (warm=%v): %v\n%s", warm, err, out)
		}
		if out, err := aptGet(t, state, sources, "download", "hello-proxy"); err != nil {
			t.Fatalf("apt-get download (warm=%v): %v\n%s", warm, err, out)
		}
		if _, err := os.Stat(filepath.Join(state, "hello-proxy_1.0_all.deb")); err != nil {
			t.Fatalf("downloaded .deb missing (warm=%v): %v", warm, err)
		}
	}
}

// debianMirror is this machine's own Debian mirror and suite, read from its
// apt sources (never written into the repository).
func debianMirror(t *testing.T) (uri, suite, keyring string) {
	files, _ := filepath.Glob("/etc/apt/sources.list.d/*.sources")
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		fields := map[string]string{}
		sc := bufio.NewScanner(fh)
		flush := func() bool {
			u, s := fields["URIs"], strings.Fields(fields["Suites"])
			if fields["Types"] == "deb" && strings.HasPrefix(u, "http") && len(s) > 0 && strings.Contains(fields["Components"], "main") && !strings.Contains(u, "security") {
				uri, suite, keyring = strings.Fields(u)[0], s[0], fields["Signed-By"]
				return true
			}
			fields = map[string]string{}
			return false
		}
		for sc.Scan() {
			line := sc.Text()
			if strings.TrimSpace(line) == "" {
				if flush() {
					fh.Close()
					return
				}
				continue
			}
			if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "#") {
				fields[k] = strings.TrimSpace(v)
			}
		}
		fh.Close()
		if flush() {
			return
		}
	}
	t.Skip("NETWORK: this machine's apt sources name no Debian mirror")
	return
}

// The machine's real Debian mirror through the proxy: a signed InRelease
// passed byte for byte (apt checks its signature), by-hash indices, a
// real package. Times are logged for the closing note, never asserted.
func TestAptGetRealMirror(t *testing.T) {
	uri, suite, keyring := debianMirror(t)
	if resp, err := http.Get(strings.TrimSuffix(uri, "/") + "/dists/" + suite + "/InRelease"); err != nil || resp.StatusCode != 200 {
		t.Skipf("NETWORK: the Debian mirror %s is unreachable: %v", uri, err)
	} else {
		resp.Body.Close()
	}
	opts := "[signed-by=" + keyring + "]"
	if keyring == "" {
		opts = ""
	}
	p := start(t, t.TempDir(), "ADMIN_TOKEN="+token)
	createRemote(t, p, map[string]any{"name": "debian", "package_type": "apt", "base_url": uri, "mutable_ttl": 600})
	timedUpdate := func(sources string) time.Duration {
		state := t.TempDir()
		start := time.Now()
		out, err := aptGet(t, state, sources, "update")
		if err != nil || strings.Contains(out, "Err:") || strings.Contains(out, "W: GPG") {
			t.Fatalf("apt-get update via %s: %v\n%s", sources, err, out)
		}
		took := time.Since(start)
		if out, err := aptGet(t, state, sources, "download", "hello"); err != nil {
			t.Fatalf("apt-get download hello via %s: %v\n%s", sources, err, out)
		}
		return took
	}
	direct := timedUpdate("deb " + opts + " " + uri + " " + suite + " main")
	proxied := "deb " + opts + " " + p.url + "/api/v1/remote/debian/ " + suite + " main"
	cold := timedUpdate(proxied)
	warm := timedUpdate(proxied)
	t.Logf("apt-get update of %s main (amd64): direct %v, through the proxy cold %v, warm %v",
		suite, direct.Round(time.Millisecond), cold.Round(time.Millisecond), warm.Round(time.Millisecond))
}

// A package the upstream changed after its Packages index was published is
// refused by the proxy (checked against the cached index entry) and never
// stored, so no later client gets it from the cache either (apt itself
// would refuse it too, but a cache must not keep it for clients that
// trust it).
func TestAptGetRefusesAChangedPackage(t *testing.T) {
	repo := aptRepo(t)
	up := httptest.NewServer(http.FileServer(http.Dir(repo)))
	defer up.Close()
	p := start(t, t.TempDir(), "ADMIN_TOKEN="+token)
	createRemote(t, p, map[string]any{"name": "deb", "package_type": "apt", "base_url": up.URL, "mutable_ttl": 300})
	sources := "deb [trusted=yes] " + p.url + "/api/v1/remote/deb/ stable main"
	state := t.TempDir()
	if out, err := aptGet(t, state, sources, "update"); err != nil || strings.Contains(out, "Err:") {
		t.Fatalf("apt-get update: %v\n%s", err, out)
	}
	debs, _ := filepath.Glob(filepath.Join(repo, "pool", "main", "h", "hello-proxy", "*.deb"))
	if len(debs) != 1 {
		t.Fatalf("debs %v", debs)
	}
	b, _ := os.ReadFile(debs[0])
	b[len(b)-1] ^= 0xff // same size, other bytes
	os.WriteFile(debs[0], b, 0o644)
	out, err := aptGet(t, state, sources, "download", "hello-proxy")
	if err == nil {
		t.Fatalf("apt-get download of a changed package succeeded:\n%s", out)
	}
	// The bytes stream to apt as they arrive; the mismatch shows at their
	// end, so the proxy breaks the connection instead of finishing it.
	if !strings.Contains(out, "Failed to fetch") {
		t.Fatalf("apt-get did not see the proxy's refusal:\n%s", out)
	}
	_, body := p.do("GET", "/api/v2/remotes/deb/objects?prefix=pool/", token, nil)
	if strings.Contains(string(body), ".deb") {
		t.Fatalf("the changed package was stored: %s", body)
	}
}
