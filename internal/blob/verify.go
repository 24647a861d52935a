package blob

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"strings"
)

var algs = map[string]func() hash.Hash{
	"md5": md5.New, "sha1": sha1.New, "sha256": sha256.New, "sha384": sha512.New384, "sha512": sha512.New,
}

// Verifier checks bytes against everything an Expect names, in the one
// pass that also computes their sha256 and size.
type Verifier struct {
	want  Expect
	h     *Hasher
	sri   *SRI
	sums  map[string]hash.Hash // one per algorithm, however many sums name it
	check Check
	w     io.Writer
}

// NewVerifier prepares the hashes want needs. A digest it cannot check (an
// unknown algorithm, bad hex) is an error: a published digest is never
// skipped.
func NewVerifier(want Expect) (*Verifier, error) {
	v := &Verifier{want: want, h: NewHasher(), sums: map[string]hash.Hash{}}
	ws := []io.Writer{v.h}
	if want.Integrity != "" {
		sri, err := NewSRI(want.Integrity)
		if err != nil {
			return nil, err
		}
		v.sri = sri
		ws = append(ws, sri)
	}
	for _, s := range want.Sums {
		alg := strings.ToLower(s.Alg)
		mk, ok := algs[alg]
		if !ok {
			return nil, fmt.Errorf("unsupported digest algorithm %q", s.Alg)
		}
		if _, err := hex.DecodeString(s.Hex); err != nil || s.Hex == "" {
			return nil, fmt.Errorf("malformed %s digest %q", alg, s.Hex)
		}
		if alg == "sha256" || v.sums[alg] != nil {
			continue // the sha256 is always computed; one hash per algorithm
		}
		v.sums[alg] = mk()
		ws = append(ws, v.sums[alg])
	}
	if want.Check != nil {
		v.check = want.Check()
		ws = append(ws, v.check)
	}
	v.w = io.MultiWriter(ws...)
	return v, nil
}

func (v *Verifier) Write(p []byte) (int, error) { return v.w.Write(p) }

// Info is the sha256 and size of what was written so far.
func (v *Verifier) Info() Info { return v.h.Info() }

// Verify checks the bytes written against every expectation.
func (v *Verifier) Verify() (Info, error) {
	got := v.h.Info()
	if err := v.want.Verify(got); err != nil {
		return got, err
	}
	for _, s := range v.want.Sums {
		alg := strings.ToLower(s.Alg)
		sum := got.SHA256
		if h := v.sums[alg]; h != nil {
			sum = hex.EncodeToString(h.Sum(nil))
		}
		if !strings.EqualFold(sum, s.Hex) {
			return got, fmt.Errorf("%w: %s want %s, got %s", ErrDigestMismatch, alg, strings.ToLower(s.Hex), sum)
		}
	}
	if v.sri != nil {
		if err := v.sri.Verify(); err != nil {
			return got, err
		}
	}
	if v.check != nil {
		if err := v.check.Verify(); err != nil {
			return got, fmt.Errorf("%w: %v", ErrDigestMismatch, err)
		}
	}
	return got, nil
}

// With returns want completed by other: other's known values win, its
// digests are added.
func (want Expect) With(other Expect) Expect {
	if other.SHA256 != "" {
		want.SHA256 = other.SHA256
	}
	if other.Size >= 0 {
		want.Size = other.Size
	}
	if other.Integrity != "" {
		want.Integrity = other.Integrity
	}
	want.Sums = append(append([]Sum(nil), want.Sums...), other.Sums...)
	if other.Check != nil {
		want.Check = other.Check
	}
	return want
}
