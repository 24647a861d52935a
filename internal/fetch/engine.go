// Package fetch is the fetch path: serve from cache, revalidate, or fill
// once from upstream while every waiting client streams the growing file.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/blob"
	"github.com/artifactapi/artifactapi/internal/egress"
	"github.com/artifactapi/artifactapi/internal/events"
	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/metrics"
	"github.com/artifactapi/artifactapi/internal/registry"
	"github.com/artifactapi/artifactapi/internal/runner"
	"github.com/artifactapi/artifactapi/internal/state"
)

// Objects is the part of the metadata store the fetch path uses.
type Objects interface {
	GetObject(ctx context.Context, remote, path string) (meta.Object, error)
	GetObjects(ctx context.Context, remote string, paths []string) ([]meta.Object, error)
	PutObject(ctx context.Context, o meta.Object) error
	TouchObject(ctx context.Context, remote, path string, fetched, expires time.Time) error
	DeleteObjects(ctx context.Context, remote, path, prefix string) ([]meta.Object, error)
	ListObjects(ctx context.Context, remote, prefix, after string, limit int) ([]meta.Object, error)
	BlobReferenced(ctx context.Context, sha string) (bool, error)
}

// State is the part of the state store the fetch path uses.
type State interface {
	TryLock(ctx context.Context, key string, ttl time.Duration) (state.Lock, error)
	TryLockUnless(ctx context.Context, key string, ttl time.Duration, guard string) (state.Lock, error)
	Set(ctx context.Context, key, value string, ttl time.Duration) error
	Get(ctx context.Context, key string) (string, error)
}

// Adopter is a blob store that can commit a verified local file by rename,
// so a fill writes its bytes to disk once. The file is written in TempDir
// and not synced: the store makes it as durable as it needs.
type Adopter interface {
	TempDir() string
	Adopt(ctx context.Context, f *os.File, info blob.Info) error
}

// Breaker is the per-remote circuit breaker.
type Breaker interface {
	Open(ctx context.Context, remote string) bool
	Failure(ctx context.Context, remote string)
	Success(ctx context.Context, remote string)
}

// Recorder takes usage that is written in batches.
type Recorder interface {
	Fetched(remote string, n int64)
	Failed(remote string)
}

// Publisher takes events.
type Publisher interface{ Publish(events.Event) }

// Options tune the engine; zero values take the defaults.
type Options struct {
	// SpoolDir holds fills in progress when the blob store cannot adopt.
	SpoolDir string
	// FillTimeout bounds one whole fill (default 1h).
	FillTimeout time.Duration
	// IdleTimeout fails a fill whose upstream sends nothing for this long (default 60s).
	IdleTimeout time.Duration
	// LockTTL is the cross-replica fill lock's lifetime, renewed while filling (default 30s).
	LockTTL time.Duration
	// Client talks to upstreams (default: a transport with header timeouts
	// and compression off, so stored bytes are exactly the upstream's).
	Client *http.Client
	// MaxFills bounds the fills in flight on this replica; a miss beyond
	// it answers 503 with Retry-After (default 64).
	MaxFills int
	// AbandonAfter is how long a fill whose clients all left goes on
	// before it is cancelled (default 10s), unless it is small
	// (KeepSmall, default 16 MiB, by the upstream's Content-Length) or
	// another client joins.
	AbandonAfter time.Duration
	KeepSmall    int64
	// ClientIdle lets go of a client streaming a fill that reads nothing
	// for this long (default 60s).
	ClientIdle time.Duration
	// MinFree refuses fills while FreeBytes (the spool's and local
	// store's disk) reports less (0: no reserve).
	MinFree   int64
	FreeBytes func() (int64, error)
	// RowTTL is how long a metadata row read from the database serves
	// hits from memory (default 2s). It bounds what a missed invalidation
	// from another replica can cost; a single process (the embedded
	// state store) misses none and can keep rows for long.
	RowTTL time.Duration
	// RowCacheRows bounds the rows kept in memory (default 65,536).
	RowCacheRows int
	// MemoryCache bounds the small objects kept in memory for hits
	// (default 64 MiB; negative: none).
	MemoryCache int64
	// Alone says no other process shares the cache (the in-process state
	// store): every commit that can race a fill is this engine's own and
	// is in its row cache, so a fill looks there, not in the database.
	Alone bool
}

// Deps are the engine's collaborators.
type Deps struct {
	Objects   Objects
	Blobs     blob.Store
	State     State
	Breaker   Breaker
	Recorder  Recorder
	Events    Publisher
	PubSub    PubSub // optional: row-cache invalidation across replicas
	Metrics   *metrics.Metrics
	Log       *slog.Logger
	UserAgent string
}

// Engine serves proxy requests.
type Engine struct {
	Deps
	opt      Options
	adopter  Adopter
	rows     *objCache
	known    *knownKeys // nil unless Alone
	small    *smallCache
	rendered *renderFiles // nil: large renderings are not kept
	digests  parsedMaps[blob.Expect]
	dates    parsedMaps[time.Time]
	budgets  budgets
	disk     freeReading
	listings listings
	mu       sync.Mutex
	inflight map[string]*fill
	fetching int                   // fills in inflight still receiving (see counted)
	storing  chan struct{}         // a place per fill storing what its clients have (storeSlot)
	gzipping chan struct{}         // a place per document being compressed (gzipLater)
	plain    *sizedCache[struct{}] // documents whose gzip copy came out no smaller
	id       string                // tells this engine's invalidations from other replicas'
	unsent   unsent
	// base outlives every client; Close cancels it and waits for fills.
	base context.Context
	stop context.CancelFunc
	// fills runs them (and prefetches, gzip copies) on kept goroutines,
	// whose stacks have grown already (see runner).
	fills *runner.Pool
}

// fillerIdle is how long a goroutine that ran a fill is kept for the next.
const fillerIdle = 30 * time.Second

// New builds an engine.
func New(d Deps, opt Options) (*Engine, error) {
	if opt.FillTimeout == 0 {
		opt.FillTimeout = time.Hour
	}
	if opt.IdleTimeout == 0 {
		opt.IdleTimeout = time.Minute
	}
	if opt.LockTTL == 0 {
		opt.LockTTL = 30 * time.Second
	}
	if opt.ClientIdle == 0 {
		opt.ClientIdle = time.Minute
	}
	if opt.MemoryCache == 0 {
		opt.MemoryCache = 64 << 20
	}
	if opt.RowTTL == 0 {
		opt.RowTTL = 2 * time.Second
	}
	if opt.RowCacheRows == 0 {
		opt.RowCacheRows = 65536
	}
	if opt.MaxFills == 0 {
		opt.MaxFills = 64
	}
	if opt.AbandonAfter == 0 {
		opt.AbandonAfter = 10 * time.Second
	}
	if opt.KeepSmall == 0 {
		opt.KeepSmall = 16 << 20
	}
	if opt.Client == nil {
		opt.Client = NewClient(false)
	}
	e := &Engine{Deps: d, opt: opt, inflight: map[string]*fill{}, rows: newObjCache(opt.RowCacheRows, opt.RowTTL), small: newSmallCache(max(opt.MemoryCache, 0)),
		storing: make(chan struct{}, opt.MaxFills), gzipping: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2)),
		plain: newSizedCache[struct{}](plainMax), fills: runner.New(fillerIdle)}
	e.base, e.stop = context.WithCancel(context.Background())
	if opt.Alone {
		e.known = newKnownKeys(e.base, d.Objects.ListObjects, e.Log)
	}
	e.id = uuid.NewString()
	if a, ok := d.Blobs.(Adopter); ok {
		e.adopter = a
		e.opt.SpoolDir = a.TempDir()
	}
	if e.opt.SpoolDir == "" {
		e.opt.SpoolDir = os.TempDir()
	}
	if err := os.MkdirAll(e.opt.SpoolDir, 0o755); err != nil {
		return nil, err
	}
	if opt.MemoryCache > 0 {
		e.rendered = newRenderFiles(e.opt.SpoolDir, opt.MemoryCache)
	}
	return e, nil
}

// Close cancels the fills in flight (their clients are aborted, nothing is
// stored) and waits for them, so backends can be closed after it. A fill
// storing bytes its clients already have finishes storing them.
func (e *Engine) Close() {
	e.stop()
	e.fills.Wait()
	e.rendered.close()
}

// maxRedirects bounds the redirects one upstream request follows.
const maxRedirects = 5

// NewClient is the upstream client: every connection through the egress
// guard (allowPrivate lets hosts the upstream names be private), a few
// redirects at most, and compression off, so stored bytes are exactly the
// upstream's.
func NewClient(allowPrivate bool) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DisableCompression = true
	t.MaxIdleConnsPerHost = 64
	t.ResponseHeaderTimeout = 60 * time.Second
	return &http.Client{Transport: egress.NewTransport(t, allowPrivate), CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects (a redirect loop?)", maxRedirects)
		}
		return nil
	}}
}

func cacheKey(remote, path string) string { return remote + "\x00" + path }

func negKey(remote, path string) string { return "neg:" + cacheKey(remote, path) }

// errRemembered answers a path whose upstream 404 is remembered
// (negative_ttl) without asking the upstream again.
func errRemembered(remote, path string) error {
	return apierr.New(apierr.ErrNotFound, "%s: %s not found upstream (remembered)", remote, path)
}

// Serve answers a GET or HEAD of path on remote, and says how. self is the
// URL clients reach the remote by, for types that write it into the
// documents they serve (format.Presenter). It returns an error only when
// nothing was written yet; a failure after the headers went out aborts
// the connection, so a client never takes a short body for a whole one.
func (e *Engine) Serve(w http.ResponseWriter, r *http.Request, rem *registry.Remote, path, self string) (format.Outcome, error) {
	c, err := e.settled(r.Context(), rem, path)
	if err != nil {
		return format.Bypass, err
	}
	if err := e.police(r.Context(), rem, path); err != nil {
		return format.Bypass, err
	}
	if c.hit != nil {
		o := c.outcome()
		err := e.serveObject(w, r, rem, *c.hit, o, self)
		if !errors.Is(err, ErrBlobMissing) {
			return o, err
		}
		if c.dbDown {
			return format.Bypass, errDBDown
		}
	}
	if r.Method == http.MethodHead && c.stale == nil && c.class.Kind != format.Index && !filtered(rem, path) {
		return e.headMiss(w, r, c, path, self)
	}
	return e.fetch(w, r, c, path, self)
}

// cacheState is what the cache knows of a path before any fill.
type cacheState struct {
	rem      *registry.Remote
	class    format.Class
	hit      *meta.Object // servable now
	stale    *meta.Object // to revalidate, and to fall back on
	dbDown   bool         // hit is the last known row: the database is unreachable
	byBudget bool         // hit is stale, served because the upstream's budget is low
	// absentNext are those of the paths the type names after this one
	// (format.Prefetcher) that the lookup found without a row.
	absentNext []string
}

// outcome is how a hit from the cache is reported.
func (c cacheState) outcome() format.Outcome {
	if c.byBudget {
		return format.Stale
	}
	return format.Hit
}

var errDBDown = apierr.New(apierr.ErrUnavailable, "metadata store unavailable")

// cached answers from the row cache and database. While the database is
// unreachable, a row this replica knew is still good while fresh: its blob
// is content addressed, so serving it cannot be wrong; anything else
// needs the database.
func (e *Engine) cached(ctx context.Context, rem *registry.Remote, path string) (cacheState, error) {
	c, err := e.uncached(rem, path)
	if err != nil {
		return cacheState{}, err
	}
	obj, absent, err := e.lookupRow(ctx, rem.Name, path, rem.Type.Prefetcher, true)
	switch {
	case err == nil && obj.Fresh(time.Now()) && e.consistent(ctx, rem, path, c.class, obj):
		c.hit = &obj
		return c, nil
	case err == nil && e.budgetLow(ctx, rem.Name):
		// The upstream's rate limit is nearly spent: the stale copy is
		// served as it is, and the budget kept for what is not cached.
		c.hit, c.byBudget = &obj, true
		return c, nil
	case err == nil:
		c.stale = &obj
		return c, nil
	case errors.Is(err, meta.ErrNotFound):
		// Whether its 404 is remembered the fill asks as it takes its
		// lock (see lock), in the same round trip.
		c.absentNext = absent
		return c, nil
	}
	if known, ok := e.rows.lastKnown(cacheKey(rem.Name, path)); ok && known.Fresh(time.Now()) {
		e.Log.Warn("metadata store unavailable; serving the last known row", "remote", rem.Name, "path", path, "err", err)
		c.hit, c.dbDown = &known, true
		return c, nil
	}
	e.Log.Error("metadata lookup failed", "remote", rem.Name, "path", path, "err", err)
	return cacheState{}, errDBDown
}

// uncached is the state of a path known to have no row.
func (e *Engine) uncached(rem *registry.Remote, path string) (cacheState, error) {
	class, err := rem.Classify(path)
	return cacheState{rem: rem, class: class}, err
}

// settled is what the cache knows of path once a fill of it that is
// storing bytes its clients already have (for milliseconds) is done: a
// request that comes right after a download finished is answered as one
// a moment later would be (a hit, or a revalidation of a mutable path),
// not joined to the fill that served the download. A hit never waits.
func (e *Engine) settled(ctx context.Context, rem *registry.Remote, path string) (cacheState, error) {
	c, err := e.cached(ctx, rem, path)
	if err != nil || c.hit != nil {
		return c, err
	}
	key := cacheKey(rem.Name, path)
	e.mu.Lock()
	f := e.inflight[key]
	e.mu.Unlock()
	if f == nil {
		// It may have finished since the lookup: its row is in memory.
		if o, ok := e.rows.get(key, time.Now()); ok && (c.stale == nil || o.FetchedAt.After(c.stale.FetchedAt)) {
			return e.cached(ctx, rem, path)
		}
		return c, err
	}
	if !f.isVerified() || f.prefetched {
		// A prefetch's first client is this one, not one asking again
		// after a download of its own: it is served from the verified
		// spool like any client of a fill in progress, not after the
		// store. On scale-out the store (a database commit) took 1-2 ms,
		// and a cold go mod download waited for it on every module's
		// go.mod, prefetched along with its .info.
		return c, err
	}
	select {
	case <-f.done:
	case <-ctx.Done():
		return cacheState{}, apierr.New(apierr.ErrUpstreamTimeout, "%s: client left while %s was being stored", rem.Name, path)
	}
	return e.cached(ctx, rem, path)
}

// ErrBlobMissing: a metadata row whose blob is gone (it is dropped when seen).
var ErrBlobMissing = format.ErrBlobMissing

// Evict removes cached objects (one path, a prefix, or all when both are
// empty) and the blobs no other row refers to.
func (e *Engine) Evict(ctx context.Context, remote, path, prefix string) (int, error) {
	// Every fill storing now, not only those in scope: one of another
	// remote may be about to refer to a blob this eviction would find
	// unreferenced.
	e.Settle(ctx, "", "")
	gone, err := e.Objects.DeleteObjects(ctx, remote, path, prefix)
	if err != nil {
		return 0, err
	}
	if len(gone) > 0 {
		e.invalidate(ctx, remote, path+prefix, path == "")
	}
	seen := map[string]bool{}
	for _, o := range gone {
		if seen[o.SHA256] {
			continue
		}
		seen[o.SHA256] = true
		e.dropIfUnused(ctx, o.SHA256)
	}
	if len(gone) > 0 {
		e.Events.Publish(events.Event{Type: events.Evict, Remote: remote, Path: path + prefix, Count: len(gone)})
	}
	return len(gone), nil
}

// Settle waits for the fills of remote under prefix (every remote's when
// remote is empty) whose clients already have their bytes and which are
// storing them now (milliseconds): an eviction or a listing asked for
// after a download finished must find what it stored.
func (e *Engine) Settle(ctx context.Context, remote, prefix string) {
	e.mu.Lock()
	var storing []*fill
	for _, f := range e.inflight {
		in := remote == "" || f.rem.Name == remote && strings.HasPrefix(f.path, prefix)
		if in && f.isVerified() {
			storing = append(storing, f)
		}
	}
	e.mu.Unlock()
	for _, f := range storing {
		select {
		case <-f.done:
		case <-ctx.Done():
			return
		}
	}
}

// dropIfUnused deletes a blob no metadata row refers to any more.
func (e *Engine) dropIfUnused(ctx context.Context, sha string) {
	if used, err := e.Objects.BlobReferenced(ctx, sha); err != nil || used {
		return
	}
	e.small.drop(sha)
	if err := e.Blobs.Delete(ctx, sha); err != nil {
		e.Log.Warn("unreferenced blob not deleted", "sha256", sha, "err", err)
	}
}

// Waiters is how many clients are attached to the fill of (remote, path)
// right now; tests use it as a barrier instead of sleeping.
func (e *Engine) Waiters(remote, path string) int {
	e.mu.Lock()
	f := e.inflight[cacheKey(remote, path)]
	e.mu.Unlock()
	if f == nil {
		return 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refs - 1
}
