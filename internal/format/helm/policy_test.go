package helm

import (
	"bytes"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/artifactapi/artifactapi/internal/format/release/releasetest"
)

const policyIndex = `apiVersion: v1
entries:
  alpha:
  - name: alpha
    version: 2.0.0
    created: "2026-11-28T00:00:00Z"
    urls:
    - charts/alpha-2.0.0.tgz
  - name: alpha
    version: 1.0.0
    created: "2020-01-01T00:00:00Z"
    urls:
    - charts/alpha-1.0.0.tgz
  beta:
  - name: beta
    version: 0.1.0
    created: 2026-11-28T00:00:00Z
    urls:
    - charts/beta-0.1.0.tgz
generated: "2026-11-28T00:00:00Z"
`

func TestFilterIndex(t *testing.T) {
	j := &releasetest.Judge{Refuse: map[string]bool{"alpha@2.0.0": true, "beta@0.1.0": true}}
	var out bytes.Buffer
	if err := (Type{}).Filter("index.yaml", releasetest.Doc([]byte(policyIndex)), &out, j); err != nil {
		t.Fatal(err)
	}
	var idx struct {
		Entries map[string][]struct {
			Version string
			URLs    []string `yaml:"urls"`
		}
	}
	if err := yaml.Unmarshal(out.Bytes(), &idx); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if len(idx.Entries) != 1 || len(idx.Entries["alpha"]) != 1 || idx.Entries["alpha"][0].Version != "1.0.0" || idx.Entries["alpha"][0].URLs[0] != "charts/alpha-1.0.0.tgz" {
		t.Errorf("filtered index:\n%s", out.String())
	}
	for _, r := range j.Asked {
		if r.Published.IsZero() {
			t.Errorf("%+v: the index's created dates it", r)
		}
	}
}

func TestReleaseAndDates(t *testing.T) {
	for p, want := range map[string]string{"charts/alpha-1.0.0.tgz": "alpha@1.0.0", "my-chart-0.1.0-rc.1.tgz": "my-chart@0.1.0-rc.1", "_ext/https/h/x/k8s-1-2.3.4.tgz": "k8s-1@2.3.4"} {
		r, ok := (Type{}).Release(p)
		if !ok || r.Key != want {
			t.Errorf("Release(%s) = %+v, want %s", p, r, want)
		}
	}
	dates, err := (Type{}).Dates("index.yaml", strings.NewReader(policyIndex))
	if err != nil || len(dates) != 3 || dates["alpha@1.0.0"].Year() != 2020 {
		t.Errorf("dates %v %v", dates, err)
	}
}
