package blob_test

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/artifactapi/artifactapi/internal/blob"
	"github.com/artifactapi/artifactapi/internal/blob/blobtest"
)

func TestVerifierChecksEveryPublishedDigest(t *testing.T) {
	data := []byte(strings.Repeat("artifact bytes ", 1000))
	md := md5.Sum(data)
	s1 := sha1.Sum(data)
	s512 := sha512.Sum512(data)
	head := sha1.Sum(data[:10])
	good := blob.Expect{Size: int64(len(data)),
		Sums:      []blob.Sum{{"md5", hex.EncodeToString(md[:])}, {"SHA1", strings.ToUpper(hex.EncodeToString(s1[:]))}, {"sha512", hex.EncodeToString(s512[:])}},
		Integrity: "sha512-" + base64.StdEncoding.EncodeToString(s512[:]),
		Check:     func() blob.Check { return blobtest.HeadSHA1(10, hex.EncodeToString(head[:])) },
	}
	run := func(want blob.Expect) error {
		v, err := blob.NewVerifier(want)
		if err != nil {
			return err
		}
		// In pieces, as a fill writes.
		for i := 0; i < len(data); i += 7 {
			v.Write(data[i:min(i+7, len(data))])
		}
		_, err = v.Verify()
		return err
	}
	if err := run(good); err != nil {
		t.Fatalf("matching digests refused: %v", err)
	}
	for name, mutate := range map[string]func(*blob.Expect){
		"md5":    func(e *blob.Expect) { e.Sums = []blob.Sum{{"md5", strings.Repeat("0", 32)}} },
		"sha1":   func(e *blob.Expect) { e.Sums = append(e.Sums, blob.Sum{"sha1", strings.Repeat("1", 40)}) },
		"sha512": func(e *blob.Expect) { e.Sums = []blob.Sum{{"sha512", strings.Repeat("2", 128)}} },
		"sha256": func(e *blob.Expect) { e.Sums = []blob.Sum{{"sha256", strings.Repeat("3", 64)}} },
		"sri":    func(e *blob.Expect) { e.Integrity = "sha1-" + base64.StdEncoding.EncodeToString(md[:]) },
		"part": func(e *blob.Expect) {
			e.Check = func() blob.Check { return blobtest.HeadSHA1(11, hex.EncodeToString(head[:])) }
		},
		"size":         func(e *blob.Expect) { e.Size++ },
		"sha256 field": func(e *blob.Expect) { e.SHA256 = strings.Repeat("4", 64) },
	} {
		bad := good
		mutate(&bad)
		if err := run(bad); !errors.Is(err, blob.ErrDigestMismatch) && !errors.Is(err, blob.ErrSizeMismatch) {
			t.Errorf("%s: wrong digest accepted or wrong error: %v", name, err)
		}
	}
	for _, bad := range []blob.Sum{{"crc32", "00"}, {"sha1", "zz"}, {"md5", ""}} {
		if _, err := blob.NewVerifier(blob.Expect{Size: -1, Sums: []blob.Sum{bad}}); err == nil {
			t.Errorf("digest %v that cannot be checked was accepted", bad)
		}
	}
}
