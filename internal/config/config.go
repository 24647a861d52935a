// Package config reads the server's settings from the environment and
// refuses bad ones at start, naming the variable.
package config

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/artifactapi/artifactapi/internal/secrets"
)

// DefaultDataDir is DATA_DIR when unset; the TUI looks for the admin token
// there too.
const DefaultDataDir = "./data"

// Config is every setting, typed and validated.
type Config struct {
	ListenAddr    string
	DataDir       string
	DBDriver      string
	StorageDriver string
	StateDriver   string
	AdminToken    string
	// SecretsKey seals upstream credentials at rest ("" on the embedded
	// default: generated into DATA_DIR/secrets-key).
	SecretsKey string
	PublicURL  string
	LogLevel   slog.Level
	LogFormat  string

	FillTimeout time.Duration
	IdleTimeout time.Duration
	FillLockTTL time.Duration
	// MaxFills bounds fills in flight; AbandonAfter ends a large fill
	// every client left.
	MaxFills     int
	AbandonAfter time.Duration
	ClientIdle   time.Duration
	// CacheMaxSize bounds the whole cache (0: unbounded); CacheMinFree is
	// the free space under DATA_DIR below which fills are refused.
	CacheMaxSize    int64
	CacheMinFree    int64
	JanitorInterval time.Duration
	// BlobCacheSize bounds the local copy of hot S3 blobs (0: none).
	BlobCacheSize int64
	// InlineBlobMax is the size up to which a blob is kept in the
	// metadata database rather than as a file or S3 object (0: none).
	InlineBlobMax int64
	// MemoryCacheSize bounds the small objects (up to 256 KiB each) kept
	// in memory to serve hits without touching the blob store.
	MemoryCacheSize int64
	// RowCacheTTL is how long a metadata row read from the database serves
	// hits from memory (0: 1h with the in-process state store, 10m with
	// Redis).
	RowCacheTTL time.Duration
	// RowCacheRows bounds the metadata rows kept in memory for hits.
	RowCacheRows  int
	AccessLogDays int
	// UpstreamAllowPrivate lets hosts an upstream chooses (redirects,
	// files on other hosts, token realms) be private or loopback.
	UpstreamAllowPrivate bool
	// MetricsPublic serves /metrics without the admin token.
	MetricsPublic bool
	// PprofAddr is the loopback address serving Go's runtime profiles
	// ("": none).
	PprofAddr string

	Postgres    Postgres
	S3          S3
	RedisURL    string
	RedisPrefix string
}

// Postgres are the seed's DB* settings.
type Postgres struct {
	Host, Port, User, Password, Name string
	// URL, when set, is used instead of the parts (for sslmode and the like).
	URL string
}

// DSN is the connection string pgx is given.
func (p Postgres) DSN() string {
	if p.URL != "" {
		return p.URL
	}
	// An empty DBPASS means no password (trust or peer authentication), not
	// an empty one sent to the server.
	user := url.User(p.User)
	if p.Password != "" {
		user = url.UserPassword(p.User, p.Password)
	}
	u := url.URL{Scheme: "postgres", User: user, Host: net.JoinHostPort(p.Host, p.Port), Path: "/" + p.Name}
	return u.String()
}

// S3 are the seed's MINIO_* settings.
type S3 struct {
	Endpoint, AccessKey, SecretKey, Bucket, Region string
	Secure                                         bool
}

// Vars lists every variable with its default, for the README and --help.
var Vars = [][3]string{
	{"LISTEN_ADDR", ":8000", "address to serve on"},
	{"DATA_DIR", DefaultDataDir, "where the embedded backends keep their files"},
	{"DB_DRIVER", "sqlite", "metadata store: sqlite | postgres"},
	{"STORAGE_DRIVER", "fs", "blob store: fs | s3"},
	{"STATE_DRIVER", "memory", "locks, TTL keys, breakers, events: memory | redis"},
	{"ADMIN_TOKEN", "(generated into DATA_DIR/admin-token)", "bearer token for /api/v2"},
	{"SECRETS_KEY", "(generated into DATA_DIR/secrets-key)", "key(s) that encrypt upstream credentials at rest: NEW[,OLD...], 32 bytes each in base64 or hex"},
	{"PUBLIC_URL", "(from the request)", "external base URL used in rewritten metadata"},
	{"LOG_LEVEL", "info", "debug | info | warn | error"},
	{"LOG_FORMAT", "text", "text | json"},
	{"FILL_TIMEOUT", "1h", "longest one upstream fill may take"},
	{"UPSTREAM_IDLE_TIMEOUT", "60s", "a fill fails when its upstream sends nothing for this long"},
	{"FILL_LOCK_TTL", "30s", "a replica that dies mid-fill blocks that artifact's fill on other replicas at most this long"},
	{"ACCESS_LOG_DAYS", "30", "per-second traffic (the stats series) older than this many days is deleted"},
	{"CACHE_MAX_SIZE", "0", "bound of the whole cache, least recently used evicted first (0: unbounded)"},
	{"CACHE_MIN_FREE", "1GB", "free space under DATA_DIR below which fills are refused (507) and health is degraded"},
	{"JANITOR_INTERVAL", "1m", "how often sizes, unused_days and unreferenced blobs are enforced"},
	{"CLIENT_IDLE_TIMEOUT", "60s", "a client streaming a fill that reads nothing for this long is disconnected"},
	{"MAX_FILLS", "64", "fills in flight per replica; a miss beyond it answers 503 with Retry-After"},
	{"FILL_ABANDON_AFTER", "10s", "a fill larger than 16 MiB whose clients all left is cancelled after this long (nothing stored)"},
	{"METRICS_PUBLIC", "false", "serve /metrics without the admin token"},
	{"PPROF_ADDR", "(off)", "loopback host:port serving Go's profiles at /debug/pprof/ (no authentication)"},
	{"UPSTREAM_ALLOW_PRIVATE", "false", "let hosts an upstream names (redirects, files on other hosts, token realms) be private or loopback addresses"},
	{"DBHOST", "localhost", "PostgreSQL host (DB_DRIVER=postgres)"},
	{"DBPORT", "5432", "PostgreSQL port"},
	{"DBUSER", "artifacts", "PostgreSQL user"},
	{"DBPASS", "(empty)", "PostgreSQL password; set but empty is honoured (trust or peer auth)"},
	{"DBNAME", "artifacts", "PostgreSQL database"},
	{"DATABASE_URL", "(built from DB*)", "PostgreSQL URL used instead of DBHOST..DBNAME, e.g. to set sslmode"},
	{"REDIS_URL", "redis://localhost:6379/0", "Redis URL (STATE_DRIVER=redis)"},
	{"REDIS_PREFIX", "artifactapi:", "prefix of every Redis key and channel, to share one Redis"},
	{"MINIO_ENDPOINT", "localhost:9000", "S3 endpoint host:port (STORAGE_DRIVER=s3)"},
	{"MINIO_ACCESS_KEY", "minioadmin", "S3 access key"},
	{"MINIO_SECRET_KEY", "minioadmin", "S3 secret key"},
	{"MINIO_BUCKET", "artifacts", "S3 bucket (created when missing)"},
	{"MINIO_SECURE", "false", "use TLS to S3"},
	{"MINIO_REGION", "us-east-1", "S3 region"},
	{"MEMORY_CACHE_SIZE", "64MB", "small objects and documents (up to 256 KiB each) kept in memory for hits (0 turns it off)"},
	{"ROW_CACHE_ROWS", "65536", "metadata rows kept in memory for hits (about 0.5 KB each; at least 1024)"},
	{"ROW_CACHE_TTL", "", "how long a metadata row serves hits from memory (default 1h embedded, 10m with Redis)"},
	{"BLOB_CACHE_SIZE", "1GB", "local copy of hot S3 blobs in DATA_DIR/blobcache (0 turns it off)"},
	{"INLINE_BLOB_MAX", "16KB", "blobs up to this size are kept in the metadata database, not as files or S3 objects (0 turns it off)"},
}

// Getenv is how values are read (os.Getenv, or a map in tests).
type Getenv func(string) string

// Load reads and validates the configuration.
func Load(getenv Getenv) (*Config, error) {
	get := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	c := &Config{
		ListenAddr:    get("LISTEN_ADDR", ":8000"),
		DataDir:       get("DATA_DIR", DefaultDataDir),
		DBDriver:      get("DB_DRIVER", "sqlite"),
		StorageDriver: get("STORAGE_DRIVER", "fs"),
		StateDriver:   get("STATE_DRIVER", "memory"),
		AdminToken:    getenv("ADMIN_TOKEN"),
		SecretsKey:    strings.TrimSpace(getenv("SECRETS_KEY")),
		PublicURL:     get("PUBLIC_URL", ""),
		PprofAddr:     get("PPROF_ADDR", ""),
		LogFormat:     get("LOG_FORMAT", "text"),
		RedisURL:      get("REDIS_URL", "redis://localhost:6379/0"),
		RedisPrefix:   get("REDIS_PREFIX", "artifactapi:"),
		Postgres: Postgres{Host: get("DBHOST", "localhost"), Port: get("DBPORT", "5432"), User: get("DBUSER", "artifacts"),
			Password: getenv("DBPASS"), Name: get("DBNAME", "artifacts"), URL: get("DATABASE_URL", "")},
		S3: S3{Endpoint: get("MINIO_ENDPOINT", "localhost:9000"), AccessKey: get("MINIO_ACCESS_KEY", "minioadmin"),
			SecretKey: get("MINIO_SECRET_KEY", "minioadmin"), Bucket: get("MINIO_BUCKET", "artifacts"), Region: get("MINIO_REGION", "us-east-1")},
	}
	if _, _, err := net.SplitHostPort(c.ListenAddr); err != nil {
		return nil, fmt.Errorf("LISTEN_ADDR=%q: want host:port, e.g. :8000", c.ListenAddr)
	}
	if c.PprofAddr != "" && !loopback(c.PprofAddr) {
		// The profiles have no authentication and show what the server
		// holds: they are for whoever is on the machine (or comes
		// through a port-forward), never for the network.
		return nil, fmt.Errorf("PPROF_ADDR=%q: want a loopback host:port, e.g. 127.0.0.1:6060", c.PprofAddr)
	}
	if err := oneOf("DB_DRIVER", c.DBDriver, "sqlite", "postgres"); err != nil {
		return nil, err
	}
	if err := oneOf("STORAGE_DRIVER", c.StorageDriver, "fs", "s3"); err != nil {
		return nil, err
	}
	if err := oneOf("STATE_DRIVER", c.StateDriver, "memory", "redis"); err != nil {
		return nil, err
	}
	if err := oneOf("LOG_FORMAT", c.LogFormat, "text", "json"); err != nil {
		return nil, err
	}
	if err := c.LogLevel.UnmarshalText([]byte(get("LOG_LEVEL", "info"))); err != nil {
		return nil, fmt.Errorf("LOG_LEVEL=%q: want debug, info, warn or error", getenv("LOG_LEVEL"))
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("PUBLIC_URL=%q: want an absolute http(s) URL", c.PublicURL)
		}
		c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
	}
	if c.AdminToken == "" && c.DBDriver != "sqlite" {
		// A generated token lives in one replica's DATA_DIR; the others
		// would not accept it.
		return nil, fmt.Errorf("ADMIN_TOKEN: required with DB_DRIVER=%s, so every replica accepts the same token", c.DBDriver)
	}
	if c.SecretsKey == "" && c.DBDriver != "sqlite" {
		return nil, fmt.Errorf("SECRETS_KEY: required with DB_DRIVER=%s, so every replica reads the credentials the others stored (openssl rand -base64 32)", c.DBDriver)
	}
	if c.SecretsKey != "" {
		if _, err := secrets.Parse(c.SecretsKey); err != nil {
			return nil, fmt.Errorf("SECRETS_KEY: %v", err)
		}
	}
	if c.AdminToken != "" && len(c.AdminToken) < 16 {
		return nil, fmt.Errorf("ADMIN_TOKEN: too short (%d characters); use at least 16", len(c.AdminToken))
	}
	var err error
	if c.FillTimeout, err = duration(get, "FILL_TIMEOUT", "1h"); err != nil {
		return nil, err
	}
	if c.IdleTimeout, err = duration(get, "UPSTREAM_IDLE_TIMEOUT", "60s"); err != nil {
		return nil, err
	}
	if c.FillLockTTL, err = duration(get, "FILL_LOCK_TTL", "30s"); err != nil {
		return nil, err
	}
	if c.CacheMaxSize, err = byteSize(get("CACHE_MAX_SIZE", "0")); err != nil {
		return nil, fmt.Errorf("CACHE_MAX_SIZE=%q: %v", getenv("CACHE_MAX_SIZE"), err)
	}
	if c.CacheMinFree, err = byteSize(get("CACHE_MIN_FREE", "1GB")); err != nil {
		return nil, fmt.Errorf("CACHE_MIN_FREE=%q: %v", getenv("CACHE_MIN_FREE"), err)
	}
	if c.JanitorInterval, err = duration(get, "JANITOR_INTERVAL", "1m"); err != nil {
		return nil, err
	}
	if c.ClientIdle, err = duration(get, "CLIENT_IDLE_TIMEOUT", "60s"); err != nil {
		return nil, err
	}
	if c.AbandonAfter, err = duration(get, "FILL_ABANDON_AFTER", "10s"); err != nil {
		return nil, err
	}
	if c.MaxFills, err = wholeNumber(get, "MAX_FILLS", "64", 1); err != nil {
		return nil, err
	}
	if c.MemoryCacheSize, err = byteSize(get("MEMORY_CACHE_SIZE", "64MB")); err != nil {
		return nil, fmt.Errorf("MEMORY_CACHE_SIZE=%q: %v", getenv("MEMORY_CACHE_SIZE"), err)
	}
	if c.RowCacheRows, err = wholeNumber(get, "ROW_CACHE_ROWS", "65536", 1024); err != nil {
		return nil, err
	}
	if get("ROW_CACHE_TTL", "") != "" {
		if c.RowCacheTTL, err = duration(get, "ROW_CACHE_TTL", ""); err != nil {
			return nil, err
		}
	}
	if c.BlobCacheSize, err = byteSize(get("BLOB_CACHE_SIZE", "1GB")); err != nil {
		return nil, fmt.Errorf("BLOB_CACHE_SIZE=%q: %v", getenv("BLOB_CACHE_SIZE"), err)
	}
	if c.InlineBlobMax, err = byteSize(get("INLINE_BLOB_MAX", "16KB")); err != nil || c.InlineBlobMax > 1<<20 {
		return nil, fmt.Errorf("INLINE_BLOB_MAX=%q: want a size of at most 1MB (%v)", getenv("INLINE_BLOB_MAX"), err)
	}
	if c.AccessLogDays, err = wholeNumber(get, "ACCESS_LOG_DAYS", "30", 1); err != nil {
		return nil, err
	}
	if c.Postgres.URL != "" {
		if u, err := url.Parse(c.Postgres.URL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return nil, fmt.Errorf("DATABASE_URL: want postgres://user:password@host:port/db")
		}
	}
	if _, err := strconv.Atoi(c.Postgres.Port); err != nil {
		return nil, fmt.Errorf("DBPORT=%q: want a port number", c.Postgres.Port)
	}
	if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix") {
		return nil, fmt.Errorf("REDIS_URL=%q: want redis://[user:password@]host:port/db", c.RedisURL)
	}
	if c.S3.Secure, err = strconv.ParseBool(get("MINIO_SECURE", "false")); err != nil {
		return nil, fmt.Errorf("MINIO_SECURE=%q: want true or false", getenv("MINIO_SECURE"))
	}
	if c.MetricsPublic, err = strconv.ParseBool(get("METRICS_PUBLIC", "false")); err != nil {
		return nil, fmt.Errorf("METRICS_PUBLIC=%q: want true or false", getenv("METRICS_PUBLIC"))
	}
	if c.UpstreamAllowPrivate, err = strconv.ParseBool(get("UPSTREAM_ALLOW_PRIVATE", "false")); err != nil {
		return nil, fmt.Errorf("UPSTREAM_ALLOW_PRIVATE=%q: want true or false", getenv("UPSTREAM_ALLOW_PRIVATE"))
	}
	return c, nil
}

// loopback reports whether addr is host:port with a loopback host.
func loopback(addr string) bool {
	host, port, err := net.SplitHostPort(addr)
	return err == nil && port != "" && LoopbackHost(host)
}

// LoopbackHost reports whether host is "localhost" or a loopback address.
func LoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func oneOf(name, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return fmt.Errorf("%s=%q: want one of %s", name, v, strings.Join(allowed, ", "))
}

func duration(get func(k, def string) string, name, def string) (time.Duration, error) {
	v := get(name, def)
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive duration such as 30s or 5m", name, v)
	}
	return d, nil
}

func wholeNumber(get func(k, def string) string, name, def string, least int) (int, error) {
	v := get(name, def)
	n, err := strconv.Atoi(v)
	if err != nil || n < least {
		return 0, fmt.Errorf("%s=%q: want a whole number >= %d", name, v, least)
	}
	return n, nil
}

// Env is os.Getenv.
var Env Getenv = os.Getenv

// byteSize parses "0", "512MB", "10GB", "1TB" or a plain byte count.
func byteSize(v string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"TB", 1 << 40}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}}
	v = strings.ToUpper(strings.TrimSpace(v))
	mult := int64(1)
	for _, u := range units {
		if n, ok := strings.CutSuffix(v, u.suffix); ok {
			v, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("want a size such as 0, 512MB or 10GB")
	}
	return n * mult, nil
}
