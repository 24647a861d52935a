package npm

import (
	"reflect"
	"strings"
	"testing"

	"github.com/artifactapi/artifactapi/internal/format/release/releasetest"
)

func TestWarmLockfiles(t *testing.T) {
	docs := map[string][]byte{
		"left#abbreviated":     []byte(`{"name":"left","versions":{"1.0.0":{"dist":{"tarball":"left/-/left-1.0.0.tgz"}},"2.0.0":{"dist":{"tarball":"left/-/_ext/https/cdn.example/left%402.0.0.tgz"}}}}`),
		"@s/right#abbreviated": []byte(`{"name":"@s/right","versions":{"1.0.0":{"dist":{"tarball":"@s/right/-/right-1.0.0.tgz"}}}}`),
	}
	v3 := `{"lockfileVersion":3,"packages":{"":{"name":"app"},"node_modules/left":{"version":"1.0.0"},
		"node_modules/@s/right":{"version":"1.0.0"},"node_modules/@s/right/node_modules/left":{"version":"2.0.0"},
		"node_modules/ws":{"link":true},"node_modules/b":{"version":"1.0.0","inBundle":true},
		"node_modules/g":{"version":"git+ssh://git@host/g.git#abc"},"packages/ws":{"name":"ws","version":"1.0.0"}}}`
	items, err := (Type{}).Warm(nil, "package-lock.json", strings.NewReader(v3))
	if err != nil {
		t.Fatal(err)
	}
	got := releasetest.WarmPaths(items, docs)
	want := map[string][]string{
		"@s/right@1.0.0": {"@s/right#abbreviated", "@s/right/-/right-1.0.0.tgz"},
		"left@1.0.0":     {"left#abbreviated", "left/-/left-1.0.0.tgz"},
		"left@2.0.0":     {"left#abbreviated", "left/-/_ext/https/cdn.example/left@2.0.0.tgz"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("v3:\n got %v\nwant %v", got, want)
	}
	v1 := `{"lockfileVersion":1,"dependencies":{"left":{"version":"1.0.0","dependencies":{"inner":{"version":"3.0.0"}}},"bundled":{"version":"1.0.0","bundled":true}}}`
	items, err = (Type{}).Warm(nil, "npm-shrinkwrap.json", strings.NewReader(v1))
	if err != nil || len(items) != 2 || items[0].Name != "inner@3.0.0" || items[1].Name != "left@1.0.0" {
		t.Fatalf("v1: %+v %v", items, err)
	}
	for file, body := range map[string]string{"yarn.lock": "{}", "package-lock.json": "[", "npm-shrinkwrap.json": "{}"} {
		if _, err := (Type{}).Warm(nil, file, strings.NewReader(body)); err == nil {
			t.Errorf("%s %q: no error", file, body)
		}
	}
}
