package rpm

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	"github.com/artifactapi/artifactapi/internal/blob"
)

const primaryXML = `<?xml version="1.0" encoding="UTF-8"?>
<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="4">
<package type="rpm"><name>hello</name><checksum type="sha256" pkgid="YES">AAAA000000000000000000000000000000000000000000000000000000000001</checksum>
<size package="1234" installed="5000" archive="5100"/><location href="Packages/h/hello-1.0-1.noarch.rpm"/></package>
<package type="rpm"><name>old</name><checksum type="sha">da39a3ee5e6b4b0d3255bfef95601890afd80709</checksum>
<size package="10"/><location href="Packages/o/old-1-1.noarch.rpm"/></package>
<package type="rpm"><name>away</name><checksum type="sha256">bb</checksum><location xml:base="http://elsewhere/" href="a/away.rpm"/></package>
<package type="rpm"><name>out</name><checksum type="sha256">cc</checksum><location href="../out.rpm"/></package>
</metadata>`

func compressed(t *testing.T, suffix string) []byte {
	var b bytes.Buffer
	var w io.WriteCloser
	switch suffix {
	case ".gz":
		w = gzip.NewWriter(&b)
	case ".zst":
		w, _ = zstd.NewWriter(&b)
	case ".xz":
		w, _ = xz.NewWriter(&b)
	default:
		return []byte(primaryXML)
	}
	io.WriteString(w, primaryXML)
	w.Close()
	return b.Bytes()
}

// Every compression createrepo writes is read, and the packages primary
// lists come out under the repository's root with their checksums.
func TestDigestsChainedReadsPrimary(t *testing.T) {
	for _, suffix := range []string{".gz", ".zst", ".xz", ".xml"} {
		name := "repodata/abcd-primary.xml" + strings.TrimPrefix(suffix, ".xml")
		repomd := `<repomd><data type="primary"><checksum type="sha256">abcd</checksum><location href="` + name + `"/></data></repomd>`
		var opened string
		d, err := Type{}.DigestsChained("el/repodata/repomd.xml", strings.NewReader(repomd), func(p string) (io.ReadCloser, error) {
			opened = p
			return io.NopCloser(bytes.NewReader(compressed(t, suffix))), nil
		})
		if err != nil {
			t.Fatalf("%s: %v", suffix, err)
		}
		if opened != "el/"+name {
			t.Fatalf("%s: opened %q", suffix, opened)
		}
		h := d["el/Packages/h/hello-1.0-1.noarch.rpm"]
		if h.SHA256 != "aaaa000000000000000000000000000000000000000000000000000000000001" || h.Size != 1234 {
			t.Errorf("%s: hello %+v", suffix, h)
		}
		o := d["el/Packages/o/old-1-1.noarch.rpm"]
		if len(o.Sums) != 1 || o.Sums[0].Alg != "sha1" || o.Size != 10 {
			t.Errorf("%s: old %+v", suffix, o)
		}
		if len(d) != 3 { // primary itself, hello, old
			t.Errorf("%s: an xml:base or climbing package was listed: %v", suffix, d)
		}
	}
}

// Without a cached primary, repomd's own files are still listed; a
// primary that does not read is an error, and the repodata checks stay.
func TestDigestsChainedWithoutPrimary(t *testing.T) {
	repomd := `<repomd><data type="primary"><checksum type="sha256">abcd</checksum><location href="repodata/abcd-primary.xml.gz"/></data></repomd>`
	d, err := Type{}.DigestsChained("repodata/repomd.xml", strings.NewReader(repomd), func(string) (io.ReadCloser, error) {
		return nil, errors.New("not cached")
	})
	if err != nil || len(d) != 1 || d["repodata/abcd-primary.xml.gz"].SHA256 != "abcd" {
		t.Fatalf("%v %v", d, err)
	}
	d, err = Type{}.DigestsChained("repodata/repomd.xml", strings.NewReader(repomd), func(string) (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader("not gzip")), nil
	})
	if err == nil || d["repodata/abcd-primary.xml.gz"].SHA256 != "abcd" {
		t.Fatalf("a corrupt primary: %v %v", d, err)
	}
}

// Whatever a primary.xml holds, only .rpm paths inside the repository
// come out, and reading never panics.
func FuzzPrimary(f *testing.F) {
	f.Add(primaryXML)
	f.Add(`<metadata><package><location href="a/../../x.rpm"/></package></metadata>`)
	f.Fuzz(func(t *testing.T, s string) {
		out := map[string]blob.Expect{}
		readPrimary(strings.NewReader(s), "r/", out)
		for p := range out {
			if !strings.HasPrefix(p, "r/") || !strings.HasSuffix(p, ".rpm") || strings.Contains("/"+p+"/", "/../") {
				t.Fatalf("listed %q", p)
			}
		}
	})
}
