package compress

import (
	"bytes"
	"compress/gzip"
	"io"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

func TestReaderSniffsEachFormat(t *testing.T) {
	want := bytes.Repeat([]byte("Package: hello\nFilename: pool/main/h/hello.deb\n\n"), 100)
	var gz, xzb, zs bytes.Buffer
	g := gzip.NewWriter(&gz)
	g.Write(want)
	g.Close()
	x, _ := xz.NewWriter(&xzb)
	x.Write(want)
	x.Close()
	z, _ := zstd.NewWriter(&zs)
	z.Write(want)
	z.Close()
	// bzip2 has no writer in the standard library: a small stream made by
	// the bzip2 tool from "hello\n".
	bz := []byte("BZh91AY&SY\xc1\xc0\x80\xe2\x00\x00\x01A\x00\x00\x10\x02D\xa0\x000\xcd\x00\xc3F)\x97\x17rE8P\x90\xc1\xc0\x80\xe2")
	for name, c := range map[string]struct{ in, want []byte }{
		"plain": {want, want}, "gzip": {gz.Bytes(), want}, "xz": {xzb.Bytes(), want}, "zstd": {zs.Bytes(), want},
		"bzip2": {bz, []byte("hello\n")}, "empty": {nil, nil},
	} {
		rc, err := Reader(bytes.NewReader(c.in))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, c.want) {
			t.Fatalf("%s: %d bytes, %v", name, len(got), err)
		}
	}
	if _, err := Reader(bytes.NewReader([]byte{0x1f, 0x8b, 0, 0})); err == nil {
		t.Fatal("a broken gzip header read without error")
	}
}
