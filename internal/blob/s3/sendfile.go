package s3

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/minio/minio-go/v7/pkg/signer"

	"github.com/artifactapi/artifactapi/internal/blob"
)

// PutFile stores the bytes of f, a file whose sha256 and size are known
// (a verified fill's spool), as Put would. Over plain HTTP to a server
// that checks payload hashes it sends them in one PUT signed here rather
// than by minio-go, whose request body is a reader of its own: net/http
// sends an *os.File body by sendfile, from the page cache to the socket,
// where minio-go's read it into this process and wrote it out again (a
// quarter of the proxy's CPU on cold 1 MB fills on PostgreSQL + S3).
// Over TLS nothing sends a file without copying it, and minio-go's upload
// (and its retries) is kept.
func (s *Store) PutFile(ctx context.Context, f *os.File, want blob.Expect) (blob.Info, error) {
	if s.c.EndpointURL().Scheme != "http" || !s.direct || !blob.ValidDigest(want.SHA256) || want.Size < 0 || want.Size > maxPut {
		return s.Put(ctx, io.NewSectionReader(f, 0, want.Size), want)
	}
	var err error
	for try := range putTries {
		if try > 0 {
			select {
			case <-ctx.Done():
				return blob.Info{}, err
			case <-time.After(time.Duration(try) * 100 * time.Millisecond):
			}
		}
		var retry bool
		if retry, err = s.sendFile(ctx, f.Name(), want); err == nil || !retry {
			break
		}
	}
	if err != nil {
		return blob.Info{}, err
	}
	return blob.Info{SHA256: want.SHA256, Size: want.Size}, nil
}

// putTries is how often PutFile tries a PUT that failed on the way or
// with a server error, as minio-go's MaxRetries does for Put.
const putTries = 3

// sendFile makes one signed PUT of the file named name, from a descriptor
// of its own (net/http sends from its offset), to want's address. retry
// says whether another try may succeed.
func (s *Store) sendFile(ctx context.Context, name string, want blob.Expect) (retry bool, err error) {
	body, err := os.Open(name)
	if err != nil {
		return false, fmt.Errorf("s3 upload: %w", err)
	}
	defer body.Close()
	u := s.c.EndpointURL()
	u.Path = "/" + s.bucket + "/" + key(want.SHA256)
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u.String(), body)
	if err != nil {
		return false, fmt.Errorf("s3 upload: %w", err)
	}
	req.ContentLength = want.Size
	if want.Size == 0 {
		req.Body = http.NoBody
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	// The server refuses bytes that do not hash to this (see
	// checksPayload): the verification putDirect relies on too.
	req.Header.Set("X-Amz-Content-Sha256", want.SHA256)
	creds, err := s.c.GetCreds()
	if err != nil {
		return false, fmt.Errorf("s3 credentials: %w", err)
	}
	req = signer.SignV4(*req, creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken, s.region)
	resp, err := s.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return false, fmt.Errorf("s3 upload: %w", err)
		}
		return true, fmt.Errorf("s3 upload: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return false, nil
	}
	var e struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	xml.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&e)
	if hashRefused(e.Code) {
		return false, otherBytes(want.SHA256)
	}
	return resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests,
		fmt.Errorf("s3 upload: %d %s: %s", resp.StatusCode, e.Code, e.Message)
}
