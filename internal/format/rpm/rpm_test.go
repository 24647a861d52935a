package rpm

import (
	"os"
	"strings"
	"testing"
)

func TestRepomdDigests(t *testing.T) {
	f, _ := os.Open("testdata/repomd.xml")
	defer f.Close()
	d, err := Type{}.Digests("el9/x86_64/repodata/repomd.xml", f)
	if err != nil {
		t.Fatal(err)
	}
	p := d["el9/x86_64/repodata/0f3c2bd2e6ab0c1aeb6f1ce3d1c0b1b8ee2a7a4cfd8d7e5f6a1b2c3d4e5f6a7b-primary.xml.gz"]
	if p.SHA256 != "0f3c2bd2e6ab0c1aeb6f1ce3d1c0b1b8ee2a7a4cfd8d7e5f6a1b2c3d4e5f6a7b" || p.Size != 612 {
		t.Errorf("primary: %+v", p)
	}
	fl := d["el9/x86_64/repodata/2fd4e1c67a2d28fced849ee1bb76e7391b93eb12-filelists.xml.gz"]
	if len(fl.Sums) != 1 || fl.Sums[0].Alg != "sha1" || fl.Size != 300 {
		t.Errorf("filelists (sha1): %+v", fl)
	}
	if len(d) != 2 {
		t.Errorf("a location climbing out was listed: %v", d)
	}
}

func TestClassify(t *testing.T) {
	for p, want := range map[string]string{
		"repodata/repomd.xml":       "index mutable",
		"x/repodata/repomd.xml.asc": "index mutable",
		"x/repodata/0f3c2bd2e6ab0c1aeb6f1ce3d1c0b1b8-primary.xml.gz": "artifact immutable x/repodata/repomd.xml",
		"x/repodata/comps.xml":              "artifact mutable x/repodata/repomd.xml",
		"Packages/h/hello-1.0-1.noarch.rpm": "artifact immutable Packages/h/repodata/repomd.xml Packages/repodata/repomd.xml repodata/repomd.xml",
		"hello.rpm":                         "artifact immutable repodata/repomd.xml",
		"RPM-GPG-KEY":                       "other mutable",
	} {
		c, err := Type{}.Classify(p)
		if err != nil {
			t.Fatal(err)
		}
		got := []string{map[int]string{0: "other", 1: "index", 2: "artifact"}[int(c.Kind)], map[bool]string{true: "mutable", false: "immutable"}[c.Mutable]}
		got = append(got, c.ListedIn...)
		if strings.Join(got, " ") != want {
			t.Errorf("%s: %q, want %q", p, strings.Join(got, " "), want)
		}
	}
}

func FuzzDigests(f *testing.F) {
	b, _ := os.ReadFile("testdata/repomd.xml")
	f.Add(string(b))
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Type{}.Digests("r/repodata/repomd.xml", strings.NewReader(s))
		if err != nil {
			return
		}
		for p := range d {
			if !strings.HasPrefix(p, "r/") || strings.Contains("/"+p+"/", "/../") {
				t.Fatalf("listed %q", p)
			}
		}
	})
}
