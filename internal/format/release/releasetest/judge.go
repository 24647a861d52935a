// Package releasetest has a format.Judge for type tests: a release policy
// fixed in advance, and documents held in memory.
package releasetest

import (
	"bytes"
	"io"
	"os"
	"sync"
	"time"

	"github.com/artifactapi/artifactapi/internal/format"
)

// Judge refuses the releases named in Refuse ("pkg@version") and those
// published after Cutoff (when set); Docs are what Open reads.
type Judge struct {
	Refuse map[string]bool
	Cutoff time.Time
	Docs   map[string][]byte

	mu    sync.Mutex
	Asked []format.Release
}

// Allow implements format.Judge.
func (j *Judge) Allow(r format.Release) bool {
	j.mu.Lock()
	j.Asked = append(j.Asked, r)
	j.mu.Unlock()
	if j.Refuse[r.Package+"@"+r.Version] {
		return false
	}
	return j.Cutoff.IsZero() || r.Published.IsZero() || !r.Published.After(j.Cutoff)
}

// Open implements format.Judge.
func (j *Judge) Open(path string) (io.ReadCloser, error) {
	b, ok := j.Docs[path]
	if !ok {
		return nil, os.ErrNotExist
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// Doc is a Filter's doc argument reading b.
func Doc(b []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}
