package fetch

import (
	"bytes"
	"io"
	"math"
	"net/http"
	"os"
	"strconv"
	"sync"

	"github.com/artifactapi/artifactapi/internal/apierr"
)

// renderFiles keeps renderings of documents in files of a directory of
// its own, evicted as sizedCache evicts once they pass max bytes. They
// are derived from content-addressed blobs (the key names the blob), so
// none is ever stale; the directory is made with the first file (a
// server that never renders a large document leaves nothing in the spool
// directory), removed at close and, being under the spool directory, at
// the next start after a crash.
type renderFiles struct {
	parent string
	kept   *sizedCache[renderFile]

	mu     sync.Mutex
	dir    string
	closed bool
}

type renderFile struct {
	name string
	size int64
}

func newRenderFiles(parent string, max int64) *renderFiles {
	return &renderFiles{parent: parent, kept: newSizedCache[renderFile](max)}
}

// create makes a file for a new rendering.
func (c *renderFiles) create() (*os.File, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, os.ErrClosed
	}
	if c.dir == "" {
		dir, err := os.MkdirTemp(c.parent, "rendered-")
		if err != nil {
			return nil, err
		}
		c.dir = dir
	}
	return os.CreateTemp(c.dir, "r-*")
}

// open returns the rendering kept for key, opened for this request alone
// (sendfile moves a descriptor's offset, so none is shared).
func (c *renderFiles) open(key string) (*os.File, int64, bool) {
	if c == nil {
		return nil, 0, false
	}
	rf, ok := c.kept.get(key)
	if !ok {
		return nil, 0, false
	}
	f, err := os.Open(rf.name)
	if err != nil {
		return nil, 0, false // evicted meanwhile: render again
	}
	return f, rf.size, true
}

// add keeps the finished file name as key's rendering.
func (c *renderFiles) add(key, name string, size int64) {
	for _, rf := range c.kept.add(key, renderFile{name, size}, size) {
		os.Remove(rf.name) // a request that has it open still reads it whole
	}
}

func (c *renderFiles) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.dir != "" {
		os.RemoveAll(c.dir)
	}
}

// renderTee passes a rendering on to the client and keeps a copy: in
// memory up to memMax, beyond it in a new file of files (when there are
// none, a larger rendering is not kept). Memory serves hits best (a hit
// from a file, by open, sendfile and close, cost as much CPU as one from
// memory at 50 to 110 KB, and more for a helm index); files keep the
// largest documents (npm packuments of tens of MB), which were rendered
// anew on every request.
type renderTee struct {
	w      io.Writer
	files  *renderFiles
	memMax int64
	mem    bytes.Buffer
	f      *os.File
	n      int64
	lost   bool // nothing is kept
}

func (t *renderTee) Write(p []byte) (int, error) {
	t.keep(p)
	return t.w.Write(p)
}

func (t *renderTee) keep(p []byte) {
	if t.lost {
		return
	}
	t.n += int64(len(p))
	if t.f == nil && t.n <= t.memMax {
		t.mem.Write(p)
		return
	}
	if t.f == nil {
		if t.files == nil {
			t.drop()
			return
		}
		f, err := t.files.create()
		if err != nil {
			t.drop()
			return
		}
		t.f = f
		p = append(t.mem.Bytes(), p...)
		t.mem = bytes.Buffer{}
	}
	if _, err := t.f.Write(p); err != nil {
		t.drop()
	}
}

func (t *renderTee) drop() {
	t.lost = true
	t.mem = bytes.Buffer{}
	if t.f != nil {
		t.f.Close()
		os.Remove(t.f.Name())
		t.f = nil
	}
}

// finish keeps the copy under key: a file in files, or the bytes in small.
func (t *renderTee) finish(key string, small *smallCache) {
	switch {
	case t.lost:
	case t.f != nil:
		if err := t.f.Close(); err != nil {
			os.Remove(t.f.Name())
			return
		}
		t.files.add(key, t.f.Name(), t.n)
	default:
		small.put(key, t.mem.Bytes())
	}
}

// keptMemMax is the largest rendering kept in memory: an eighth of the
// memory cache, so one document cannot push out most of it. Larger ones
// go to render files.
func (e *Engine) keptMemMax() int64 { return e.small.max / 8 }

// kept is the rendering kept for key: its bytes in memory, or a file of
// the request's own (for sendKept, which closes it) and its size.
func (e *Engine) kept(key string) ([]byte, *os.File, int64, bool) {
	if data, ok := e.small.get(key); ok {
		return data, nil, 0, true
	}
	f, size, ok := e.rendered.open(key)
	return nil, f, size, ok
}

// renderKept renders a document whole before any of it is sent, keeps it
// under key as a renderTee does, and returns it to be served: its bytes,
// or a file of its own and its size. Without render files it is kept in
// memory, however large, as it has to be whole somewhere.
func (e *Engine) renderKept(key string, render func(io.Writer) error) ([]byte, *os.File, int64, error) {
	t := &renderTee{w: io.Discard, files: e.rendered, memMax: e.keptMemMax()}
	if e.rendered == nil {
		t.memMax = math.MaxInt64
	}
	if err := render(t); err != nil {
		t.drop()
		return nil, nil, 0, err
	}
	if t.lost {
		return nil, nil, 0, apierr.New(apierr.ErrUnavailable, "a rendered document could not be kept for sending")
	}
	if t.f == nil {
		data := t.mem.Bytes()
		if int64(len(data)) <= e.keptMemMax() {
			t.finish(key, e.small)
		}
		return data, nil, 0, nil
	}
	// A descriptor of the request's own: finish may evict the file at
	// once (larger than every kept rendering together), and the kept one
	// goes to other requests.
	f, err := os.Open(t.f.Name())
	if err != nil {
		t.drop()
		return nil, nil, 0, apierr.New(apierr.ErrUnavailable, "a rendered document could not be reopened: %v", err)
	}
	t.finish(key, e.small)
	return nil, f, t.n, nil
}

// sendKept answers r with a kept rendering, in memory or in a file, which
// it closes; the caller has set the other headers.
func sendKept(w http.ResponseWriter, r *http.Request, data []byte, f *os.File, size int64) {
	if f != nil {
		defer f.Close()
	} else {
		size = int64(len(data))
	}
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	w.WriteHeader(http.StatusOK)
	switch {
	case r.Method == http.MethodHead:
	case f != nil:
		io.CopyN(w, f, size) // an *os.File under a LimitedReader goes out by sendfile
	default:
		w.Write(data)
	}
}
