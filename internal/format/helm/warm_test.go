package helm

import (
	"reflect"
	"strings"
	"testing"

	"github.com/artifactapi/artifactapi/internal/format/release/releasetest"
)

func TestWarmChartLock(t *testing.T) {
	lock := "dependencies:\n- name: alpha\n  repository: https://charts.example\n  version: 1.0.0\n- name: beta\n  repository: https://charts.example\n  version: 9.9.9\n" +
		"- name: oci\n  repository: oci://r.example/charts\n  version: 1.0.0\n- name: local\n  repository: file://../local\n  version: 0.1.0\ndigest: sha256:x\ngenerated: \"2024-01-01T00:00:00Z\"\n"
	items, err := (Type{}).Warm(nil, "Chart.lock", strings.NewReader(lock))
	if err != nil {
		t.Fatal(err)
	}
	got := releasetest.WarmPaths(items, map[string][]byte{"index.yaml": []byte(policyIndex)})
	want := map[string][]string{
		"alpha@1.0.0": {"index.yaml", "charts/alpha-1.0.0.tgz"},
		"beta@9.9.9":  {"index.yaml", "error: the index does not list beta 9.9.9"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("\n got %v\nwant %v", got, want)
	}
	if _, err := (Type{}).Warm(nil, "Chart.lock", strings.NewReader("dependencies: []\n")); err == nil {
		t.Fatal("a lock without dependencies warmed")
	}
}
