package fetch

import (
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
		{"application/octet-stream", 50000, false},
		{"application/gzip", 50000, false},
		{"application/vnd.oci.image.index.v1+json", 50000, false},
		{"application/vnd.docker.distribution.manifest.v2+json", 50000, false},
	} {
		if got := compressible(meta.Object{ContentType: c.ct, Size: c.size}); got != c.want {
			t.Errorf("%s, %d bytes: %v, want %v", c.ct, c.size, got, c.want)
		}
	}
}
