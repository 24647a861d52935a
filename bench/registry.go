package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// registry is Debian's docker-registry (CNCF distribution) on a free
// loopback port: the origin of the skopeo row.
type registry struct {
	addr string
	cmd  *exec.Cmd
}

func startRegistry(work string) *registry {
	bin, err := exec.LookPath("docker-registry")
	check(err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	addr := ln.Addr().String()
	ln.Close()
	dir := filepath.Join(work, "registry")
	check(os.MkdirAll(dir, 0o755))
	cfg := fmt.Sprintf("version: 0.1\nlog: {level: warn}\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: %s}\n", filepath.Join(dir, "data"), addr)
	check(os.WriteFile(filepath.Join(dir, "config.yml"), []byte(cfg), 0o644))
	cmd := exec.Command(bin, "serve", filepath.Join(dir, "config.yml"))
	check(cmd.Start())
	for i := 0; ; i++ {
		if resp, err := http.Get("http://" + addr + "/v2/"); err == nil {
			resp.Body.Close()
			return &registry{addr: addr, cmd: cmd}
		}
		if i > 400 {
			cmd.Process.Kill()
			panic("docker-registry did not start")
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func (r *registry) stop() {
	r.cmd.Process.Kill()
	r.cmd.Wait()
}

// benchImage writes an OCI layout holding one image shaped like a small
// service's: eight layers, one of 32 MB, three of 4 MB and four of 64 KB
// (random bytes, so nothing compresses away), tagged "1".
func benchImage(dir string) {
	check(os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755))
	check(os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644))
	blob := func(mediaType string, b []byte) map[string]any {
		s := sha256.Sum256(b)
		h := hex.EncodeToString(s[:])
		check(os.WriteFile(filepath.Join(dir, "blobs", "sha256", h), b, 0o644))
		return map[string]any{"mediaType": mediaType, "digest": "sha256:" + h, "size": len(b)}
	}
	var layers []map[string]any
	var diffIDs []string
	for i, size := range []int{32 << 20, 4 << 20, 4 << 20, 4 << 20, 64 << 10, 64 << 10, 64 << 10, 64 << 10} {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("layer%d/data", i), Mode: 0o644, Size: int64(size)})
		tw.Write(randBytes(size))
		tw.Close()
		l := blob("application/vnd.oci.image.layer.v1.tar", buf.Bytes())
		layers = append(layers, l)
		diffIDs = append(diffIDs, l["digest"].(string))
	}
	cfg, _ := json.Marshal(map[string]any{"architecture": "amd64", "os": "linux",
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs}, "config": map[string]any{}})
	m, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": blob("application/vnd.oci.image.config.v1+json", cfg), "layers": layers})
	d := blob("application/vnd.oci.image.manifest.v1+json", m)
	d["annotations"] = map[string]string{"org.opencontainers.image.ref.name": "1"}
	idx, _ := json.Marshal(map[string]any{"schemaVersion": 2, "manifests": []any{d}})
	check(os.WriteFile(filepath.Join(dir, "index.json"), idx, 0o644))
}
