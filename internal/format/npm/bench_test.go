package npm

import (
	"bytes"
	"fmt"
	"io"
	"net/url"
	"testing"
)

// packument is an npm document with n versions, about 1.5 KB each, as a
// popular package's is (typescript's has thousands).
func packument(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"_id":"big","name":"big","dist-tags":{"latest":"1.0.0"},"versions":{`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		v := fmt.Sprintf("1.%d.0", i)
		fmt.Fprintf(&b, `"%s":{"name":"big","version":"%s","description":"a package with many versions to measure the rewrite of its document","main":"index.js",`+
			`"dependencies":{"left-pad":"^1.0.0","lodash":"^4.17.21"},"scripts":{"test":"node test.js"},"license":"MIT",`+
			`"dist":{"shasum":"%040x","integrity":"sha512-%086x==","tarball":"https://registry.example.com/big/-/big-%s.tgz","fileCount":12,"unpackedSize":%d}}`,
			v, v, i, i, v, 10000+i)
	}
	b.WriteString(`},"time":{"created":"2020-01-01T00:00:00.000Z"}}`)
	return b.Bytes()
}

// BenchmarkRewritePackument rewrites a 3,000-version document (about 1.6
// MB) so its tarball links point back through the proxy: the work of
// every metadata miss of a popular package.
func BenchmarkRewritePackument(b *testing.B) {
	doc := packument(3000)
	base, _ := url.Parse("http://proxy.example/api/v1/remote/npm/")
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if err := (Type{}).Rewrite("big", base, bytes.NewReader(doc), io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPresentPackument presents a stored 3,000-version document
// with absolute tarball URLs: the work of every hit on a document too
// large to keep rendered in memory.
func BenchmarkPresentPackument(b *testing.B) {
	base, _ := url.Parse("http://proxy.example/api/v1/remote/npm/")
	var stored bytes.Buffer
	if err := (Type{}).Rewrite("big", base, bytes.NewReader(packument(3000)), &stored); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(stored.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if err := (Type{}).Present("big", "http://proxy.example/api/v1/remote/npm", bytes.NewReader(stored.Bytes()), io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
