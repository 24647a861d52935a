// Package blob defines the content-addressed store that holds every cached
// artifact exactly once, keyed by the sha256 of its bytes.
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

var (
	// ErrNotFound means no blob has the asked-for digest.
	ErrNotFound = errors.New("blob not found")
	// ErrDigestMismatch means the bytes did not hash to the expected sha256.
	ErrDigestMismatch = errors.New("blob digest mismatch")
	// ErrSizeMismatch means the byte count differed from the expected size.
	ErrSizeMismatch = errors.New("blob size mismatch")
	// ErrBadDigest means a digest string is not 64 lowercase hex characters.
	ErrBadDigest = errors.New("malformed sha256 digest")
)

// Info describes a stored blob.
type Info struct {
	SHA256 string
	Size   int64
}

// Expect is what a writer must see before it may commit. An empty SHA256 or a
// negative Size means "not known in advance"; the computed values are used.
// Stores check SHA256 and Size; a fill checks everything (Verifier).
type Expect struct {
	SHA256 string
	Size   int64
	// Integrity is a published SRI digest (npm's dist.integrity), checked
	// besides the sha256.
	Integrity string
	// Sums are other published digests of the whole bytes (rpm's sha1 or
	// sha512, Puppet Forge's md5, Debian's md5).
	Sums []Sum
	// Check, when set, makes a fresh check of what only the format can
	// verify (a digest over part of the file: Alpine's control segment).
	Check func() Check
}

// Sum is one published digest: an algorithm (md5, sha1, sha256, sha384,
// sha512) and the digest in hex.
type Sum struct{ Alg, Hex string }

// Check sees every byte of an artifact once, then says whether it holds.
type Check interface {
	io.Writer
	Verify() error
}

// Store is a content-addressed blob store. Content becomes visible only once
// it has been verified whole; a failed Put leaves nothing behind.
type Store interface {
	// Put reads r to EOF, verifies it against want and stores it under its
	// sha256. Storing bytes that are already present is not an error.
	Put(ctx context.Context, r io.Reader, want Expect) (Info, error)
	// Open returns a seekable reader over a committed blob.
	Open(ctx context.Context, sha string) (io.ReadSeekCloser, Info, error)
	Stat(ctx context.Context, sha string) (Info, error)
	// Delete removes a blob; deleting a missing blob is not an error.
	Delete(ctx context.Context, sha string) error
	// Check reports whether the backend is usable (for health checks).
	Check(ctx context.Context) error
	Name() string
}

// SizedOpener is a store that finds a blob sooner when told its size, as
// a caller that has the blob's row knows it.
type SizedOpener interface {
	OpenSized(ctx context.Context, sha string, size int64) (io.ReadSeekCloser, Info, error)
}

// OpenSized opens sha, of size bytes, from s.
func OpenSized(ctx context.Context, s Store, sha string, size int64) (io.ReadSeekCloser, Info, error) {
	if so, ok := s.(SizedOpener); ok {
		return so.OpenSized(ctx, sha, size)
	}
	return s.Open(ctx, sha)
}

// ValidDigest reports whether s is a lowercase hex sha256.
func ValidDigest(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Verify compares computed values against the expectation.
func (want Expect) Verify(got Info) error {
	if want.Size >= 0 && got.Size != want.Size {
		return fmt.Errorf("%w: want %d bytes, got %d", ErrSizeMismatch, want.Size, got.Size)
	}
	if want.SHA256 != "" && got.SHA256 != want.SHA256 {
		return fmt.Errorf("%w: want %s, got %s", ErrDigestMismatch, want.SHA256, got.SHA256)
	}
	return nil
}

// Hasher counts and hashes bytes written through it.
type Hasher struct {
	h interface {
		io.Writer
		Sum([]byte) []byte
	}
	n int64
}

// NewHasher returns a sha256 Hasher.
func NewHasher() *Hasher { return &Hasher{h: sha256.New()} }

func (h *Hasher) Write(p []byte) (int, error) {
	n, _ := h.h.Write(p)
	h.n += int64(n)
	return n, nil
}

// Info returns the digest and size of everything written so far.
func (h *Hasher) Info() Info {
	return Info{SHA256: hex.EncodeToString(h.h.Sum(nil)), Size: h.n}
}
