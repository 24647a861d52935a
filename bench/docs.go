package main

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// metadata writes the documents package managers ask for most: an npm
// packument (300 versions, about 160 KB), a PEP 503 page (300 files) and
// a helm index.yaml (100 charts × 5 versions), under npm/, pypi/ and helm/.
func metadata(files string) {
	writeAt(filepath.Join(files, "npm", "demo"), packument("demo", 300, `{"left-pad":"^1.0.0"}`))
	// A packument of the largest kind (@types/node, aws-sdk): 30,000
	// versions, about 11 MB.
	writeAt(filepath.Join(files, "npm", "huge"), packument("huge", 30000, `{"left-pad":"^1.0.0","lodash":"^4.17.0"}`))

	var page bytes.Buffer
	page.WriteString("<!DOCTYPE html>\n<html><body>\n")
	for i := range 300 {
		fmt.Fprintf(&page, "<a href=\"../../packages/demo-1.%d.0.tar.gz#sha256=%x\" data-requires-python=\"&gt;=3.8\">demo-1.%d.0.tar.gz</a><br/>\n", i, sha256.Sum256(fmt.Append(nil, i)), i)
	}
	page.WriteString("</body></html>\n")
	writeAt(filepath.Join(files, "pypi", "simple", "demo", "index.html"), page.Bytes())

	var idx bytes.Buffer
	idx.WriteString("apiVersion: v1\nentries:\n")
	for c := range 100 {
		fmt.Fprintf(&idx, "  chart%03d:\n", c)
		for v := range 5 {
			fmt.Fprintf(&idx, "  - apiVersion: v2\n    created: \"2024-01-01T00:00:00Z\"\n    digest: %x\n    name: chart%03d\n    urls:\n    - charts/chart%03d-1.%d.0.tgz\n    version: 1.%d.0\n", sha256.Sum256(fmt.Append(nil, c*5+v)), c, c, v, v)
		}
	}
	fmt.Fprintf(&idx, "generated: %q\n", time.Now().UTC().Format(time.RFC3339))
	writeAt(filepath.Join(files, "helm", "index.yaml"), idx.Bytes())
}

// packument is an npm document of n versions of name, each with deps
// (a JSON object) and a tarball on the origin.
func packument(name string, n int, deps string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"_id":%q,"name":%q,"dist-tags":{"latest":"1.%d.0"},"versions":{`, name, name, n-1)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		// Digests as random as real ones: zeros would compress far
		// better than a real document does.
		id := fmt.Append(nil, name, i)
		sha1Sum, sha512Sum := sha1.Sum(id), sha512.Sum512(id)
		fmt.Fprintf(&b, `"1.%[1]d.0":{"name":%[2]q,"version":"1.%[1]d.0","dependencies":%[3]s,"dist":{"shasum":"%[4]x","integrity":"sha512-%[5]s","tarball":"http://origin.invalid/npm/%[2]s/-/%[2]s-1.%[1]d.0.tgz"}}`,
			i, name, deps, sha1Sum, base64.StdEncoding.EncodeToString(sha512Sum[:]))
	}
	b.WriteString(`}}`)
	return b.Bytes()
}

func writeAt(path string, b []byte) {
	check(os.MkdirAll(filepath.Dir(path), 0o755))
	check(os.WriteFile(path, b, 0o644))
}

// metadataRows measures warm hits of each document: what every npm install,
// pip install and helm repo update asks first. ArtifactAPI serves the
// rewritten copy it stored; nginx the origin's bytes.
func metadataRows(t *table, pr pair, pAddr, token, origin string, dur time.Duration) {
	docs := []struct {
		typ, base, path, label string
		conns                  int
	}{
		{"npm", "npm/", "demo", "npm packument (300 versions)", 64},
		{"pypi", "pypi/", "simple/demo/", "PyPI simple page (300 files)", 64},
		{"helm", "helm", "index.yaml", "helm index.yaml (500 entries)", 64},
		{"npm", "npm/", "huge", "npm packument (30,000 versions, 11 MB)", 8},
	}
	made := map[string]bool{}
	for _, d := range docs {
		if !made[d.typ] {
			api(pAddr, token, "POST", "/api/v2/remotes", fmt.Sprintf(`{"name":"m-%s","package_type":"%s","base_url":"http://%s/%s"}`, d.typ, d.typ, origin, d.base))
			made[d.typ] = true
		}
		n := pr.nx + d.base
		if d.typ == "helm" {
			n += "/"
		}
		n += d.path
		p := "http://" + pAddr + "/api/v1/remote/m-" + d.typ + "/" + d.path
		get(n)
		get(p)
		url := map[string]string{pr.nx: n, pr.px: p}
		rn, rp := pr.warm(func(b string) result { return load(func(int) string { return url[b] }, 1, d.conns, dur) })
		t.higher(fmt.Sprintf("warm %s, %d conns: req/s", d.label, d.conns), rn.reqs, rp.reqs, "≥ 0.9×")
		if d.conns == 64 {
			// What npm, pip and helm send: ArtifactAPI answers from
			// its gzip copy, made once; nginx-cache passes on what the
			// origin sent (nginx's gzip filter would compress every
			// response anew).
			getGzip(p)
			time.Sleep(100 * time.Millisecond) // the copy is made off the request path
			rn, rp := pr.warm(func(b string) result { return loadWith(getGzip, func(int) string { return url[b] }, 1, d.conns, dur) })
			t.higher("same, clients accepting gzip (as npm, pip and helm do): req/s", rn.reqs, rp.reqs, "–")
			t.note(fmt.Sprintf("%s with gzip accepted: %.1f MB/s on the wire from nginx-cache, %.1f MB/s from ArtifactAPI", d.label, rn.mbps, rp.mbps))
		}
	}
}
