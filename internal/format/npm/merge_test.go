package npm

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/artifactapi/artifactapi/internal/format"
)

func member(name, doc string) format.MergeInput {
	return format.MergeInput{Name: name, Root: "remote/" + name + "/", Open: func() (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader(doc)), nil
	}}
}

func TestMergeUnionFirstMemberWins(t *testing.T) {
	a := `{"name":"pkg","modified":"2024-01-02","dist-tags":{"latest":"1.1.0"},"versions":{
		"1.0.0":{"version":"1.0.0","from":"a","dist":{"tarball":"pkg/-/pkg-1.0.0.tgz","integrity":"sha512-A"}},
		"1.1.0":{"version":"1.1.0","from":"a","dist":{"tarball":"pkg/-/pkg-1.1.0.tgz"}}},"time":{"1.0.0":"t-a"}}`
	b := `{"name":"pkg","modified":"2024-03-01","dist-tags":{"latest":"2.0.0","beta":"2.1.0-beta"},"versions":{
		"1.1.0":{"version":"1.1.0","from":"b","dist":{"tarball":"pkg/-/pkg-1.1.0.tgz"}},
		"2.0.0":{"version":"2.0.0","from":"b","dist":{"tarball":"https://signed.example/x.tgz?s=1"}}},"time":{"1.0.0":"t-b","2.0.0":"t-b2"},"readme":"long text"}`
	var out bytes.Buffer
	ct, err := (Type{}).Merge(&out, "pkg#abbreviated", []format.MergeInput{member("a", a), member("b", b)})
	if err != nil || ct != AbbreviatedType {
		t.Fatal(ct, err)
	}
	var doc struct {
		Name     string
		Modified string
		DistTags map[string]string `json:"dist-tags"`
		Versions map[string]struct {
			From string
			Dist struct{ Tarball, Integrity string }
		}
		Time map[string]string
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("merged document is not JSON: %v\n%s", err, out.String())
	}
	if len(doc.Versions) != 3 || doc.Versions["1.1.0"].From != "a" || doc.Versions["2.0.0"].From != "b" {
		t.Fatalf("versions: %+v", doc.Versions)
	}
	if doc.Versions["1.0.0"].Dist.Tarball != "remote/a/pkg/-/pkg-1.0.0.tgz" || doc.Versions["1.0.0"].Dist.Integrity != "sha512-A" ||
		doc.Versions["2.0.0"].Dist.Tarball != "https://signed.example/x.tgz?s=1" {
		t.Fatalf("tarballs not linked to their owners: %+v", doc.Versions)
	}
	if doc.DistTags["latest"] != "1.1.0" || doc.DistTags["beta"] != "2.1.0-beta" || doc.Time["1.0.0"] != "t-a" || doc.Modified != "2024-03-01" {
		t.Fatalf("tags/time/modified: %+v %+v %s", doc.DistTags, doc.Time, doc.Modified)
	}
	// Presented for a client: absolute, through the owning member.
	var served bytes.Buffer
	(Type{}).Present("pkg#abbreviated", "http://proxy/api/v1", bytes.NewReader(out.Bytes()), &served)
	if !strings.Contains(served.String(), `"http://proxy/api/v1/remote/a/pkg/-/pkg-1.0.0.tgz"`) {
		t.Fatalf("presented: %s", served.String())
	}
}

func FuzzMerge(f *testing.F) {
	f.Add(`{"versions":{"1":{"dist":{"tarball":"x"}}}}`, `{"dist-tags":{"a":"1"}}`)
	f.Fuzz(func(t *testing.T, a, b string) {
		var out bytes.Buffer
		if _, err := (Type{}).Merge(&out, "x#full", []format.MergeInput{member("a", a), member("b", b)}); err != nil {
			return
		}
		var v any
		if err := json.Unmarshal(out.Bytes(), &v); err != nil {
			t.Fatalf("merge of accepted inputs is not JSON: %v\n%s", err, out.String())
		}
	})
}
