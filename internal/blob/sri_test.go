package blob

import (
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"testing"
)

func TestSRI(t *testing.T) {
	data := []byte("tarball bytes")
	s512 := sha512.Sum512(data)
	s1 := sha1.Sum(data)
	good := "sha1-" + base64.StdEncoding.EncodeToString(s1[:]) + " sha512-" + base64.StdEncoding.EncodeToString(s512[:])
	sri, err := NewSRI(good)
	if err != nil || sri.alg != "sha512" {
		t.Fatalf("%v %+v", err, sri)
	}
	sri.Write(data)
	if err := sri.Verify(); err != nil {
		t.Fatal(err)
	}
	bad, _ := NewSRI("sha512-" + base64.StdEncoding.EncodeToString(s512[:]))
	bad.Write([]byte("other bytes"))
	if err := bad.Verify(); !errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("mismatch: %v", err)
	}
	for _, junk := range []string{"", "md5-abc", "sha512-!!!"} {
		if _, err := NewSRI(junk); err == nil {
			t.Errorf("NewSRI(%q) accepted", junk)
		}
	}
}
