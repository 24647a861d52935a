package e2e

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/artifactapi/artifactapi/internal/format/alpine/alpinetest"
)

// apkFetch is what apk does with a repository (there is no apk in
// Debian): read APKINDEX.tar.gz, then fetch each package and check its
// size and the sha1 of its control segment against the index.
func apkFetch(t *testing.T, repo string) int {
	resp, err := http.Get(repo + "/APKINDEX.tar.gz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("APKINDEX: %v %v", resp, err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var index []byte
	for h, err := tr.Next(); err == nil; h, err = tr.Next() {
		if h.Name == "APKINDEX" {
			index, _ = io.ReadAll(tr)
		}
	}
	n := 0
	for _, rec := range strings.Split(string(index), "\n\n") {
		f := map[string]string{}
		sc := bufio.NewScanner(strings.NewReader(rec))
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok {
				f[k] = v
			}
		}
		if f["P"] == "" {
			continue
		}
		resp, err := http.Get(repo + "/" + f["P"] + "-" + f["V"] + ".apk")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %v %v", f["P"], resp, err)
		}
		apk, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || strconv.Itoa(len(apk)) != f["S"] {
			t.Fatalf("%s: %d bytes, index says %s (%v)", f["P"], len(apk), f["S"], err)
		}
		if got := controlChecksum(t, apk); got != f["C"] {
			t.Fatalf("%s: control checksum %s, index says %s", f["P"], got, f["C"])
		}
		n++
	}
	return n
}

// controlChecksum is Q1 + sha1 of the first gzip member that is not a
// signature, found as apk finds it.
func controlChecksum(t *testing.T, apk []byte) string {
	br := bytes.NewReader(apk)
	for br.Len() > 0 {
		start := len(apk) - br.Len()
		zr, err := gzip.NewReader(br)
		if err != nil {
			t.Fatal(err)
		}
		zr.Multistream(false)
		tr := tar.NewReader(zr)
		sig := false
		for h, err := tr.Next(); err == nil; h, err = tr.Next() {
			sig = sig || strings.HasPrefix(h.Name, ".SIGN.")
		}
		io.Copy(io.Discard, zr)
		if !sig {
			s := sha1.Sum(apk[start : len(apk)-br.Len()])
			return "Q1" + base64.StdEncoding.EncodeToString(s[:])
		}
	}
	return ""
}

func TestApkRepositoryThroughProxy(t *testing.T) {
	pkgs := []alpinetest.Package{alpinetest.Build("hello", "1.0-r0", true), alpinetest.Build("world", "2.3-r1", false)}
	files := map[string][]byte{"/v3.20/main/x86_64/APKINDEX.tar.gz": alpinetest.Index(pkgs...)}
	for _, p := range pkgs {
		files["/v3.20/main/x86_64/"+p.File()] = p.APK
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if b, ok := files[r.URL.Path]; ok {
			w.Write(b)
			return
		}
		http.NotFound(w, r)
	}))
	defer up.Close()
	p := start(t, t.TempDir(), "ADMIN_TOKEN="+token)
	createRemote(t, p, map[string]any{"name": "alpine", "package_type": "alpine", "base_url": up.URL})
	for _, warm := range []bool{false, true} {
		if warm {
			up.Close()
		}
		if n := apkFetch(t, p.url+"/api/v1/remote/alpine/v3.20/main/x86_64"); n != len(pkgs) {
			t.Fatalf("fetched %d packages (warm=%v)", n, warm)
		}
	}
}
