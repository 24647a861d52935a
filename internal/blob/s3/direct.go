package s3

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/google/uuid"
	"github.com/minio/minio-go/v7"

	"github.com/artifactapi/artifactapi/internal/blob"
)

// putDirect uploads bytes whose sha256 and size are known straight to
// their content address in one PUT, instead of a temp, a copy and a
// delete. The digest goes out as the request's payload hash
// (x-amz-content-sha256), which the server checks before it stores
// anything: bytes that hash otherwise, or fewer than size, are refused and
// the address keeps what it held. Only used when New saw the server refuse
// a wrong one (checksPayload).
//
// The bytes are not hashed here as well: the server's check is the
// verification, and hashing them again cost half a millisecond of CPU
// per MB of every fill, on the cores that serve the next one.
func (s *Store) putDirect(ctx context.Context, r io.Reader, want blob.Expect) (blob.Info, error) {
	src := &exactly{r: r, left: want.Size}
	_, err := s.core.PutObject(ctx, s.bucket, key(want.SHA256), src, want.Size, "", want.SHA256, minio.PutObjectOptions{
		ContentType: "application/octet-stream", DisableContentSha256: true,
	})
	switch {
	case src.err != nil:
		return blob.Info{}, src.err // the source failed or was too long, not S3
	case src.left > 0:
		return blob.Info{}, fmt.Errorf("%w: want %d bytes, got %d", blob.ErrSizeMismatch, want.Size, want.Size-src.left)
	case err != nil && payloadRefused(err):
		return blob.Info{}, otherBytes(want.SHA256)
	case err != nil:
		return blob.Info{}, fmt.Errorf("s3 upload: %w", err)
	}
	return blob.Info{SHA256: want.SHA256, Size: want.Size}, nil
}

// payloadRefused says whether err is the server refusing a body that does
// not hash to the request's x-amz-content-sha256.
func payloadRefused(err error) bool { return hashRefused(minio.ToErrorResponse(err).Code) }

// hashRefused says whether an S3 error code is that refusal.
func hashRefused(code string) bool { return code == "XAmzContentSHA256Mismatch" || code == "BadDigest" }

// otherBytes is the error of an upload the server refused as not hashing
// to sha.
func otherBytes(sha string) error {
	return fmt.Errorf("%w: the bytes do not hash to %s", blob.ErrDigestMismatch, sha)
}

// exactly reads left bytes of r and holds the last of them back unless r
// ends there: a longer source must not get its first left bytes uploaded
// whole, since the server would store them.
type exactly struct {
	r    io.Reader
	left int64
	err  error
}

func (e *exactly) Read(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	if e.left <= 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), e.left)]
	n, err := e.r.Read(p)
	e.left -= int64(n)
	if err != nil && err != io.EOF {
		e.err = err
		return 0, err
	}
	if e.left == 0 {
		var one [1]byte
		m, perr := io.ReadFull(e.r, one[:])
		switch {
		case m > 0:
			e.err = fmt.Errorf("%w: more bytes than announced", blob.ErrSizeMismatch)
			return 0, e.err
		case perr != io.EOF:
			e.err = perr
			return 0, perr
		}
	}
	if n == 0 && err == io.EOF {
		return 0, io.EOF // shorter than announced
	}
	return n, nil
}

// checksPayload says whether the server refuses a PUT whose body does not
// hash to its x-amz-content-sha256, which putDirect relies on. Anything
// but that refusal (a server that stored it, or any other error) is a no.
func (s *Store) checksPayload(ctx context.Context) bool {
	probe := tmpPrefix + "probe-" + uuid.NewString()
	wrong := sha256.Sum256([]byte("not the body"))
	_, err := s.core.PutObject(ctx, s.bucket, probe, strings.NewReader("body"), 4, "", hex.EncodeToString(wrong[:]),
		minio.PutObjectOptions{DisableContentSha256: true})
	if err == nil {
		s.c.RemoveObject(ctx, s.bucket, probe, minio.RemoveObjectOptions{})
		return false
	}
	return payloadRefused(err)
}
