package blob

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"hash"
	"strings"
)

// SRI checks bytes against a Subresource Integrity string
// ("sha512-<base64>", as npm publishes; sha384, sha256 and sha1 too).
type SRI struct {
	h    hash.Hash
	want []byte
	alg  string
}

// NewSRI parses an integrity string; of several it keeps the strongest.
func NewSRI(integrity string) (*SRI, error) {
	var best *SRI
	rank := map[string]int{"sha1": 1, "sha256": 2, "sha384": 3, "sha512": 4}
	for _, f := range strings.Fields(integrity) {
		alg, b64, ok := strings.Cut(f, "-")
		if !ok || rank[alg] == 0 {
			continue
		}
		b64, _, _ = strings.Cut(b64, "?") // options are allowed after the digest
		want, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			continue
		}
		if best == nil || rank[alg] > rank[best.alg] {
			best = &SRI{alg: alg, want: want}
		}
	}
	if best == nil {
		return nil, fmt.Errorf("no usable digest in integrity %q", integrity)
	}
	best.h = map[string]func() hash.Hash{"sha1": sha1.New, "sha256": sha256.New, "sha384": sha512.New384, "sha512": sha512.New}[best.alg]()
	return best, nil
}

// Write hashes p.
func (s *SRI) Write(p []byte) (int, error) { return s.h.Write(p) }

// Verify reports whether the bytes written match.
func (s *SRI) Verify() error {
	if !bytes.Equal(s.h.Sum(nil), s.want) {
		return fmt.Errorf("%w: %s integrity differs", ErrDigestMismatch, s.alg)
	}
	return nil
}
