package e2e

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// ociLayout writes OCI image layouts for skopeo to push: blobs are written
// once, and every image gets a ref name in index.json.
type ociLayout struct {
	t    *testing.T
	dir  string
	refs []map[string]any
}

type descriptor struct {
	MediaType string            `json:"mediaType"`
	Digest    string            `json:"digest"`
	Size      int64             `json:"size"`
	Platform  map[string]string `json:"platform,omitempty"`
}

func newOCILayout(t *testing.T) *ociLayout {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755)
	os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644)
	return &ociLayout{t: t, dir: dir}
}

func (l *ociLayout) blob(mediaType string, b []byte) descriptor {
	s := sha256.Sum256(b)
	hexd := hex.EncodeToString(s[:])
	if err := os.WriteFile(filepath.Join(l.dir, "blobs", "sha256", hexd), b, 0o644); err != nil {
		l.t.Fatal(err)
	}
	return descriptor{MediaType: mediaType, Digest: "sha256:" + hexd, Size: int64(len(b))}
}

func tarOf(name string, content []byte) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content))})
	io.Copy(tw, bytes.NewReader(content))
	tw.Close()
	return buf.Bytes()
}

// image adds a one-layer image for arch and returns its manifest descriptor.
func (l *ociLayout) image(arch string, content []byte) descriptor {
	layerTar := tarOf("/data", content)
	layer := l.blob("application/vnd.oci.image.layer.v1.tar", layerTar)
	cfg, _ := json.Marshal(map[string]any{"architecture": arch, "os": "linux",
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{layer.Digest}}, "config": map[string]any{}})
	config := l.blob("application/vnd.oci.image.config.v1+json", cfg)
	m, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": config, "layers": []descriptor{layer}})
	d := l.blob("application/vnd.oci.image.manifest.v1+json", m)
	d.Platform = map[string]string{"architecture": arch, "os": "linux"}
	return d
}

// index adds a multi-platform index over images.
func (l *ociLayout) index(images ...descriptor) descriptor {
	b, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": images})
	return l.blob("application/vnd.oci.image.index.v1+json", b)
}

// tag names d in the layout's index.json.
func (l *ociLayout) tag(d descriptor, name string) {
	l.refs = append(l.refs, map[string]any{"mediaType": d.MediaType, "digest": d.Digest, "size": d.Size,
		"annotations": map[string]string{"org.opencontainers.image.ref.name": name}})
	b, _ := json.Marshal(map[string]any{"schemaVersion": 2, "manifests": l.refs})
	if err := os.WriteFile(filepath.Join(l.dir, "index.json"), b, 0o644); err != nil {
		l.t.Fatal(err)
	}
}
