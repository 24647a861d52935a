package fetch

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/artifactapi/artifactapi/internal/meta"
)

func TestAcceptsGzip(t *testing.T) {
	for _, c := range []struct {
		hdr  []string
		want bool
	}{
		{nil, false},
		{[]string{"Accept-Encoding", "gzip"}, true},
		{[]string{"Accept-Encoding", "gzip, deflate, br"}, true},
		{[]string{"Accept-Encoding", "br;q=1.0, X-GZIP ; q=0.3"}, true},
		{[]string{"Accept-Encoding", "gzip;q=0"}, false},
		{[]string{"Accept-Encoding", "deflate, gzip; q=0.000"}, false},
		{[]string{"Accept-Encoding", "identity"}, false},
		{[]string{"Accept-Encoding", "*"}, false}, // gzip only when named
		{[]string{"Accept-Encoding", "gzip", "If-None-Match", `"x"`}, true},
		{[]string{"Accept-Encoding", "gzip", "Range", "bytes=0-1"}, false},
		{[]string{"Accept-Encoding", "gzip", "If-Modified-Since", "Mon, 02 Jan 2006 15:04:05 GMT"}, false},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		for i := 0; i+1 < len(c.hdr); i += 2 {
			r.Header.Set(c.hdr[i], c.hdr[i+1])
		}
		if got := acceptsGzip(r); got != c.want {
			t.Errorf("%q: %v, want %v", c.hdr, got, c.want)
		}
	}
}

func TestCompressible(t *testing.T) {
	for _, c := range []struct {
		ct   string
		size int64
		want bool
	}{
		{"application/json", 50000, true},
		{"application/vnd.npm.install-v1+json", 50000, true},
		{"text/html; charset=utf-8", 50000, true},
		{"application/x-yaml", 50000, true},
		{"application/json", 100, false},
		{"application/octet-stream", 50000, true}, // tried: kept only if smaller
		{"", 50000, true},
		{"application/x-xz", 50000, false},
		{"application/zstd", 50000, false},
		{"image/png", 50000, false},
		{"application/gzip", 50000, false},
		{"application/vnd.oci.image.index.v1+json", 50000, false},
		{"application/vnd.docker.distribution.manifest.v2+json", 50000, false},
	} {
		if got := compressible(meta.Object{ContentType: c.ct, Size: c.size}); got != c.want {
			t.Errorf("%s, %d bytes: %v, want %v", c.ct, c.size, got, c.want)
		}
	}
}

// A gzip copy is kept only when it comes out smaller; a document that
// does not compress is remembered, not compressed again on every request.
func TestGzipCopyOnlyWhenSmaller(t *testing.T) {
	e, _, _ := newEngine(t)
	text := bytes.Repeat([]byte(`{"name":"demo","version":"1.0.0"},`), 1000)
	random := make([]byte, 32<<10)
	rand.Read(random)
	tries := 0
	src := func(b []byte) func(context.Context) (io.ReadCloser, error) {
		return func(context.Context) (io.ReadCloser, error) {
			tries++
			return io.NopCloser(bytes.NewReader(b)), nil
		}
	}
	for range 3 {
		e.gzipLater("text", int64(len(text)), src(text))
		e.fills.Wait() // one document at a time on GOMAXPROCS=2
		e.gzipLater("random", int64(len(random)), src(random))
		e.fills.Wait()
	}
	if _, _, _, ok := e.kept(gzipKey("text")); !ok {
		t.Fatal("the copy of a text document was not kept")
	}
	if _, _, _, ok := e.kept(gzipKey("random")); ok {
		t.Fatal("a copy no smaller than the document was kept")
	}
	if tries != 2 {
		t.Fatalf("documents compressed %d times, want once each", tries)
	}
}
