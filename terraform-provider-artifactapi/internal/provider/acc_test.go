package provider

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
var served = map[string]bool{"generic": true, "docker": true, "helm": true, "pypi": true, "npm": true, "goproxy": true}

func TestAccRemoteEveryType(t *testing.T) {
	c := server(t)
	for _, pt := range PackageTypes {
		t.Run(pt, func(t *testing.T) {
			res := "artifactapi_remote_" + pt + ".r"
			cfg := func(ttl int, patterns string) string {
				extra := ""
				if pt == "docker" {
					extra = "ban_tags_enabled = true\n  ban_tags = [\"latest\"]"
				}
				return fmt.Sprintf(`resource "artifactapi_remote_%s" "r" {
  name = "acc-%s"
  base_url = "https://example.com/%s"
  mutable_ttl = %d
  patterns = [%s]
  password = "s3cret"
  %s
}`, pt, pt, pt, ttl, patterns, extra)
			}
			if !served[pt] {
				resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: factories, Steps: []resource.TestStep{{
					Config: cfg(60, ""), ExpectError: regexp.MustCompile(`unknown package_type`),
				}}})
				return
			}
			name := "acc-" + pt
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: factories,
				CheckDestroy: func(*terraform.State) error {
					if _, err := c.GetRemote(context.Background(), name); err == nil {
						return fmt.Errorf("remote %s still exists", name)
					}
					return nil
				},
				Steps: []resource.TestStep{
					{Config: cfg(60, `"^a/"`), Check: resource.ComposeTestCheckFunc(
						resource.TestCheckResourceAttr(res, "mutable_ttl", "60"),
						resource.TestCheckResourceAttr(res, "immutable_ttl", "0"),
						resource.TestCheckResourceAttr(res, "negative_ttl", "60"),
						resource.TestCheckResourceAttr(res, "patterns.0", "^a/"),
						func(*terraform.State) error {
							r, err := c.GetRemote(context.Background(), name)
							if err != nil || r.MutableTTL != 60 || r.PackageType != pt {
								return fmt.Errorf("on the server: %+v %v", r, err)
							}
							return nil
						})},
					{ResourceName: res, ImportState: true, ImportStateId: name, ImportStateVerify: true,
						ImportStateVerifyIdentifierAttribute: "name", ImportStateVerifyIgnore: []string{"password"}},
					{Config: cfg(120, `"^a/", "^b/"`), Check: resource.ComposeTestCheckFunc(
						resource.TestCheckResourceAttr(res, "mutable_ttl", "120"),
						resource.TestCheckResourceAttr(res, "patterns.#", "2"))},
				},
			})
		})
	}
}

func TestAccDrift(t *testing.T) {
	c := server(t)
	cfg := `resource "artifactapi_remote_generic" "d" {
  name = "drift"
  base_url = "https://example.com"
}`
	ctx := context.Background()
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: factories, Steps: []resource.TestStep{
		{Config: cfg},
		{PreConfig: func() { // changed outside Terraform
			r, _ := c.GetRemote(ctx, "drift")
			r.BaseURL = "https://elsewhere.example"
			if _, err := c.UpdateRemote(ctx, *r); err != nil {
				t.Fatal(err)
			}
		}, Config: cfg, PlanOnly: true, ExpectNonEmptyPlan: true},
		{Config: cfg}, // applied back
		{PreConfig: func() { // deleted outside Terraform
			if err := c.DeleteRemote(ctx, "drift"); err != nil {
				t.Fatal(err)
			}
		}, Config: cfg, PlanOnly: true, ExpectNonEmptyPlan: true},
	}})
}

func TestAccPlanTimeErrors(t *testing.T) {
	c := server(t)
	if _, err := c.CreateRemote(context.Background(), client.Remote{Name: "gen", PackageType: "generic", BaseURL: "https://example.com"}); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct{ cfg, want string }{
		"bad name": {`resource "artifactapi_remote_generic" "x" {
  name = "-x"
  base_url = "https://e.com"
}`, `Invalid name`},
		"bad regex": {`resource "artifactapi_remote_generic" "x" {
  name = "x"
  base_url = "https://e.com"
  patterns = ["(["]
}`, `Invalid regular expression`},
		"negative ttl": {`resource "artifactapi_remote_generic" "x" {
  name = "x"
  base_url = "https://e.com"
  mutable_ttl = -1
}`, `at least 0`},
		"bad url": {`resource "artifactapi_remote_generic" "x" {
  name = "x"
  base_url = "ftp://e.com"
}`, `Invalid base_url`},
		"bad type": {`resource "artifactapi_virtual" "v" {
  name = "v"
  package_type = "maven"
  members = ["gen"]
}`, `value must be one of`},
		"member type": {`resource "artifactapi_virtual" "v" {
  name = "v"
  package_type = "helm"
  members = ["gen"]
}`, `Member of another package type`},
	} {
		t.Run(name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: factories, Steps: []resource.TestStep{{
				Config: tc.cfg, PlanOnly: true, ExpectError: regexp.MustCompile(tc.want),
			}}})
		})
	}
}

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

func TestAccVirtualAndDataSources(t *testing.T) {
	server(t)
	cfg := func(members string) string {
		return `resource "artifactapi_remote_helm" "a" {
  name = "charts-a"
  base_url = "https://a.example.com"
}
resource "artifactapi_remote_helm" "b" {
  name = "charts-b"
  base_url = "https://b.example.com"
  mutable_ttl = 30
}
resource "artifactapi_virtual" "v" {
  name = "charts"
  package_type = "helm"
  members = [` + members + `]
}
data "artifactapi_remote" "b" {
  name = artifactapi_remote_helm.b.name
}
data "artifactapi_virtual" "v" {
  name = artifactapi_virtual.v.name
}`
	}
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: factories, Steps: []resource.TestStep{
		{Config: cfg(`artifactapi_remote_helm.a.name`), Check: resource.ComposeTestCheckFunc(
			resource.TestCheckResourceAttr("artifactapi_virtual.v", "members.#", "1"),
			resource.TestCheckResourceAttr("data.artifactapi_remote.b", "package_type", "helm"),
			resource.TestCheckResourceAttr("data.artifactapi_remote.b", "mutable_ttl", "30"),
			resource.TestCheckResourceAttr("data.artifactapi_virtual.v", "members.0", "charts-a"))},
		{ResourceName: "artifactapi_virtual.v", ImportState: true, ImportStateId: "charts", ImportStateVerify: true,
			ImportStateVerifyIdentifierAttribute: "name"},
		{Config: cfg(`artifactapi_remote_helm.b.name, artifactapi_remote_helm.a.name`), Check: resource.ComposeTestCheckFunc(
			resource.TestCheckResourceAttr("artifactapi_virtual.v", "members.0", "charts-b"),
			resource.TestCheckResourceAttr("artifactapi_virtual.v", "members.1", "charts-a"))},
	}})
}
