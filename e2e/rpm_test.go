package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const rpmSpec = `Name: hello-proxy
Version: 1.0
Release: 1
Summary: a test package
License: MIT
BuildArch: noarch

%description
A test package for the rpm type.

%install
mkdir -p %{buildroot}/usr/share/hello-proxy
echo hello > %{buildroot}/usr/share/hello-proxy/README

%files
/usr/share/hello-proxy/README
`

// rpmRepo builds a noarch rpm with rpmbuild and a repository around it
// with createrepo_c.
func rpmRepo(t *testing.T) string {
	needClient(t, "rpmbuild")
	needClient(t, "createrepo_c")
	top := t.TempDir()
	for _, d := range []string{"SPECS", "SOURCES", "BUILD", "RPMS", "SRPMS"} {
		os.MkdirAll(filepath.Join(top, d), 0o755)
	}
	spec := filepath.Join(top, "SPECS", "hello-proxy.spec")
	os.WriteFile(spec, []byte(rpmSpec), 0o644)
	run(t, "rpmbuild", "--define", "_topdir "+top, "--define", "_build_id_links none", "-bb", spec)
	repo := t.TempDir()
	rpms, _ := filepath.Glob(filepath.Join(top, "RPMS", "noarch", "*.rpm"))
	os.MkdirAll(filepath.Join(repo, "Packages"), 0o755)
	for _, r := range rpms {
		b, _ := os.ReadFile(r)
		os.WriteFile(filepath.Join(repo, "Packages", filepath.Base(r)), b, 0o644)
	}
	run(t, "createrepo_c", repo)
	return repo
}

// dnfDownload runs dnf against one repository URL with private state, and
// downloads the test package.
func dnfDownload(t *testing.T, repoURL string) (string, error) {
	dnf := needClient(t, "dnf")
	tmp := t.TempDir()
	dl := filepath.Join(tmp, "dl")
	cmd := exec.Command(dnf, "-y", "--installroot="+filepath.Join(tmp, "root"), "--setopt=reposdir=/dev/null",
		"--setopt=cachedir="+filepath.Join(tmp, "cache"), "--setopt=persistdir="+filepath.Join(tmp, "persist"), "--releasever=1",
		"--repofrompath=t,"+repoURL, "--disablerepo=*", "--enablerepo=t", "--setopt=t.gpgcheck=0",
		"install", "--downloadonly", "--downloaddir="+dl, "hello-proxy")
	out, err := cmd.CombinedOutput()
	if err == nil {
		if m, _ := filepath.Glob(filepath.Join(dl, "hello-proxy-1.0-1.noarch.rpm")); len(m) == 0 {
			return string(out), os.ErrNotExist
		}
	}
	return string(out), err
}

func TestDnfThroughProxy(t *testing.T) {
	repo := rpmRepo(t)
	up := httptest.NewServer(http.FileServer(http.Dir(repo)))
	defer up.Close()
	p := start(t, t.TempDir(), "ADMIN_TOKEN="+token)
	createRemote(t, p, map[string]any{"name": "el", "package_type": "rpm", "base_url": up.URL, "mutable_ttl": 300})
	for _, warm := range []bool{false, true} {
		if warm {
			up.Close() // repomd.xml, repodata and the rpm from the cache alone
		}
		if out, err := dnfDownload(t, p.url+"/api/v1/remote/el/"); err != nil {
			t.Fatalf("dnf (warm=%v): %v\n%s", warm, err, out)
		}
	}
	objs := listObjects(t, p, "el")
	if !strings.Contains(strings.Join(objs, " "), "-primary.xml") {
		t.Fatalf("repodata not cached: %v", objs)
	}
}

// A package the upstream changed after createrepo_c listed it fails the
// checksum the real primary.xml gives it: dnf gets no package, and the
// proxy keeps none.
func TestDnfTamperedPackageRefused(t *testing.T) {
	repo := rpmRepo(t)
	files := http.FileServer(http.Dir(repo))
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".rpm") {
			b, err := os.ReadFile(filepath.Join(repo, filepath.FromSlash(r.URL.Path)))
			if err != nil {
				http.NotFound(w, r)
				return
			}
			b[len(b)/2] ^= 0xff
			w.Write(b)
			return
		}
		files.ServeHTTP(w, r)
	}))
	defer up.Close()
	p := start(t, t.TempDir(), "ADMIN_TOKEN="+token)
	createRemote(t, p, map[string]any{"name": "el", "package_type": "rpm", "base_url": up.URL})
	if out, err := dnfDownload(t, p.url+"/api/v1/remote/el/"); err == nil {
		t.Fatalf("dnf took a tampered package:\n%s", out)
	}
	objs := strings.Join(listObjects(t, p, "el"), " ")
	if !strings.Contains(objs, "-primary.xml") || strings.Contains(objs, ".rpm") {
		t.Fatalf("cached: %s", objs)
	}
}

// listObjects names what a remote has cached.
func listObjects(t *testing.T, p *proc, remote string) []string {
	resp, body := p.do("GET", "/api/v2/remotes/"+remote+"/objects?limit=1000", token, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("objects: %d %s", resp.StatusCode, body)
	}
	var out struct{ Objects []struct{ Path string } }
	json.Unmarshal(body, &out)
	var ps []string
	for _, o := range out.Objects {
		ps = append(ps, o.Path)
	}
	return ps
}
