// Package meta defines the metadata store: remote and virtual repository
// configuration, the row that says an artifact is cached, usage counters and
// traffic over time.
package meta

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"
)

var (
	// ErrNotFound means no such remote, virtual or object.
	ErrNotFound = errors.New("not found")
	// ErrExists means the name is already taken.
	ErrExists = errors.New("already exists")
)

// Remote is one upstream repository. Credentials are stored but never
// returned by the API.
type Remote struct {
	Name              string   `json:"name"`
	PackageType       string   `json:"package_type"`
	BaseURL           string   `json:"base_url"`
	ImmutableTTL      int64    `json:"immutable_ttl"`
	MutableTTL        int64    `json:"mutable_ttl"`
	NegativeTTL       int64    `json:"negative_ttl"`
	Patterns          []string `json:"patterns"`
	Blocklist         []string `json:"blocklist"`
	MutablePatterns   []string `json:"mutable_patterns"`
	ImmutablePatterns []string `json:"immutable_patterns"`
	// AllowedHosts are hosts ("host" or "host:port") the remote may reach
	// whatever address they resolve to: a private mirror that an index
	// links to, or a link-local base_url.
	AllowedHosts []string `json:"allowed_hosts"`
	// AuthRequired makes pulls need a token; unset, it is on exactly when
	// the remote has upstream credentials (its content may be private).
	AuthRequired *bool `json:"auth_required,omitempty"`
	// MaxSize bounds the bytes the remote's cache holds (0: only the
	// global CACHE_MAX_SIZE); the least recently used go first.
	MaxSize int64 `json:"max_size"`
	// UnusedDays evicts objects nobody asked for in this many days (0:
	// never).
	UnusedDays int64     `json:"unused_days"`
	Username   string    `json:"username,omitempty"`
	Password   string    `json:"password,omitempty"`
	Token      string    `json:"token,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	// Settings are the remote's package-type settings (docker's ban_tags),
	// kept in its JSON beside the fields above, as their type declares
	// them: any key that is not a field above is a setting.
	Settings map[string]json.RawMessage `json:"-"`
}

// Virtual groups remotes of one package type behind one URL.
type Virtual struct {
	Name        string    `json:"name"`
	PackageType string    `json:"package_type"`
	Members     []string  `json:"members"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Token is a named read token for pulls. Its secret is never stored: Hash
// is the sha256 (hex) of it.
type Token struct {
	Name      string    `json:"name"`
	Hash      string    `json:"-"`
	Repos     []string  `json:"repos"` // remotes and virtuals it may read; empty: all
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"` // zero: never
}

// Expired reports whether the token no longer admits anyone.
func (t Token) Expired(now time.Time) bool { return !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt) }

// AuditEntry is one management change: who (which token) did what to what.
type AuditEntry struct {
	ID     int64     `json:"id"`
	Time   time.Time `json:"time"`
	Actor  string    `json:"actor"`  // "admin" or "token:{name}"
	Action string    `json:"action"` // "POST /api/v2/remotes"
	Target string    `json:"target"` // the remote, virtual or token named
	Status int       `json:"status"`
	Client string    `json:"client"`
}

// Object is the row that makes an artifact cached: it is written only after
// its blob was committed.
type Object struct {
	Remote       string
	Path         string
	SHA256       string
	Size         int64
	Mutable      bool
	ContentType  string
	ETag         string // upstream validator, for revalidation
	LastModified string // upstream validator, for revalidation
	FetchedAt    time.Time
	ExpiresAt    time.Time // zero: never
	LastAccess   time.Time
	Hits         int64
}

// Fresh reports whether the object may be served without revalidation.
func (o *Object) Fresh(now time.Time) bool {
	return o.ExpiresAt.IsZero() || now.Before(o.ExpiresAt)
}

// Counters are per-remote traffic totals (or deltas, in a batch).
type Counters struct {
	Hits         int64 `json:"hits"`
	Misses       int64 `json:"misses"`
	Stale        int64 `json:"stale"`
	Revalidated  int64 `json:"revalidated"`
	Errors       int64 `json:"errors"`
	BytesServed  int64 `json:"bytes_served"`
	BytesFetched int64 `json:"bytes_fetched"`
}

// Add accumulates o into c.
func (c *Counters) Add(o Counters) {
	c.Hits += o.Hits
	c.Misses += o.Misses
	c.Stale += o.Stale
	c.Revalidated += o.Revalidated
	c.Errors += o.Errors
	c.BytesServed += o.BytesServed
	c.BytesFetched += o.BytesFetched
}

// RemoteStats is the counters of one remote plus what it has stored.
type RemoteStats struct {
	Counters
	Objects     int64 `json:"objects"`
	StoredBytes int64 `json:"stored_bytes"`
}

// Access is one proxied request, as the recorder takes it.
type Access struct {
	Time     time.Time
	Remote   string
	Path     string
	Method   string
	Status   int
	Cache    string
	Bytes    int64
	Duration time.Duration
	Client   string
}

// Traffic is the requests of one remote with one cache outcome within one
// second: what the store keeps of the requests instead of a row each, which
// at tens of thousands of requests a second cost more to write than the
// requests did to serve.
type Traffic struct {
	Second   time.Time // truncated to the second
	Remote   string    // "" for a request that named no remote
	Cache    string
	Requests int64
	Bytes    int64
	Errors   int64 // answered 5xx
}

// SeriesPoint is the requests of one time bucket, by cache outcome.
type SeriesPoint struct {
	Start    time.Time        `json:"start"`
	Requests int64            `json:"requests"`
	Bytes    int64            `json:"bytes"`
	Errors   int64            `json:"errors"` // answered 5xx
	Cache    map[string]int64 `json:"cache"`  // HIT, MISS, STALE, REVALIDATED, BYPASS
}

// AddSeriesRow folds one grouped row (bucket, cache outcome) into points,
// which are ordered by bucket; the stores share it.
func AddSeriesRow(points []SeriesPoint, start time.Time, cache string, n, bytes, errors int64) []SeriesPoint {
	if len(points) == 0 || !points[len(points)-1].Start.Equal(start) {
		points = append(points, SeriesPoint{Start: start, Cache: map[string]int64{}})
	}
	p := &points[len(points)-1]
	p.Requests += n
	p.Bytes += bytes
	p.Errors += errors
	p.Cache[cache] += n
	return points
}

// Usage is the hits an object received since the last batch.
type Usage struct {
	Remote     string
	Path       string
	Hits       int64
	LastAccess time.Time
}

// Batch is what the recorder flushes in one transaction.
type Batch struct {
	Usage    []Usage
	Counters map[string]Counters
	// Traffic rows add to the rows of the same second, remote and outcome.
	Traffic []Traffic
}

// Write is what a store commits for PutObject, PutBlob or PutObjectBlob:
// a row, a small blob, or both. The writes that arrive together go in one
// transaction (group.Group), both kinds in one, so a fill's blob and row
// do not wait on each other for the database's write lock.
type Write struct {
	Object *Object
	Blob   *SmallBlob
}

// SmallBlob is a blob kept beside the rows (PutBlob).
type SmallBlob struct {
	SHA256 string
	Data   []byte
}

// Store is the metadata backend.
type Store interface {
	CreateRemote(ctx context.Context, r Remote) error
	GetRemote(ctx context.Context, name string) (Remote, error)
	ListRemotes(ctx context.Context) ([]Remote, error)
	UpdateRemote(ctx context.Context, r Remote) error
	DeleteRemote(ctx context.Context, name string) error

	CreateVirtual(ctx context.Context, v Virtual) error
	GetVirtual(ctx context.Context, name string) (Virtual, error)
	ListVirtuals(ctx context.Context) ([]Virtual, error)
	UpdateVirtual(ctx context.Context, v Virtual) error
	DeleteVirtual(ctx context.Context, name string) error

	CreateToken(ctx context.Context, t Token) error
	ListTokens(ctx context.Context) ([]Token, error)
	// TokenByHash finds the token whose secret hashes to hash.
	TokenByHash(ctx context.Context, hash string) (Token, error)
	DeleteToken(ctx context.Context, name string) error

	AppendAudit(ctx context.Context, e AuditEntry) error
	// ListAudit pages newest first: entries with id < before (0: from the
	// newest).
	ListAudit(ctx context.Context, before int64, limit int) ([]AuditEntry, error)

	GetObject(ctx context.Context, remote, path string) (Object, error)
	// GetObjects returns the rows of those of paths that have one, in no
	// particular order: several lookups in one round trip.
	GetObjects(ctx context.Context, remote string, paths []string) ([]Object, error)
	// PutObject inserts or replaces the row for (remote, path).
	PutObject(ctx context.Context, o Object) error
	// TouchObject sets new expiry after a successful revalidation.
	TouchObject(ctx context.Context, remote, path string, fetched, expires time.Time) error
	// ListObjects pages by path: rows with path > after, in path order.
	ListObjects(ctx context.Context, remote, prefix, after string, limit int) ([]Object, error)
	// DeleteObjects removes the row at path, or every row under prefix when
	// path is empty, and returns the removed rows.
	DeleteObjects(ctx context.Context, remote, path, prefix string) ([]Object, error)
	// ObjectsByAccess lists rows least recently used first: of remote (""
	// for every remote), last used before before (zero: any time).
	ObjectsByAccess(ctx context.Context, remote string, before time.Time, limit int) ([]Object, error)
	// BlobReferenced reports whether any row still points at sha.
	BlobReferenced(ctx context.Context, sha string) (bool, error)

	// Small blobs kept beside the rows (see blob/inline). PutBlob stores
	// data under sha unless it is there; the caller verified it.
	PutBlob(ctx context.Context, sha string, data []byte) error
	// PutObjectBlob stores a small blob (o.SHA256, verified by the caller)
	// and the row naming it in one transaction: neither is kept without
	// the other, and a fill's commit is one transaction, not two.
	PutObjectBlob(ctx context.Context, o Object, data []byte) error
	GetBlob(ctx context.Context, sha string) ([]byte, error)
	BlobSize(ctx context.Context, sha string) (int64, error)
	DeleteBlob(ctx context.Context, sha string) error
	// WalkBlobs calls fn for each small blob with its size and when it was
	// stored.
	WalkBlobs(ctx context.Context, fn func(sha string, size int64, added time.Time)) error

	// Record applies a batch of usage, counters and traffic at once.
	Record(ctx context.Context, b Batch) error
	Stats(ctx context.Context) (map[string]RemoteStats, error)
	// TrafficSeries sums traffic from since on into buckets of step (whole
	// seconds, aligned to multiples of step since the epoch), oldest first;
	// buckets without requests are left out.
	TrafficSeries(ctx context.Context, since time.Time, step time.Duration) ([]SeriesPoint, error)
	// PruneTraffic deletes traffic rows of seconds before before.
	PruneTraffic(ctx context.Context, before time.Time) (int64, error)

	Ping(ctx context.Context) error
	Name() string
	Close() error
}

// TrafficKey is what a traffic row is summed under.
type TrafficKey struct {
	Sec           int64 // Unix seconds
	Remote, Cache string
}

// MergeTraffic sums rows of the same second, remote and outcome and sorts
// them by those: one statement may then upsert them all, and concurrent
// writers take row locks in one order.
func MergeTraffic(ts []Traffic) []Traffic {
	at := make(map[TrafficKey]int, len(ts))
	out := make([]Traffic, 0, len(ts))
	for _, t := range ts {
		k := TrafficKey{t.Second.Unix(), t.Remote, t.Cache}
		if i, ok := at[k]; ok {
			out[i].Requests += t.Requests
			out[i].Bytes += t.Bytes
			out[i].Errors += t.Errors
			continue
		}
		at[k] = len(out)
		t.Second = time.Unix(k.Sec, 0).UTC()
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b Traffic) int {
		return cmp.Or(a.Second.Compare(b.Second), cmp.Compare(a.Remote, b.Remote), cmp.Compare(a.Cache, b.Cache))
	})
	return out
}
