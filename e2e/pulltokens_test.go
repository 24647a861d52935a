package e2e

import (
	"crypto/sha256"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Real clients pass a pull token the way each takes registry
// credentials, against remotes that require one; without it they fail.
func TestPullTokensWithRealClients(t *testing.T) {
	python := needClient(t, "python3")
	needClient(t, "npm")
	helm := helmClient(t)

	// One upstream of each kind.
	file, whl := wheel("tok-pkg", "1.0.0")
	pypiUp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/simple/tok-pkg/":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(w, "<html><body><a href=\"/packages/%s#sha256=%x\">%s</a></body></html>\n", file, sha256.Sum256(whl), file)
		case "/packages/" + file:
			w.Write(whl)
		default:
			http.NotFound(w, r)
		}
	}))
	defer pypiUp.Close()
	npmUp := newNPMRegistry(t, map[string]map[string]string{"tokleaf": nil}, nil)
	tree := t.TempDir()
	goproxyTree(t, tree, "example.test/tok", "v1.0.0")
	goUp := httptest.NewServer(http.FileServer(http.Dir(tree)))
	defer goUp.Close()
	chart := chartTgz("tokchart", "0.1.0")
	helmUp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/index.yaml":
			fmt.Fprintf(w, "apiVersion: v1\nentries:\n  tokchart:\n  - apiVersion: v2\n    name: tokchart\n    version: 0.1.0\n    digest: %s\n    urls:\n    - tokchart-0.1.0.tgz\n", hexSum(chart))
		case "/tokchart-0.1.0.tgz":
			w.Write(chart)
		default:
			http.NotFound(w, r)
		}
	}))
	defer helmUp.Close()

	p := start(t, t.TempDir(), "ADMIN_TOKEN="+token)
	for name, base := range map[string]string{"pypi": pypiUp.URL, "npm": npmUp.URL, "goproxy": goUp.URL, "helm": helmUp.URL} {
		createRemote(t, p, map[string]any{"name": "priv-" + name, "package_type": name, "base_url": base, "auth_required": true})
	}
	resp, body := p.do("POST", "/api/v2/tokens", token, map[string]any{"name": "ci"})
	var created struct{ Token string }
	if resp.StatusCode != 201 || jsonInto(body, &created) != nil || created.Token == "" {
		t.Fatalf("create token: %d %s", resp.StatusCode, body)
	}
	secret := created.Token
	u, _ := url.Parse(p.url)

	// pip: the token as the password of the index URL.
	simple := func(cred string) string { return "http://" + cred + u.Host + "/api/v1/remote/priv-pypi/simple/" }
	dl := t.TempDir()
	pip(t, python, "download", "--no-deps", "--index-url", simple("ci:"+secret+"@"), "-d", dl, "tok-pkg")
	if _, err := os.Stat(filepath.Join(dl, file)); err != nil {
		t.Fatalf("pip download with the token: %v", err)
	}
	if out, err := exec.Command(python, "-m", "pip", "--isolated", "download", "--no-deps", "--no-cache-dir", "--index-url", simple(""), "-d", t.TempDir(), "tok-pkg").CombinedOutput(); err == nil {
		t.Fatalf("pip without the token succeeded:\n%s", out)
	}

	// npm: _authToken for the registry's path in .npmrc.
	registry := p.url + "/api/v1/remote/priv-npm/"
	npmrc := filepath.Join(t.TempDir(), "npmrc")
	os.WriteFile(npmrc, []byte("//"+u.Host+"/api/v1/remote/priv-npm/:_authToken="+secret+"\n"), 0o600)
	npmWith := func(userconfig string) ([]byte, error) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name":"proj","version":"1.0.0"}`), 0o644)
		cmd := exec.Command("npm", "install", "--registry", registry, "--cache", t.TempDir(), "--no-audit", "--no-fund", "--package-lock=false", "tokleaf")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "NPM_CONFIG_USERCONFIG="+userconfig)
		return cmd.CombinedOutput()
	}
	if out, err := npmWith(npmrc); err != nil {
		t.Fatalf("npm with _authToken: %v\n%s", err, out)
	}
	if out, err := npmWith(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Fatalf("npm without the token succeeded:\n%s", out)
	}

	// go: GOAUTH's default reads $NETRC, and the go command sends
	// credentials over https only: through a TLS front, as a deployment
	// would have.
	front := httptest.NewTLSServer(httputil.NewSingleHostReverseProxy(u))
	defer front.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: front.Certificate().Raw}), 0o644)
	fu, _ := url.Parse(front.URL)
	netrc := filepath.Join(t.TempDir(), "netrc")
	// The go command matches machine against host:port.
	os.WriteFile(netrc, []byte("machine "+fu.Host+" login ci password "+secret+"\n"), 0o600)
	goWith := func(netrcFile string) ([]byte, error) {
		cmd := exec.Command("go", "mod", "download", "-json", "example.test/tok@v1.0.0")
		cmd.Dir = t.TempDir()
		cmd.Env = append(os.Environ(), "GOPROXY="+front.URL+"/api/v1/remote/priv-goproxy", "GOSUMDB=off", "GOFLAGS=-modcacherw",
			"GOMODCACHE="+t.TempDir(), "GONOSUMDB=", "GOPRIVATE=", "GONOPROXY=", "GOTOOLCHAIN=local",
			"NETRC="+netrcFile, "GOAUTH=netrc", "SSL_CERT_FILE="+ca)
		return cmd.CombinedOutput()
	}
	if out, err := goWith(netrc); err != nil || !strings.Contains(string(out), `"Zip"`) {
		t.Fatalf("go with .netrc: %v\n%s", err, out)
	}
	if out, err := goWith(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Fatalf("go without the token succeeded:\n%s", out)
	}

	// helm: --username / --password on repo add.
	home, out := t.TempDir(), t.TempDir()
	helmRun(t, helm, home, "repo", "add", "priv", p.url+"/api/v1/remote/priv-helm", "--username", "ci", "--password", secret)
	helmRun(t, helm, home, "pull", "priv/tokchart", "--version", "0.1.0", "-d", out)
	if _, err := os.Stat(filepath.Join(out, "tokchart-0.1.0.tgz")); err != nil {
		t.Fatalf("helm pull with the token: %v", err)
	}
	cmd := exec.Command(helm, "repo", "add", "anon", p.url+"/api/v1/remote/priv-helm")
	anon := t.TempDir()
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+anon+"/cache", "HELM_CONFIG_HOME="+anon+"/config", "HELM_DATA_HOME="+anon+"/data")
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Fatalf("helm without the token succeeded:\n%s", out)
	}
}

func jsonInto(b []byte, v any) error { return json.Unmarshal(b, v) }
