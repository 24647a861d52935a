package blobtest

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"

	"github.com/artifactapi/artifactapi/internal/blob"
)

// HeadSHA1 is a type-supplied check over part of a file, for tests: the
// sha1 of the first n bytes must be want (hex), as Alpine's digest covers
// only the control segment of a package.
func HeadSHA1(n int, want string) blob.Check { return &headSHA1{n: n, want: want} }

type headSHA1 struct {
	n    int
	seen []byte
	want string
}

func (c *headSHA1) Write(p []byte) (int, error) {
	if room := c.n - len(c.seen); room > 0 {
		c.seen = append(c.seen, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (c *headSHA1) Verify() error {
	if sum := sha1.Sum(c.seen); hex.EncodeToString(sum[:]) != c.want {
		return errors.New("digest of the first bytes differs")
	}
	return nil
}
