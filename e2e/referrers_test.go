package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const (
	sbomType = "application/spdx+json"
	sigType  = "application/vnd.dev.sigstore.bundle.v0.3+json"
)

// oras attaches an SBOM and a signature to an artifact in Debian's
// docker-registry (distribution 2.8: no referrers API, so oras keeps them
// under the sha256-{hex} tag); through the proxy, oras discovers them
// (all, and by artifactType) and pulls each, cold and then warm with the
// registry stopped.
func TestOrasReferrersThroughProxy(t *testing.T) {
	oras := builtClient(t, "oras")
	regAddr, stop := upstreamRegistry(t)
	dir := t.TempDir()
	files := map[string]string{"app.txt": "the application\n", "sbom.json": `{"spdxVersion":"SPDX-2.3","name":"app"}`, "sig.json": `{"signature":"not really"}`}
	for name, body := range files {
		os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
	}
	orasRun := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(oras, append(args, "--plain-http")...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "HOME="+dir) // no credentials or config of the machine's
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("oras %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
		}
		return out.String()
	}
	orasRun("push", regAddr+"/team/app:v1", "app.txt:text/plain")
	orasRun("attach", "--artifact-type", sbomType, regAddr+"/team/app:v1", "sbom.json")
	orasRun("attach", "--artifact-type", sigType, regAddr+"/team/app:v1", "sig.json")

	p := start(t, t.TempDir(), "ADMIN_TOKEN="+token)
	createRemote(t, p, map[string]any{"name": "reg", "package_type": "docker", "base_url": "http://" + regAddr})
	host := strings.TrimPrefix(p.url, "http://")
	subject := host + "/reg/team/app:v1"

	discover := func(filter string) map[string]string {
		t.Helper()
		args := []string{"discover", "--format", "json", subject}
		if filter != "" {
			args = append(args, "--artifact-type", filter)
		}
		var tree struct {
			Referrers []struct{ Digest, ArtifactType string }
			Manifests []struct{ Digest, ArtifactType string } // older oras output
		}
		out := orasRun(args...)
		if err := json.Unmarshal([]byte(out), &tree); err != nil {
			t.Fatalf("oras discover: %v\n%s", err, out)
		}
		found := map[string]string{}
		for _, r := range append(tree.Referrers, tree.Manifests...) {
			found[r.ArtifactType] = r.Digest
		}
		return found
	}
	for _, warm := range []bool{false, true} {
		if warm {
			stop() // the referrers list, manifests and blobs from the cache alone
		}
		all := discover("")
		if len(all) != 2 || all[sbomType] == "" || all[sigType] == "" {
			t.Fatalf("warm=%v: discovered %v, want the SBOM and the signature", warm, all)
		}
		// The proxy's own referrers API answered (oras would fall back to
		// the tag schema itself if it did not).
		subjectDigest := strings.TrimSpace(orasRun("resolve", subject))
		resp, err := http.Get(p.url + "/v2/reg/team/app/referrers/" + subjectDigest + "?artifactType=" + url.QueryEscape(sbomType))
		if err != nil {
			t.Fatal(err)
		}
		var idx struct{ Manifests []struct{ Digest string } }
		json.NewDecoder(resp.Body).Decode(&idx)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("OCI-Filters-Applied") != "artifactType" || len(idx.Manifests) != 1 || idx.Manifests[0].Digest != all[sbomType] {
			t.Fatalf("warm=%v: the referrers API: %d %v %+v", warm, resp.StatusCode, resp.Header, idx)
		}
		if only := discover(sbomType); len(only) != 1 || only[sbomType] != all[sbomType] {
			t.Fatalf("warm=%v: --artifact-type %s found %v", warm, sbomType, only)
		}
		for typ, file := range map[string]string{sbomType: "sbom.json", sigType: "sig.json"} {
			out := t.TempDir()
			orasRun("pull", "-o", out, host+"/reg/team/app@"+all[typ])
			if b, err := os.ReadFile(filepath.Join(out, file)); err != nil || string(b) != files[file] {
				t.Fatalf("warm=%v: pulled %s: %q %v", warm, file, b, err)
			}
		}
	}
}
