package fetch

import (
	"context"
	"errors"
	"io"
	"sync"

	"golang.org/x/sync/singleflight"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/blob"
	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/registry"
)

// parsedMaps keeps what was read from recently used documents (an
// index's digests, a document's release dates), keyed by the stored
// document's path and sha256 (so a refreshed one is read anew).
type parsedMaps[V any] struct {
	mu  sync.Mutex
	m   map[string]map[string]V
	max int
	// parsing has one parse per document in flight: a Debian Packages
	// index takes over a second to read, and a fleet's first requests
	// after a refresh all want it at once.
	parsing singleflight.Group
}

func (d *parsedMaps[V]) get(key string) (map[string]V, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	m, ok := d.m[key]
	return m, ok
}

func (d *parsedMaps[V]) put(key string, m map[string]V) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.m == nil || len(d.m) >= max(d.max, 16) {
		d.m = map[string]map[string]V{}
	}
	d.m[key] = m
}

// published returns what the remote's cached index says about path. It
// refuses a path that must be listed and is not, before any upstream
// request is made.
func (e *Engine) published(ctx context.Context, rem *registry.Remote, path string, class format.Class) (blob.Expect, bool, error) {
	if rem.Type.Published == nil || class.Kind != format.Artifact {
		return blob.Expect{}, false, nil
	}
	// An index a client just downloaded may still be being stored: the
	// artifact it asks for next is checked against it.
	e.Settle(ctx, rem.Name, "")
	var want blob.Expect
	found := false
	for _, index := range e.listedIn(ctx, rem.Name, class.ListedIn) {
		m, err := e.digestsOf(ctx, rem.Name, index, rem.Type)
		if errors.Is(err, meta.ErrNotFound) {
			continue // this representation is not cached; try the next
		}
		if err != nil {
			e.Log.Warn("published digests unavailable", "remote", rem.Name, "index", index, "err", err)
			continue
		}
		if want, found = m[path]; found {
			break // another representation may list what this one does not
		}
	}
	if !found && class.MustBeListed {
		return blob.Expect{}, false, apierr.New(apierr.ErrNotFound, "%s: %s is not listed in the remote's index", rem.Name, path)
	}
	return want, found, nil
}

// consistent reports whether a cached object that changes upstream still
// matches what the remote's cached index publishes for it (an apt index
// by name against a Release fetched since): when it does not, it is stale
// whatever its TTL says, and is fetched again.
func (e *Engine) consistent(ctx context.Context, rem *registry.Remote, path string, class format.Class, obj meta.Object) bool {
	if !class.Mutable || len(class.ListedIn) == 0 || rem.Type.Published == nil {
		return true
	}
	want, listed, err := e.published(ctx, rem, path, class)
	return err != nil || !listed || want.SHA256 == "" || want.SHA256 == obj.SHA256
}

func (e *Engine) digestsOf(ctx context.Context, remote, index string, t *format.Caps) (map[string]blob.Expect, error) {
	obj, err := e.lookup(ctx, remote, index)
	if err != nil {
		return nil, err
	}
	key := index + "\x00" + obj.SHA256 // the same bytes at another path list other paths
	if m, ok := e.digests.get(key); ok {
		return m, nil
	}
	v, err, _ := e.digests.parsing.Do(key, func() (any, error) {
		// Not the first caller's context: its client leaving must not
		// fail the others waiting on this parse.
		return e.parseDigests(context.WithoutCancel(ctx), remote, index, key, obj, t)
	})
	m, _ := v.(map[string]blob.Expect)
	return m, err
}

func (e *Engine) parseDigests(ctx context.Context, remote, index, key string, obj meta.Object, t *format.Caps) (map[string]blob.Expect, error) {
	if m, ok := e.digests.get(key); ok {
		return m, nil // parsed while this call waited to start
	}
	r, _, err := blob.OpenSized(ctx, e.Blobs, obj.SHA256, obj.Size) // the bytes the key names
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var m map[string]blob.Expect
	complete := true
	if t.Chained != nil {
		m, err = t.Chained.DigestsChained(index, r, func(path string) (io.ReadCloser, error) {
			rc, err := e.openCached(ctx, remote, path)
			if err != nil {
				complete = false // cached later: parse again then
			}
			return rc, err
		})
		if err != nil && m != nil {
			e.Log.Warn("published digests partly unreadable", "remote", remote, "index", index, "err", err)
			err = nil
		}
	} else {
		m, err = t.Published.Digests(index, r)
	}
	if err != nil {
		return nil, err
	}
	if complete {
		e.digests.put(key, m)
	}
	return m, nil
}

func (e *Engine) openCached(ctx context.Context, remote, path string) (io.ReadCloser, error) {
	obj, err := e.lookup(ctx, remote, path)
	if err != nil {
		return nil, err
	}
	r, _, err := blob.OpenSized(ctx, e.Blobs, obj.SHA256, obj.Size)
	return r, err
}
