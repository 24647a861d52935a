package apt

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestPackagesDigests(t *testing.T) {
	idx := "Package: hello\nVersion: 2.10\nFilename: pool/main/h/hello/hello_2.10_amd64.deb\nSize: 53000\n" +
		"SHA256: ABCDEF\nDescription: greets\n continued line: with a colon\n\n" +
		"Package: broken\nFilename: pool/main/b/broken.deb\nSize: x\nSHA256: 00\n\n" +
		"Package: escape\nFilename: pool/../../etc/passwd\nSize: 1\nSHA256: 11\n\n" +
		"Package: last\nFilename: pool/main/l/last.deb\nSize: 7\nSHA256: 22"
	got, err := Type{}.Digests("dists/x/main/binary-amd64/by-hash/SHA256/ff", strings.NewReader(idx))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["pool/main/h/hello/hello_2.10_amd64.deb"].SHA256 != "abcdef" || got["pool/main/h/hello/hello_2.10_amd64.deb"].Size != 53000 || got["pool/main/l/last.deb"].Size != 7 {
		t.Fatalf("%+v", got)
	}
	// A Release by its name is still read as a Release.
	rel, err := Type{}.Digests("dists/x/Release", strings.NewReader("SHA256:\n "+strings.Repeat("a", 64)+" 12 main/binary-amd64/Packages\n"))
	if err != nil || rel["dists/x/main/binary-amd64/Packages"].Size != 12 {
		t.Fatalf("release: %+v %v", rel, err)
	}
}

func TestClassify(t *testing.T) {
	for p, want := range map[string]string{ // kind/mutable/listed-in
		"dists/bookworm/InRelease":                           "index mutable ",
		"dists/bookworm/Release.gpg":                         "index mutable ",
		"dists/bookworm/main/binary-amd64/Packages.xz":       "artifact mutable dists/bookworm/InRelease",
		"dists/bookworm/main/binary-amd64/by-hash/SHA256/ab": "artifact immutable ",
		"pool/main/h/hello/hello_2.10-3_amd64.deb":           "artifact immutable dists/*/main/binary-amd64/by-hash/SHA256/*",
		"pool/contrib/x/x-doc/x-doc_1.0_all.deb":             "artifact immutable dists/*/contrib/binary-*/by-hash/SHA256/*",
		"pool/main/d/d-i/d-i_1.0_amd64.udeb":                 "artifact immutable dists/*/main/debian-installer/binary-amd64/by-hash/SHA256/*",
		"pool/main/h/hello/hello.orig.tar.gz":                "artifact immutable ",
		"pool/main/h/hello/x_1_[a].deb":                      "artifact immutable ",
		"ls-lR.gz":                                           "other mutable ",
	} {
		c, err := Type{}.Classify(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		got := map[int]string{0: "other", 1: "index", 2: "artifact"}[int(c.Kind)] + " " + map[bool]string{true: "mutable", false: "immutable"}[c.Mutable] + " "
		if len(c.ListedIn) > 0 {
			got += c.ListedIn[0]
		}
		if got != want {
			t.Errorf("%s: %q, want %q", p, got, want)
		}
	}
	if _, err := (Type{}).Classify("dists/bookworm/"); err == nil {
		t.Error("a suite directory was accepted")
	}
	if e, ok := (Type{}).Expect("dists/x/main/by-hash/SHA256/ABCDEF", nil); !ok || e.SHA256 != "abcdef" {
		t.Errorf("by-hash sha256: %+v", e)
	}
	if e, ok := (Type{}).Expect("dists/x/main/by-hash/MD5Sum/abcd", nil); !ok || len(e.Sums) != 1 || e.Sums[0].Alg != "md5" {
		t.Errorf("by-hash md5: %+v", e)
	}
}

// The digests of a clear-signed InRelease, under the suite's directory.
func TestReleaseDigests(t *testing.T) {
	in, _ := os.ReadFile("testdata/InRelease")
	d, err := Type{}.Digests("dists/bookworm/InRelease", bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	gz := d["dists/bookworm/main/binary-amd64/Packages.gz"]
	if gz.SHA256 != "6ef5d8a4d4e8d8e0bd0e9d2c8c1b4f0d1f8d5cf1f2d2f6d1ac1e8a3a0c6f0d2b" || gz.Size != 1484322 || len(gz.Sums) != 1 || gz.Sums[0].Alg != "sha512" {
		t.Errorf("Packages.gz: %+v", gz)
	}
	if tr := d["dists/bookworm/main/i18n/Translation-en.xz"]; tr.Size != 1048 || tr.SHA256 != strings.Repeat("2", 64) {
		t.Errorf("Translation-en.xz: %+v", tr)
	}
	if len(d) != 3 {
		t.Errorf("%d entries: %v", len(d), d)
	}
}

func FuzzReleaseDigests(f *testing.F) {
	in, _ := os.ReadFile("testdata/InRelease")
	f.Add(string(in))
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Type{}.Digests("dists/s/Release", strings.NewReader(s))
		if err != nil {
			return
		}
		for p, e := range d {
			if !strings.HasPrefix(p, "dists/s/") || strings.Contains("/"+p+"/", "/../") || e.Size < 0 {
				t.Fatalf("entry %q %+v", p, e)
			}
		}
	})
}

// Whatever a Packages index holds, only clean pool paths with a digest
// and a size come out, and reading never panics.
func FuzzPackagesDigests(f *testing.F) {
	f.Add("Package: a\nFilename: pool/main/a/a_1_all.deb\nSize: 3\nSHA256: ab\n\n")
	f.Add("Filename: pool/../x\nSize: -1\nSHA256: \n")
	f.Fuzz(func(t *testing.T, s string) {
		d, _ := Type{}.Digests("dists/s/main/binary-all/Packages", strings.NewReader(s))
		for p, e := range d {
			if !strings.HasPrefix(p, "pool/") || strings.Contains("/"+p+"/", "/../") || e.Size < 0 || e.SHA256 == "" {
				t.Fatalf("entry %q %+v", p, e)
			}
		}
	})
}
