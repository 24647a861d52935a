package goproxy

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/format/release/releasetest"
)

func infoDoc(v, at string) []byte { return []byte(`{"Version":"` + v + `","Time":"` + at + `"}`) }

func TestFilterListAndLatest(t *testing.T) {
	old, fresh := "2020-01-01T00:00:00Z", "2026-11-28T00:00:00Z"
	docs := map[string][]byte{
		"example.com/!m/@v/list":             []byte("v1.0.0\nv1.1.0\nv1.2.0-rc.1\nv2.0.0\n"),
		"example.com/!m/@v/v1.0.0.info":      infoDoc("v1.0.0", old),
		"example.com/!m/@v/v1.1.0.info":      infoDoc("v1.1.0", old),
		"example.com/!m/@v/v1.2.0-rc.1.info": infoDoc("v1.2.0-rc.1", old),
		"example.com/!m/@v/v2.0.0.info":      infoDoc("v2.0.0", fresh),
	}
	j := &releasetest.Judge{Refuse: map[string]bool{"example.com/M@v1.1.0": true, "example.com/M@v2.0.0": true}, Docs: docs}
	var out bytes.Buffer
	if err := (Type{}).Filter("example.com/!m/@v/list", releasetest.Doc(docs["example.com/!m/@v/list"]), &out, j); err != nil {
		t.Fatal(err)
	}
	if out.String() != "v1.0.0\nv1.2.0-rc.1\n" {
		t.Errorf("list: %q", out.String())
	}
	// @latest refused: the newest allowed release, not the pre-release.
	out.Reset()
	if err := (Type{}).Filter("example.com/!m/@latest", releasetest.Doc(infoDoc("v2.0.0", fresh)), &out, j); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"v1.0.0"`) {
		t.Errorf("@latest: %s", out.String())
	}
	// Nothing allowed: a 404, so the go command says no version matches.
	j.Refuse["example.com/M@v1.0.0"], j.Refuse["example.com/M@v1.2.0-rc.1"] = true, true
	err := (Type{}).Filter("example.com/!m/@latest", releasetest.Doc(infoDoc("v2.0.0", fresh)), &bytes.Buffer{}, j)
	if apierr.Status(err) != 404 {
		t.Errorf("nothing allowed: %v", err)
	}
}

func TestReleaseAndDates(t *testing.T) {
	r, ok := (Type{}).Release("example.com/!m/@v/v1.2.0.zip")
	if !ok || r.Package != "example.com/M" || r.Version != "v1.2.0" || r.DatedIn[0] != "example.com/!m/@v/v1.2.0.info" {
		t.Fatalf("Release: %+v", r)
	}
	for _, p := range []string{"example.com/m/@v/list", "example.com/m/@latest", "example.com/m/@v/master.info", "sumdb/sum.golang.org/latest"} {
		if _, ok := (Type{}).Release(p); ok {
			t.Errorf("%s is no release", p)
		}
	}
	dates, err := (Type{}).Dates("x", bytes.NewReader(infoDoc("v1.2.0", "2026-11-28T00:00:00Z")))
	if err != nil || !dates["v1.2.0"].Equal(time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("dates %v %v", dates, err)
	}
}
