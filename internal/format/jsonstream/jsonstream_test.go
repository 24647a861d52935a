package jsonstream

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"
)

func TestWalkNamesAndCopies(t *testing.T) {
	in := `{"files":[{"url":"a","hashes":{"sha256":"x"}},{"url":"b"}],"meta":{"v":1.50},"top":"s","n":[1,"two",null,true]}`
	var seen []string
	var out bytes.Buffer
	err := Walk(strings.NewReader(in), &out, func(container, key, v string) string {
		seen = append(seen, container+"."+key+"="+v)
		if container == "files" && key == "url" {
			return "../" + v
		}
		return v
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"files":[{"url":"../a","hashes":{"sha256":"x"}},{"url":"../b"}],"meta":{"v":1.50},"top":"s","n":[1,"two",null,true]}`
	if out.String() != want {
		t.Fatalf("got  %s\nwant %s", out.String(), want)
	}
	if strings.Join(seen, " ") != "files.url=a hashes.sha256=x files.url=b .top=s n.=two" {
		t.Fatalf("callbacks: %v", seen)
	}
}

func FuzzWalk(f *testing.F) {
	f.Add(`{"a":[1,{"b":"c"}],"d":null}`)
	f.Add(`"top"`)
	f.Fuzz(func(t *testing.T, in string) {
		var out bytes.Buffer
		if err := Walk(strings.NewReader(in), &out, func(_, _, v string) string { return v }, nil); err != nil {
			return
		}
		var a, b any
		if json.Unmarshal([]byte(in), &a) == nil {
			if err := json.Unmarshal(out.Bytes(), &b); err != nil {
				t.Fatalf("valid JSON in, invalid out: %q -> %q", in, out.String())
			}
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("the copy means something else: %q -> %q", in, out.String())
			}
		}
	})
}

// A second top-level value is refused: copied as tokens it would run into
// the first and read back as another document.
func TestWalkRefusesASecondDocument(t *testing.T) {
	for _, in := range []string{"0.000 0.00000", `{} {}`, `"a" "b"`, `[1] 2`} {
		if err := Walk(strings.NewReader(in), io.Discard, nil, nil); err == nil {
			t.Errorf("%q: copied without error", in)
		}
	}
	if err := Walk(strings.NewReader(" {\"a\": [1, 2]} \n"), io.Discard, nil, nil); err != nil {
		t.Errorf("one document with whitespace around it: %v", err)
	}
}
