package types

import "testing"

// BenchmarkClassify asks every type about a path of its own, as each
// request does once.
func BenchmarkClassify(b *testing.B) {
	paths := map[string]string{
		"npm": "@scope/pkg/-/pkg-1.2.3.tgz", "pypi": "packages/ab/cd/pkg-1.0-py3-none-any.whl", "goproxy": "github.com/x/y/@v/v1.2.3.zip",
		"docker": "v2/library/redis/blobs/sha256:" + "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90", "helm": "charts/x-1.0.0.tgz",
		"generic": "releases/tool-1.0.tar.gz", "apt": "pool/main/h/hello/hello_2.10-3_amd64.deb", "rpm": "Packages/h/hello-2.10-1.x86_64.rpm",
		"alpine": "v3.20/main/x86_64/busybox-1.36.1-r29.apk", "puppet": "v3/files/puppetlabs-stdlib-9.0.0.tar.gz", "terraform": "v1/providers/hashicorp/aws/versions",
	}
	reg := All()
	b.ReportAllocs()
	for b.Loop() {
		for name, p := range paths {
			t, ok := reg.Get(name)
			if !ok {
				b.Fatalf("no type %s", name)
			}
			if _, err := t.Classify(p); err != nil {
				b.Fatalf("%s %s: %v", name, p, err)
			}
		}
	}
}
