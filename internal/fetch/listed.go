package fetch

import (
	"cmp"
	"context"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/artifactapi/artifactapi/internal/meta"
)

const (
	// listingTTL is how long a listing of cached paths is reused: an
	// install that fetches a hundred packages lists once.
	listingTTL = 10 * time.Second
	// listingMax bounds a listing; the indexes a glob looks for are a
	// few of the cached paths under its prefix.
	listingMax  = 10000
	listingPage = 1000
)

type listing struct {
	at   time.Time
	objs []meta.Object
}

// listings keeps recent listings of a remote's cached paths by prefix.
type listings struct {
	mu sync.Mutex
	m  map[string]listing
}

// listedIn resolves a class's ListedIn: a plain path stays as it is; one
// with wildcards (path.Match, one segment each) becomes the cached paths
// it matches, most recently fetched first, so the current index is asked
// before older ones.
func (e *Engine) listedIn(ctx context.Context, remote string, entries []string) []string {
	out := make([]string, 0, len(entries))
	for _, pat := range entries {
		i := strings.IndexAny(pat, "*?[")
		if i < 0 {
			out = append(out, pat)
			continue
		}
		prefix := pat[:strings.LastIndex(pat[:i], "/")+1]
		var found []meta.Object
		for _, o := range e.cachedUnder(ctx, remote, prefix) {
			if ok, _ := path.Match(pat, o.Path); ok {
				found = append(found, o)
			}
		}
		slices.SortStableFunc(found, func(a, b meta.Object) int { return cmp.Compare(b.FetchedAt.UnixNano(), a.FetchedAt.UnixNano()) })
		for _, o := range found {
			out = append(out, o.Path)
		}
	}
	return out
}

// listFunc is ObjectStore.ListObjects.
type listFunc func(ctx context.Context, remote, prefix, after string, limit int) ([]meta.Object, error)

// eachPage lists remote's rows under prefix, size at a time in path
// order, handing each page to each until a short page ends the listing
// or each returns false.
func eachPage(ctx context.Context, list listFunc, remote, prefix string, size int, each func([]meta.Object) bool) error {
	after := ""
	for {
		page, err := list(ctx, remote, prefix, after, size)
		if err != nil {
			return err
		}
		if !each(page) || len(page) < size {
			return nil
		}
		after = page[len(page)-1].Path
	}
}

// cachedUnder lists the remote's cached objects under prefix (up to
// listingMax), reusing a listing younger than listingTTL.
func (e *Engine) cachedUnder(ctx context.Context, remote, prefix string) []meta.Object {
	key := remote + "\x00" + prefix
	e.listings.mu.Lock()
	l, ok := e.listings.m[key]
	e.listings.mu.Unlock()
	if ok && time.Since(l.at) < listingTTL {
		return l.objs
	}
	var objs []meta.Object
	err := eachPage(ctx, e.Objects.ListObjects, remote, prefix, listingPage, func(page []meta.Object) bool {
		objs = append(objs, page...)
		return len(objs) < listingMax
	})
	if err != nil {
		e.Log.Warn("cached indexes not listed", "remote", remote, "prefix", prefix, "err", err)
		return nil
	}
	e.listings.mu.Lock()
	if e.listings.m == nil || len(e.listings.m) >= 256 {
		e.listings.m = map[string]listing{}
	}
	e.listings.m[key] = listing{at: time.Now(), objs: objs}
	e.listings.mu.Unlock()
	return objs
}
