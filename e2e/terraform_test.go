package e2e

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// providerFixture is a provider registry (versions and download
// documents) whose archive, SHA256SUMS and signature live on a second
// host, signed with a throwaway GPG key.
type providerFixture struct {
	registry, files *httptest.Server
	zip             []byte
}

func newProviderFixture(t *testing.T) *providerFixture {
	needClient(t, "gpg")
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	w, _ := zw.Create("terraform-provider-hello_v1.0.0")
	w.Write([]byte("#!/bin/sh\necho a test provider that init never runs\n"))
	zw.Close()
	name := "terraform-provider-hello_1.0.0_linux_amd64.zip"
	sum := sha256.Sum256(zbuf.Bytes())
	sums := []byte(hex.EncodeToString(sum[:]) + "  " + name + "\n")

	home := t.TempDir()
	gpg := func(args ...string) []byte {
		cmd := exec.Command("gpg", append([]string{"--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase", ""}, args...)...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("gpg %v: %v", args, err)
		}
		return out
	}
	gpg("--quick-gen-key", "ArtifactAPI test <test@example.invalid>", "rsa2048", "sign", "never")
	armor := gpg("--armor", "--export")
	var keyID string
	for _, l := range strings.Split(string(gpg("--with-colons", "--list-keys")), "\n") {
		if f := strings.Split(l, ":"); f[0] == "pub" && len(f) > 4 {
			keyID = f[4]
		}
	}
	sumsFile := filepath.Join(home, "SHA256SUMS")
	os.WriteFile(sumsFile, sums, 0o644)
	gpg("--detach-sign", "--output", sumsFile+".sig", sumsFile)
	sig, _ := os.ReadFile(sumsFile + ".sig")

	f := &providerFixture{zip: zbuf.Bytes()}
	module := moduleArchive(t)
	f.files = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/modules/net-1.0.0.tar.gz":
			w.Write(module)
		case "/releases/" + name:
			w.Write(f.zip)
		case "/releases/SHA256SUMS":
			w.Write(sums)
		case "/releases/SHA256SUMS.sig":
			w.Write(sig)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(f.files.Close)
	f.registry = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v1/modules/demo/net/aws/versions":
			fmt.Fprint(w, `{"modules":[{"versions":[{"version":"1.0.0"}]}]}`)
		case "/v1/modules/demo/net/aws/1.0.0/download":
			w.Header().Set("X-Terraform-Get", f.files.URL+"/modules/net-1.0.0.tar.gz")
			w.WriteHeader(http.StatusNoContent)
		case "/v1/providers/demo/hello/versions":
			fmt.Fprint(w, `{"versions":[{"version":"1.0.0","protocols":["5.0"],"platforms":[{"os":"linux","arch":"amd64"}]}]}`)
		case "/v1/providers/demo/hello/1.0.0/download/linux/amd64":
			json.NewEncoder(w).Encode(map[string]any{"protocols": []string{"5.0"}, "os": "linux", "arch": "amd64", "filename": name,
				"download_url": f.files.URL + "/releases/" + name, "shasums_url": f.files.URL + "/releases/SHA256SUMS",
				"shasums_signature_url": f.files.URL + "/releases/SHA256SUMS.sig", "shasum": hex.EncodeToString(sum[:]),
				"signing_keys": map[string]any{"gpg_public_keys": []map[string]string{{"key_id": keyID, "ascii_armor": string(armor)}}}})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(f.registry.Close)
	return f
}

// moduleArchive is a module as a registry's X-Terraform-Get names it.
func moduleArchive(t *testing.T) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	body := []byte("output \"greeting\" { value = \"hello from a proxied module\" }\n")
	tw.WriteHeader(&tar.Header{Name: "main.tf", Mode: 0o644, Size: int64(len(body))})
	tw.Write(body)
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

// tofuInit runs `tofu init` for a configuration that requires the test
// provider and module from a registry host whose services point at root
// (…/v1/providers/ and …/v1/modules/ under it).
func tofuInit(t *testing.T, tofu, root string) (string, error) {
	dir := t.TempDir()
	cli := filepath.Join(dir, "cli.tfrc")
	os.WriteFile(cli, []byte(`host "registry.artifactapi.test" {
  services = { "providers.v1" = "`+root+`/v1/providers/", "modules.v1" = "`+root+`/v1/modules/" }
}
`), 0o644)
	os.WriteFile(filepath.Join(dir, "main.tf"), []byte(`terraform {
  required_providers {
    hello = { source = "registry.artifactapi.test/demo/hello", version = "1.0.0" }
  }
}
module "net" {
  source  = "registry.artifactapi.test/demo/net/aws"
  version = "1.0.0"
}
`), 0o644)
	cmd := exec.Command(tofu, "init", "-input=false", "-no-color")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+cli, "TF_PLUGIN_CACHE_DIR=", "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		if b, rerr := os.ReadFile(filepath.Join(dir, ".terraform", "modules", "net", "main.tf")); rerr != nil || !strings.Contains(string(b), "proxied module") {
			return string(out), fmt.Errorf("module not installed: %v", rerr)
		}
	}
	return string(out), err
}

// tofu init installs a signed provider through the proxy: the download
// document rewritten so the archive, SHA256SUMS and signature on the
// second host come back through it; cold, then warm with both hosts gone.
func TestTofuInitThroughProxy(t *testing.T) {
	tofu, err := filepath.Abs("../bin/tofu")
	if _, serr := os.Stat(tofu); err != nil || serr != nil {
		tofu = needClient(t, "tofu")
	}
	f := newProviderFixture(t)
	p := start(t, t.TempDir(), "ADMIN_TOKEN="+token)
	createRemote(t, p, map[string]any{"name": "tf", "package_type": "terraform", "base_url": f.registry.URL})
	for _, warm := range []bool{false, true} {
		if warm {
			f.registry.Close()
			f.files.Close()
		}
		out, err := tofuInit(t, tofu, p.url+"/api/v1/remote/tf")
		if err != nil || !strings.Contains(out, "Installed registry.artifactapi.test/demo/hello v1.0.0 (signed") {
			t.Fatalf("tofu init (warm=%v): %v\n%s", warm, err, out)
		}
	}
}
