package jsonstream

import (
	"bytes"
	"strings"
	"testing"
	"testing/iotest"
)

func retargetSeeds() []string {
	return []string{
		`{"name":"demo","versions":{"1.0.0":{"dist":{"tarball":"demo/-/demo-1.0.0.tgz","shasum":"ab"}}}}`,
		`{"dist":{"tarball":"a\"b\\c\u2028d","x":["tarball",{"tarball":"in array"}]},"tarball":"top"}`,
		`{"dist":[{"tarball":"elem"},{"other":{"tarball":"deeper"}}],"y":{"dist":{"tarball":"https://full/url"}}}`,
		`{"a\\":"\\\\","dist":{"tar\u0062all":"escaped key","tarball":"\\\"quoted\\\"","n":1.5e3,"t":true,"z":null}}`,
		`[{"dist":{"tarball":"x"}},"dist",1,[]]`,
		` { "dist" : { "tarball" : "spaced" } } `,
		`"just a string"`,
		`{"dist":{"tarball":"` + strings.Repeat(`\\`, 70000) + `"}}`,
	}
}

// FuzzRetarget holds Retarget to what Walk writes with the same change,
// on documents Walk wrote (what a stored packument is).
func FuzzRetarget(f *testing.F) {
	for _, s := range retargetSeeds() {
		f.Add(s)
	}
	change := func(v string) string {
		if strings.Contains(v, "://") {
			return v
		}
		return "http://proxy/r\u2028/" + v
	}
	f.Fuzz(func(t *testing.T, doc string) {
		var stored bytes.Buffer
		if err := Walk(strings.NewReader(doc), &stored, nil, nil); err != nil {
			return // not JSON: never stored
		}
		var want bytes.Buffer
		if err := Walk(bytes.NewReader(stored.Bytes()), &want, func(container, key, v string) string {
			if container == "dist" && key == "tarball" {
				return change(v)
			}
			return v
		}, nil); err != nil {
			t.Fatalf("Walk of its own output: %v", err)
		}
		var got bytes.Buffer
		// One byte at a time, so every string crosses read boundaries.
		if err := Retarget(iotest.OneByteReader(bytes.NewReader(stored.Bytes())), &got, "dist", "tarball", change); err != nil {
			t.Fatalf("Retarget(%q): %v", stored.String(), err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("Retarget(%q)\n = %q\nWalk %q", stored.String(), got.String(), want.String())
		}
		got.Reset()
		if err := Retarget(bytes.NewReader(stored.Bytes()), &got, "dist", "tarball", change); err != nil || !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("Retarget in large reads differs: %v", err)
		}
	})
}

func TestRetargetRefusesBrokenDocuments(t *testing.T) {
	for _, doc := range []string{`{"a":"b"`, `{"a":"b}`, `{"a":1}}`, `{"a":[1}`, `{} {}`} {
		if err := Retarget(strings.NewReader(doc), &bytes.Buffer{}, "dist", "tarball", func(v string) string { return v }); err == nil {
			t.Errorf("Retarget(%q) took it", doc)
		}
	}
}
