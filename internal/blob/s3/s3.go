// Package s3 is the blob store for many replicas: an S3 bucket (AWS S3,
// MinIO, Ceph RGW, versitygw) through minio-go. Uploads go to a temp key
// and are copied to blobs/sha256/{hash} only after the bytes hashed right,
// or, when their digest is known and the server checks payload hashes,
// straight to blobs/sha256/{hash} in one PUT the server verifies.
package s3

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/artifactapi/artifactapi/internal/blob"
)

// Config names the bucket and how to reach it.
type Config struct {
	Endpoint, AccessKey, SecretKey, Bucket, Region string
	Secure                                         bool
}

// Store is a blob.Store on S3.
type Store struct {
	c      *minio.Client
	core   minio.Core
	bucket string
	log    *slog.Logger
	// direct: the server refuses a body that does not hash to the PUT's
	// x-amz-content-sha256, so a known digest is uploaded to its address.
	direct bool
	// What PutFile sends its own requests with (c's transport), and the
	// region it signs them for; the endpoint and credentials are c's.
	hc     *http.Client
	region string
}

const (
	tmpPrefix = "tmp/"
	// partSize bounds the memory of one upload: minio-go holds one part in
	// memory at a time, whatever the object's size.
	partSize = 8 << 20
	// maxCopy is S3's limit for a single server-side copy, and maxPut
	// for a single PUT.
	maxCopy = 5 << 30
	maxPut  = 5 << 30
	// staleTemp is how old a temp must be before a starting replica deletes
	// it: younger ones may be another replica's upload in progress.
	staleTemp = 24 * time.Hour
	// maxIdleConns is how many connections to S3 are kept open between
	// requests.
	maxIdleConns = 256
)

// New connects, creates the bucket when it is missing and removes temps
// that crashed uploads left more than a day ago.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Store, error) {
	tr, err := minio.DefaultTransport(cfg.Secure)
	if err != nil {
		return nil, fmt.Errorf("s3 transport: %w", err)
	}
	// Every fill in flight may upload at once. minio-go keeps 16 idle
	// connections per host, so past 16 concurrent uploads each upload
	// dialled (and over TLS shook hands) again: 5% of a cold fill's CPU
	// at 64 at once.
	tr.MaxIdleConnsPerHost = maxIdleConns
	c, err := minio.New(cfg.Endpoint, &minio.Options{
		Transport:    tr,
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       cfg.Secure,
		Region:       cfg.Region,
		BucketLookup: minio.BucketLookupPath,
		// A few quick retries: an S3 outage should become a clear 503
		// within seconds, not after minio-go's default ten.
		MaxRetries: 3,
	})
	if err != nil {
		return nil, fmt.Errorf("s3 %s: %w", cfg.Endpoint, err)
	}
	s := &Store{c: c, core: minio.Core{Client: c}, bucket: cfg.Bucket, log: log,
		hc: &http.Client{Transport: tr}, region: cmp.Or(cfg.Region, "us-east-1")}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ok, err := c.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("s3 %s bucket %q: %w", cfg.Endpoint, cfg.Bucket, err)
	}
	if !ok {
		err := c.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region})
		if code := minio.ToErrorResponse(err).Code; err != nil && code != "BucketAlreadyOwnedByYou" && code != "BucketAlreadyExists" {
			return nil, fmt.Errorf("s3 create bucket %q: %w", cfg.Bucket, err)
		}
		log.Info("s3 bucket created", "bucket", cfg.Bucket)
	}
	s.removeStaleTemps(ctx, time.Now().Add(-staleTemp))
	s.direct = s.checksPayload(ctx)
	log.Debug("s3 store ready", "bucket", cfg.Bucket, "direct_puts", s.direct)
	return s, nil
}

// Name implements blob.Store.
func (s *Store) Name() string { return "s3" }

func key(sha string) string { return "blobs/sha256/" + sha }

// Check implements blob.Store.
func (s *Store) Check(ctx context.Context) error {
	ok, err := s.c.BucketExists(ctx, s.bucket)
	if err == nil && !ok {
		err = fmt.Errorf("bucket %q is gone", s.bucket)
	}
	return err
}

// Put implements blob.Store.
func (s *Store) Put(ctx context.Context, r io.Reader, want blob.Expect) (blob.Info, error) {
	if want.SHA256 != "" && !blob.ValidDigest(want.SHA256) {
		return blob.Info{}, blob.ErrBadDigest
	}
	if s.direct && want.SHA256 != "" && want.Size >= 0 && want.Size <= maxPut {
		// One round trip; storing what is already there again is harmless.
		return s.putDirect(ctx, r, want)
	}
	h := blob.NewHasher()
	if want.SHA256 != "" {
		// Already stored: the bytes are read and verified, not uploaded again.
		if info, err := s.Stat(ctx, want.SHA256); err == nil {
			if _, err := io.Copy(h, r); err != nil {
				return blob.Info{}, err
			}
			return info, want.Verify(h.Info())
		}
	}
	tmp := tmpPrefix + uuid.NewString()
	defer func() {
		// Removed on every path: after the copy the temp is garbage, after a
		// failure it must not linger. Detached so a cancelled fill still cleans up.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		s.c.RemoveObject(ctx, s.bucket, tmp, minio.RemoveObjectOptions{})
	}()
	size := want.Size
	if size < 0 {
		size = -1
	}
	src := &readErr{r: io.TeeReader(r, h)}
	var body io.Reader = src
	if size >= 0 {
		// minio-go sends exactly size bytes or fails; what is beyond is
		// checked below.
		body = io.LimitReader(src, size)
	}
	_, err := s.c.PutObject(ctx, s.bucket, tmp, body, size, minio.PutObjectOptions{
		PartSize: partSize, ContentType: "application/octet-stream", DisableContentSha256: true,
	})
	if src.err != nil {
		return blob.Info{}, src.err // the source failed, not S3
	}
	if err != nil {
		if got := h.Info().Size; size >= 0 && got < size {
			return blob.Info{}, fmt.Errorf("%w: want %d bytes, got %d", blob.ErrSizeMismatch, want.Size, got)
		}
		return blob.Info{}, fmt.Errorf("s3 upload: %w", err)
	}
	if size >= 0 {
		// PutObject stops at size bytes; more would be a mismatch.
		if n, _ := io.Copy(h, r); n > 0 {
			return blob.Info{}, fmt.Errorf("%w: want %d bytes, got more", blob.ErrSizeMismatch, want.Size)
		}
	}
	info := h.Info()
	if err := want.Verify(info); err != nil {
		return blob.Info{}, err
	}
	if err := s.commit(ctx, tmp, info); err != nil {
		return blob.Info{}, fmt.Errorf("s3 commit %s: %w", info.SHA256, err)
	}
	return info, nil
}

// commit copies the verified temp to its content address, server side.
func (s *Store) commit(ctx context.Context, tmp string, info blob.Info) error {
	dst := minio.CopyDestOptions{Bucket: s.bucket, Object: key(info.SHA256)}
	src := minio.CopySrcOptions{Bucket: s.bucket, Object: tmp}
	var err error
	if info.Size <= maxCopy {
		_, err = s.c.CopyObject(ctx, dst, src)
	} else {
		_, err = s.c.ComposeObject(ctx, dst, src)
	}
	return err
}

// readErr remembers the source's own error, so that a broken upstream is
// reported as itself rather than as whatever minio-go wraps it in.
type readErr struct {
	r   io.Reader
	err error
}

func (e *readErr) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

// Open implements blob.Store. One GET both proves the blob exists and
// starts the body (a separate HEAD would double the round trips of every
// hit); seeking issues ranged GETs.
func (s *Store) Open(ctx context.Context, sha string) (io.ReadSeekCloser, blob.Info, error) {
	if !blob.ValidDigest(sha) {
		return nil, blob.Info{}, blob.ErrBadDigest
	}
	obj, err := s.c.GetObject(ctx, s.bucket, key(sha), minio.GetObjectOptions{})
	if err != nil {
		return nil, blob.Info{}, mapErr(err)
	}
	st, err := obj.Stat()
	if err != nil {
		obj.Close()
		return nil, blob.Info{}, mapErr(err)
	}
	return obj, blob.Info{SHA256: sha, Size: st.Size}, nil
}

// Stat implements blob.Store.
func (s *Store) Stat(ctx context.Context, sha string) (blob.Info, error) {
	if !blob.ValidDigest(sha) {
		return blob.Info{}, blob.ErrBadDigest
	}
	st, err := s.c.StatObject(ctx, s.bucket, key(sha), minio.StatObjectOptions{})
	if err != nil {
		return blob.Info{}, mapErr(err)
	}
	return blob.Info{SHA256: sha, Size: st.Size}, nil
}

// Delete implements blob.Store.
func (s *Store) Delete(ctx context.Context, sha string) error {
	if !blob.ValidDigest(sha) {
		return blob.ErrBadDigest
	}
	return mapErr(s.c.RemoveObject(ctx, s.bucket, key(sha), minio.RemoveObjectOptions{}))
}

func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if code := minio.ToErrorResponse(err).Code; code == "NoSuchKey" || code == "NotFound" {
		return fmt.Errorf("%w: %v", blob.ErrNotFound, err)
	}
	return fmt.Errorf("s3: %w", err)
}

// Walk calls fn for every committed blob (the janitor looks for blobs no
// row refers to).
func (s *Store) Walk(fn func(sha string, size int64, mod time.Time)) error {
	for obj := range s.c.ListObjects(context.Background(), s.bucket, minio.ListObjectsOptions{Prefix: key(""), Recursive: true}) {
		if obj.Err != nil {
			return fmt.Errorf("s3: list blobs: %w", obj.Err)
		}
		if sha := strings.TrimPrefix(obj.Key, key("")); blob.ValidDigest(sha) {
			fn(sha, obj.Size, obj.LastModified)
		}
	}
	return nil
}

// removeStaleTemps deletes temps and unfinished multipart uploads older
// than before; failures are logged, since the store works without it.
func (s *Store) removeStaleTemps(ctx context.Context, before time.Time) {
	n := 0
	for obj := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: tmpPrefix, Recursive: true}) {
		if obj.Err != nil {
			s.log.Warn("s3 temp cleanup: list", "err", obj.Err)
			break
		}
		if obj.LastModified.Before(before) {
			if err := s.c.RemoveObject(ctx, s.bucket, obj.Key, minio.RemoveObjectOptions{}); err == nil {
				n++
			}
		}
	}
	for up := range s.c.ListIncompleteUploads(ctx, s.bucket, tmpPrefix, true) {
		if up.Err != nil {
			s.log.Debug("s3 temp cleanup: list uploads", "err", up.Err)
			break
		}
		if up.Initiated.Before(before) {
			if err := s.c.RemoveIncompleteUpload(ctx, s.bucket, up.Key); err == nil {
				n++
			}
		}
	}
	if n > 0 {
		s.log.Info("s3 temps from crashed uploads removed", "count", n)
	}
}
