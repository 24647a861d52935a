package fetch

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/blob"
)

// spool holds a fill's body while its clients read it and until it is
// stored. Clients read only what the fill has announced (fill.advance), so
// reads never touch bytes still being written.
type spool interface {
	io.ReaderAt
	io.Closer
	// next is where the upstream's next bytes are read to; keep takes the
	// first n of them.
	next() []byte
	keep(n int) error
	// copied says the upstream sent everything: a file's read buffer goes
	// back (storing can take a while, and does not need it).
	copied()
	// commit stores the whole, verified body as info.
	commit(ctx context.Context, e *Engine, info blob.Info) error
	// discard drops what was spooled, unless commit made it the blob.
	discard()
}

// newSpool spools a body of at most smallObject bytes whose length the
// upstream announced in memory, and any other in a file in SpoolDir. On
// S3 a small body then costs one PUT from memory, where its spool file
// was created, written, read back and renamed into the local tier (a
// quarter of a scale-out small miss's CPU); on local files the blob's
// file is created while the object is stored, after its clients have it.
func (e *Engine) newSpool(size int64) (spool, error) {
	if size >= 0 && size <= smallObject {
		return &memSpool{b: make([]byte, size+1)}, nil
	}
	f, err := os.CreateTemp(e.opt.SpoolDir, "fill-*")
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	return &fileSpool{File: f, bufp: copyBufs.Get().(*[]byte)}, nil
}

// memSpool is a body in memory. b has one byte more than announced, so a
// body longer than its Content-Length fails instead of being cut.
type memSpool struct {
	b []byte
	n int // written; only the fill's goroutine reads it
}

var errLonger = apierr.New(apierr.ErrUpstream, "upstream body is longer than its Content-Length")

func (m *memSpool) next() []byte { return m.b[m.n:] }

func (m *memSpool) keep(n int) error {
	m.n += n
	if m.n == len(m.b) {
		return errLonger
	}
	return nil
}

// ReadAt reads what a client was told is there: it never looks at n,
// which the fill's goroutine is moving.
func (m *memSpool) ReadAt(p []byte, off int64) (int, error) {
	body := m.b[:len(m.b)-1]
	if off >= int64(len(body)) {
		return 0, io.EOF
	}
	n := copy(p, body[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (m *memSpool) Close() error { return nil }
func (m *memSpool) copied()      {}
func (m *memSpool) discard()     {}

// data is the whole body, once the fill has it.
func (m *memSpool) data() []byte { return m.b[:m.n] }

func (m *memSpool) commit(ctx context.Context, e *Engine, info blob.Info) error {
	_, err := e.Blobs.Put(ctx, bytes.NewReader(m.data()), blob.Expect{SHA256: info.SHA256, Size: info.Size})
	return err
}

// fileSpool is a body in a file; bufp is the read buffer the copy uses.
type fileSpool struct {
	*os.File
	bufp    *[]byte
	adopted bool
}

func (s *fileSpool) next() []byte { return *s.bufp }

func (s *fileSpool) keep(n int) error {
	if _, err := s.Write((*s.bufp)[:n]); err != nil {
		return fmt.Errorf("spool write: %w", err)
	}
	return nil
}

func (s *fileSpool) copied() {
	if s.bufp != nil {
		copyBufs.Put(s.bufp)
		s.bufp = nil
	}
}

func (s *fileSpool) commit(ctx context.Context, e *Engine, info blob.Info) error {
	if err := e.commitBlob(ctx, s.File, info); err != nil {
		return err
	}
	s.adopted = e.adopter != nil
	return nil
}

func (s *fileSpool) discard() {
	s.copied()
	if !s.adopted {
		os.Remove(s.Name())
	}
}
