package provider

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/artifactapi/terraform-provider-artifactapi/internal/client"
)

const accToken = "acceptance-token-0123456789"

var factories = map[string]func() (tfprotov6.ProviderServer, error){
	"artifactapi": providerserver.NewProtocol6WithError(New("test")()),
}

// server starts the ArtifactAPI binary, built from this repository, on a
// temp DATA_DIR, and points the provider at it.
func server(t *testing.T) *client.Client {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance tests run with TF_ACC=1 (make test sets it)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "artifactapi")
	build := exec.Command("go", "build", "-o", bin, "./cmd/artifactapi")
	build.Dir = "../../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the server: %v\n%s", err, out)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "DATA_DIR="+filepath.Join(dir, "data"), "LISTEN_ADDR="+addr, "ADMIN_TOKEN="+accToken, "LOG_LEVEL=warn")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	endpoint := "http://" + addr
	for i := 0; ; i++ {
		if resp, err := http.Get(endpoint + "/api/v2/health"); err == nil {
			resp.Body.Close()
			break
		}
		if i > 300 {
			t.Fatal("ArtifactAPI did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// OpenTofu resolves an implied provider on its own registry; the test
	// framework's reattached provider must carry that address.
	t.Setenv("TF_ACC_PROVIDER_HOST", "registry.opentofu.org")
	t.Setenv("TF_ACC_PROVIDER_NAMESPACE", "hashicorp")
	t.Setenv("CHECKPOINT_DISABLE", "1")
	t.Setenv("ARTIFACTAPI_ENDPOINT", endpoint)
	t.Setenv("ARTIFACTAPI_TOKEN", accToken)
	return client.New(endpoint, accToken)
}

// served are the package types this server build serves; the others are
// refused by the server with its clear 400 until they land.
var served = map[string]bool{"puppet": true, "rpm": true, "alpine": true, "apt": true, "terraform": true, "generic": true, "docker": true, "helm": true, "pypi": true, "npm": true, "goproxy": true}

// The seed's example, with base URLs on local test upstreams, applies;
// then a chart comes through the helm virtual it creates.
func TestAccSeedExample(t *testing.T) {
	c := server(t)
	charts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/index.yaml" {
			fmt.Fprint(w, "apiVersion: v1\nentries:\n  cert-manager:\n  - name: cert-manager\n    version: 1.0.0\n    urls:\n    - cert-manager-1.0.0.tgz\ngenerated: x\n")
			return
		}
		http.NotFound(w, r)
	}))
	defer charts.Close()
	seed, err := os.ReadFile("../../examples/main.tf")
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.NewReplacer("https://github.com", "http://127.0.0.1:9/github", "https://registry-1.docker.io", "http://127.0.0.1:9/docker",
		"https://charts.jetstack.io", charts.URL).Replace(string(seed))
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: factories, Steps: []resource.TestStep{{
		Config: cfg,
		Check: resource.ComposeTestCheckFunc(
			resource.TestCheckResourceAttr("artifactapi_remote_docker.dockerhub", "ban_tags.0", "latest"),
			resource.TestCheckResourceAttr("artifactapi_virtual.helm", "members.0", "jetstack"),
			func(*terraform.State) error {
				resp, err := http.Get(c.Endpoint + "/api/v1/virtual/helm/index.yaml")
				if err != nil {
					return err
				}
				defer resp.Body.Close()
				var b strings.Builder
				buf := make([]byte, 4096)
				n, _ := resp.Body.Read(buf)
				b.Write(buf[:n])
				if resp.StatusCode != 200 || !strings.Contains(b.String(), "../../remote/jetstack/cert-manager-1.0.0.tgz") {
					return fmt.Errorf("helm virtual: %d %s", resp.StatusCode, b.String())
				}
				return nil
			}),
	}}})
}
