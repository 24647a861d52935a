package alpine

import (
	"bytes"
	"testing"

	"github.com/artifactapi/artifactapi/internal/blob"
	"github.com/artifactapi/artifactapi/internal/format/alpine/alpinetest"
)

func verify(t *testing.T, want blob.Expect, apk []byte) error {
	t.Helper()
	v, err := blob.NewVerifier(want)
	if err != nil {
		t.Fatal(err)
	}
	v.Write(apk)
	_, err = v.Verify()
	return err
}

// Each package of an index is checked as apk checks it: its size and the
// sha1 of its control member, signed or not.
func TestIndexDigestsCheckTheControlSegment(t *testing.T) {
	plain, signed := alpinetest.Build("hello", "1.0-r0", false), alpinetest.Build("world", "2.1-r3", true)
	d, err := Type{}.Digests("v3.20/main/x86_64/APKINDEX.tar.gz", bytes.NewReader(alpinetest.Index(plain, signed)))
	if err != nil {
		t.Fatal(err)
	}
	if len(d) != 2 {
		t.Fatalf("digests: %v", d)
	}
	for _, p := range []alpinetest.Package{plain, signed} {
		want := d["v3.20/main/x86_64/"+p.File()]
		if want.Size != int64(len(p.APK)) || want.Check == nil {
			t.Fatalf("%s: %+v", p.File(), want)
		}
		if err := verify(t, want, p.APK); err != nil {
			t.Errorf("%s refused: %v", p.File(), err)
		}
	}
	// Another control segment of the same size: refused by the check alone.
	other := alpinetest.Build("hello", "1.0-r9", false)
	want := d["v3.20/main/x86_64/"+plain.File()]
	want.Size = -1
	if err := verify(t, want, other.APK); err == nil {
		t.Error("a package whose control segment differs was accepted")
	}
	if c, _ := (Type{}).Classify("v3.20/main/x86_64/" + plain.File()); c.Mutable || c.ListedIn[0] != "v3.20/main/x86_64/APKINDEX.tar.gz" {
		t.Errorf("classify: %+v", c)
	}
}

func FuzzDigests(f *testing.F) {
	f.Add(alpinetest.Index(alpinetest.Build("a", "1", false)))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Type{}.Digests("r/x86_64/APKINDEX.tar.gz", bytes.NewReader(b))
		if err != nil {
			return
		}
		for p := range d {
			if len(p) < len("r/x86_64/") || p[:len("r/x86_64/")] != "r/x86_64/" {
				t.Fatalf("entry outside the index's directory: %q", p)
			}
		}
	})
}
