package npm

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/artifactapi/artifactapi/internal/format/release/releasetest"
)

const policyDoc = `{"_id":"demo","name":"demo","dist-tags":{"latest":"2.0.0","next":"3.0.0-rc.1","legacy":"1.0.0"},` +
	`"versions":{"1.0.0":{"version":"1.0.0","dist":{"tarball":"demo/-/demo-1.0.0.tgz"}},"1.1.0-beta":{"version":"1.1.0-beta","dist":{"tarball":"demo/-/demo-1.1.0-beta.tgz"}},` +
	`"1.2.0":{"version":"1.2.0","dist":{"tarball":"demo/-/demo-1.2.0.tgz"}},"2.0.0":{"version":"2.0.0","dist":{"tarball":"demo/-/demo-2.0.0.tgz"}},"3.0.0-rc.1":{"version":"3.0.0-rc.1","dist":{"tarball":"demo/-/demo-3.0.0-rc.1.tgz"}}},` +
	`"time":{"created":"2020-01-01T00:00:00.000Z","modified":"2026-11-29T00:00:00.000Z","1.0.0":"2020-01-01T00:00:00.000Z","1.1.0-beta":"2021-01-01T00:00:00.000Z","1.2.0":"2022-01-01T00:00:00.000Z","2.0.0":"2026-11-28T00:00:00.000Z","3.0.0-rc.1":"2026-11-28T10:00:00.000Z"},"readme":"x"}`

func TestFilterMovesLatestAndDropsRefused(t *testing.T) {
	j := &releasetest.Judge{Refuse: map[string]bool{"demo@2.0.0": true, "demo@3.0.0-rc.1": true}}
	var out bytes.Buffer
	if err := (Type{}).Filter("demo#full", releasetest.Doc([]byte(policyDoc)), &out, j); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		DistTags map[string]string          `json:"dist-tags"`
		Versions map[string]any             `json:"versions"`
		Time     map[string]string          `json:"time"`
		Readme   string                     `json:"readme"`
		Rest     map[string]json.RawMessage `json:"-"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("%v: %s", err, out.Bytes())
	}
	if len(doc.Versions) != 3 || doc.Versions["2.0.0"] != nil || doc.Versions["1.2.0"] == nil {
		t.Errorf("versions: %v", doc.Versions)
	}
	// latest moves to the newest allowed release (not the beta); a tag of
	// a refused version goes; other tags stay.
	if doc.DistTags["latest"] != "1.2.0" || doc.DistTags["legacy"] != "1.0.0" || doc.DistTags["next"] != "" {
		t.Errorf("dist-tags: %v", doc.DistTags)
	}
	if _, ok := doc.Time["2.0.0"]; ok || doc.Time["created"] == "" || doc.Time["1.2.0"] == "" {
		t.Errorf("time: %v", doc.Time)
	}
	if doc.Readme != "x" {
		t.Error("other fields must be kept")
	}
	for _, r := range j.Asked {
		if r.Package != "demo" || len(r.DatedIn) != 1 || r.DatedIn[0] != "demo#full" || r.Key != r.Version {
			t.Errorf("asked %+v", r)
		}
	}
}

func TestReleaseAndDates(t *testing.T) {
	r, ok := (Type{}).Release("@scope/demo/-/demo-1.2.0-rc.1.tgz")
	if !ok || r.Package != "@scope/demo" || r.Version != "1.2.0-rc.1" || strings.Join(r.DatedIn, " ") != "@scope/demo#abbreviated @scope/demo#full" {
		t.Fatalf("Release: %+v %v", r, ok)
	}
	if _, ok := (Type{}).Release("demo#abbreviated"); ok {
		t.Fatal("a document is no release")
	}
	dates, err := (Type{}).Dates("demo#full", bytes.NewReader([]byte(policyDoc)))
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	if !dates["2.0.0"].Equal(want) || !dates["demo/-/demo-2.0.0.tgz"].Equal(want) {
		t.Errorf("dates: %v", dates)
	}
	if _, ok := dates["created"]; ok {
		t.Error("created is not a version")
	}
}

func FuzzFilter(f *testing.F) {
	f.Add([]byte(policyDoc))
	f.Add([]byte(`{"versions":{},"dist-tags":{"latest":"9"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		j := &releasetest.Judge{Refuse: map[string]bool{"demo@2.0.0": true}}
		var out bytes.Buffer
		if err := (Type{}).Filter("demo#full", releasetest.Doc(b), &out, j); err == nil && !json.Valid(out.Bytes()) {
			t.Fatalf("filtered document is not JSON: %q", out.Bytes())
		}
	})
}
