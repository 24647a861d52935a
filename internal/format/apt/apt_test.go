package apt

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	for p, want := range map[string]string{ // kind/mutable/listed-in
		"dists/bookworm/InRelease":                           "index mutable ",
		"dists/bookworm/Release.gpg":                         "index mutable ",
		"dists/bookworm/main/binary-amd64/Packages.xz":       "artifact mutable dists/bookworm/InRelease",
		"dists/bookworm/main/binary-amd64/by-hash/SHA256/ab": "artifact immutable ",
		"pool/main/h/hello/hello_2.10-3_amd64.deb":           "artifact immutable ",
		"ls-lR.gz": "other mutable ",
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
