package s3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/artifactapi/artifactapi/internal/blob"
	"github.com/artifactapi/artifactapi/internal/blob/blobtest"
	"github.com/artifactapi/artifactapi/internal/testenv"
)

func newStore(t *testing.T) *Store {
	t.Helper()
	srv := testenv.S3(t)
	s, err := New(context.Background(), Config{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey,
		Secure: srv.Secure, Region: "us-east-1", Bucket: testenv.Unique("t-")}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		assertNoTemps(t, s)
		ctx := context.Background()
		for o := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Recursive: true}) {
			s.c.RemoveObject(ctx, s.bucket, o.Key, minio.RemoveObjectOptions{})
		}
		s.c.RemoveBucket(ctx, s.bucket)
	})
	return s
}

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store { return newStore(t) })
}

// assertNoTemps fails a test whose uploads left temp objects behind.
func assertNoTemps(t *testing.T, s *Store) {
	for o := range s.c.ListObjects(context.Background(), s.bucket, minio.ListObjectsOptions{Prefix: tmpPrefix, Recursive: true}) {
		t.Errorf("temp left behind: %s (%v)", o.Key, o.Err)
	}
}

// An object larger than one part goes up as a multipart upload.
func TestMultipart(t *testing.T) {
	s := newStore(t)
	data := make([]byte, 2*partSize+12345)
	for i := range data {
		data[i] = byte(i * 31)
	}
	info, err := s.Put(context.Background(), &onlyReader{data: data}, blob.Expect{Size: int64(len(data))})
	if err != nil {
		t.Fatal(err)
	}
	r, got, err := s.Open(context.Background(), info.SHA256)
	if err != nil || got.Size != int64(len(data)) {
		t.Fatalf("open: %+v %v", got, err)
	}
	defer r.Close()
	if _, err := r.Seek(partSize+5, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 10)
	if _, err := io.ReadFull(r, b); err != nil || string(b) != string(data[partSize+5:partSize+15]) {
		t.Fatalf("read across a part boundary: %v", err)
	}
}

type onlyReader struct {
	data []byte
	off  int
}

func (o *onlyReader) Read(p []byte) (int, error) {
	if o.off >= len(o.data) {
		return 0, io.EOF
	}
	n := copy(p, o.data[o.off:])
	o.off += n
	return n, nil
}

// The server the suite runs on checks payload hashes, so the conformance
// suite's known-digest puts went up directly; a store that thinks it
// does not must still pass it through the temp and copy.
func TestDirectPutsAndTheirFallback(t *testing.T) {
	s := newStore(t)
	if !s.direct {
		t.Fatal("this S3 server refuses a wrong x-amz-content-sha256, but the store did not see it")
	}
	data := []byte("direct bytes")
	sum := sha256.Sum256(data)
	want := blob.Expect{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))}
	for _, direct := range []bool{true, false} {
		s.direct = direct
		if _, err := s.Put(context.Background(), &onlyReader{data: data}, want); err != nil {
			t.Fatalf("direct=%v: %v", direct, err)
		}
		r, info, err := s.Open(context.Background(), want.SHA256)
		if err != nil || info.Size != want.Size {
			t.Fatalf("direct=%v: open %+v %v", direct, info, err)
		}
		got, _ := io.ReadAll(r)
		r.Close()
		if string(got) != string(data) {
			t.Fatalf("direct=%v: read %q", direct, got)
		}
	}
}

// A known digest goes up in one PUT to its address whatever the size, up
// to S3's limit for one: through a temp key in parts it cost the server
// the bytes twice more (the parts joined, then copied) and the proxy a
// hash of them it had made already.
func TestLargeKnownDigestGoesUpInOnePut(t *testing.T) {
	s := newStore(t)
	data := make([]byte, 2*partSize+12345)
	for i := range data {
		data[i] = byte(i * 7)
	}
	sum := sha256.Sum256(data)
	want := blob.Expect{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))}
	var trace bytes.Buffer
	s.c.TraceOn(&trace)
	_, err := s.Put(context.Background(), &onlyReader{data: data}, want)
	s.c.TraceOff()
	if err != nil {
		t.Fatal(err)
	}
	var writes []string
	for _, line := range strings.Split(trace.String(), "\n") {
		if m, _, ok := strings.Cut(line, " HTTP/1.1"); ok && !strings.HasPrefix(m, "GET ") && !strings.HasPrefix(m, "HEAD ") {
			writes = append(writes, m)
		}
	}
	if len(writes) != 1 || writes[0] != "PUT /"+s.bucket+"/"+key(want.SHA256) {
		t.Fatalf("requests that write: %q, want one PUT to the blob's address", writes)
	}
	r, info, err := s.Open(context.Background(), want.SHA256)
	if err != nil || info.Size != want.Size {
		t.Fatalf("open: %+v %v", info, err)
	}
	defer r.Close()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil || hex.EncodeToString(h.Sum(nil)) != want.SHA256 {
		t.Fatalf("read back: %v", err)
	}
}

// Concurrent uploads keep their connections for the next ones: minio-go's
// default of 16 idle connections per host made every upload past the 16th
// dial again.
func TestConcurrentUploadsReuseConnections(t *testing.T) {
	srv := testenv.S3(t)
	dials := countingForwarder(t, srv.Endpoint)
	s, err := New(context.Background(), Config{Endpoint: dials.addr, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey,
		Region: "us-east-1", Bucket: testenv.Unique("t-")}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	const n = 48
	round := func(r int) int64 {
		before := dials.n.Load()
		var all sync.WaitGroup
		all.Add(n)
		var done sync.WaitGroup
		for i := range n {
			done.Go(func() {
				data := fmt.Appendf(nil, "upload %d of round %d", i, r)
				sum := sha256.Sum256(data)
				// Every upload holds its connection until all n are open.
				src := &gatedReader{data: data, all: &all}
				if _, err := s.Put(context.Background(), src, blob.Expect{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))}); err != nil {
					t.Error(err)
				}
			})
		}
		done.Wait()
		return dials.n.Load() - before
	}
	if first := round(1); first < n-4 {
		t.Fatalf("first round of %d concurrent uploads dialled %d connections", n, first)
	}
	if again := round(2); again > 2 {
		t.Fatalf("second round of %d concurrent uploads dialled %d new connections, want the first round's reused "+
			"(an S3 server that closes every connection fails this too: run versitygw with --keep-alive)", n, again)
	}
}

type gatedReader struct {
	data []byte
	all  *sync.WaitGroup
	once sync.Once
}

func (g *gatedReader) Read(p []byte) (int, error) {
	g.once.Do(func() { g.all.Done(); g.all.Wait() })
	if len(g.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p, g.data)
	g.data = g.data[n:]
	return n, nil
}

type forwarder struct {
	addr string
	n    atomic.Int64
}

// countingForwarder relays TCP to target and counts the connections made.
func countingForwarder(t *testing.T, target string) *forwarder {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	f := &forwarder{addr: ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.n.Add(1)
			go func() {
				defer c.Close()
				up, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer up.Close()
				go io.Copy(up, c)
				io.Copy(c, up)
			}()
		}
	}()
	return f
}
