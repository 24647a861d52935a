package docker

import (
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/format/release/releasetest"
)

type remote struct{ base string }

func (r remote) RemoteName() string     { return "r" }
func (r remote) BaseURL() *url.URL      { u, _ := url.Parse(r.base); return u }
func (r remote) Settings() any          { return nil }
func (r remote) Allowed(p string) error { return nil }

var _ format.Remote = remote{}

func TestWarmImageList(t *testing.T) {
	d := func(c string) string { return "sha256:" + strings.Repeat(c, 64) }
	docs := map[string][]byte{
		"library/redis/manifests/7":         []byte(`{"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"digest":"` + d("1") + `"},{"digest":"` + d("2") + `"}]}`),
		"library/redis/manifests/" + d("1"): []byte(`{"config":{"digest":"` + d("a") + `"},"layers":[{"digest":"` + d("b") + `"}]}`),
		"library/redis/manifests/" + d("2"): []byte(`{"config":{"digest":"` + d("c") + `"},"layers":[{"digest":"` + d("b") + `"}]}`),
		"team/app/manifests/" + d("3"):      []byte(`{"config":{"digest":"` + d("e") + `"},"layers":[]}`),
	}
	items, err := (Type{}).Warm(remote{"https://registry-1.docker.io"}, "images.txt", strings.NewReader("# base images\ndocker.io/redis:7\nteam/app@"+d("3")+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := releasetest.WarmPaths(items, docs)
	want := map[string][]string{
		"docker.io/redis:7": {"library/redis/manifests/7", "library/redis/manifests/" + d("1"), "library/redis/manifests/" + d("2"),
			"library/redis/blobs/" + d("a"), "library/redis/blobs/" + d("b"), "library/redis/blobs/" + d("c"), "library/redis/blobs/" + d("b")},
		"team/app@" + d("3"): {"team/app/manifests/" + d("3"), "team/app/blobs/" + d("e")},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("\n got %v\nwant %v", got, want)
	}
	if items, _ := (Type{}).Warm(remote{"http://127.0.0.1:5000"}, "x", strings.NewReader("localhost:5000/app\n")); items[0].Paths[0] != "app/manifests/latest" {
		t.Fatalf("no tag: %v", items[0].Paths)
	}
	if _, err := (Type{}).Warm(remote{"http://127.0.0.1:5000"}, "x", strings.NewReader("UPPER/case:1\n")); err == nil {
		t.Fatal("a bad reference warmed")
	}
}
