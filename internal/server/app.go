package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/artifactapi/artifactapi/internal/api"
	"github.com/artifactapi/artifactapi/internal/blob"
	blobfs "github.com/artifactapi/artifactapi/internal/blob/fs"
	"github.com/artifactapi/artifactapi/internal/blob/inline"
	blobs3 "github.com/artifactapi/artifactapi/internal/blob/s3"
	"github.com/artifactapi/artifactapi/internal/blob/tiered"
	"github.com/artifactapi/artifactapi/internal/breaker"
	"github.com/artifactapi/artifactapi/internal/config"
	"github.com/artifactapi/artifactapi/internal/events"
	"github.com/artifactapi/artifactapi/internal/fetch"
	"github.com/artifactapi/artifactapi/internal/format/types"
	"github.com/artifactapi/artifactapi/internal/janitor"
	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/meta/postgres"
	"github.com/artifactapi/artifactapi/internal/meta/sqlite"
	"github.com/artifactapi/artifactapi/internal/metrics"
	"github.com/artifactapi/artifactapi/internal/pullauth"
	"github.com/artifactapi/artifactapi/internal/recorder"
	"github.com/artifactapi/artifactapi/internal/registry"
	"github.com/artifactapi/artifactapi/internal/secrets"
	"github.com/artifactapi/artifactapi/internal/state"
	"github.com/artifactapi/artifactapi/internal/state/memory"
	redisstate "github.com/artifactapi/artifactapi/internal/state/redis"
	"github.com/artifactapi/artifactapi/internal/warm"
)

// App is a running server: its backends, background work and handler.
type App struct {
	Server *Server
	Engine *fetch.Engine
	Meta   meta.Store
	Blobs  blob.Store
	State  state.Store
	Token  string

	// Janitor keeps the cache within its bounds (tests sweep it directly).
	Janitor *janitor.Janitor

	rec     *recorder.Recorder
	closing chan struct{}
	stop    sync.Once
	cancel  context.CancelFunc
	// warm runs warming jobs; stopWarm cancels them.
	warm     *warm.Runner
	stopWarm context.CancelFunc
	bg       sync.WaitGroup
	log      *slog.Logger
}

// Open builds every backend named by cfg and starts background work. Any
// backend that cannot be opened stops the start with an error naming it.
func Open(ctx context.Context, cfg *config.Config, log *slog.Logger, version string) (*App, error) {
	// DATA_DIR holds the database, the admin token and the secrets key:
	// for this service's user only.
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("DATA_DIR=%q: %w", cfg.DataDir, err)
	}
	if err := os.Chmod(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("DATA_DIR=%q: %w", cfg.DataDir, err)
	}
	a := &App{log: log}
	keys, err := secretsKey(cfg, log)
	if err != nil {
		return nil, err
	}
	plain, err := openMeta(ctx, cfg)
	if err != nil {
		return nil, err
	}
	sealed := &secrets.Store{Store: plain, Keys: keys}
	a.Meta = sealed
	if n, err := sealed.Reseal(ctx); err != nil {
		a.Meta.Close()
		return nil, fmt.Errorf("SECRETS_KEY: %w", err)
	} else if n > 0 {
		log.Info("upstream credentials sealed with the current SECRETS_KEY", "remotes", n)
	}
	if a.Blobs, err = openBlobs(ctx, cfg, log); err != nil {
		a.Meta.Close()
		return nil, err
	}
	if cfg.InlineBlobMax > 0 {
		a.Blobs = inline.New(plain, a.Blobs, cfg.InlineBlobMax)
	}
	if a.State, err = openState(ctx, cfg); err != nil {
		a.Meta.Close()
		return nil, err
	}
	log.Info("backends", "db", a.Meta.Name(), "storage", a.Blobs.Name(), "state", a.State.Name(), "data_dir", cfg.DataDir)
	if a.Token, err = adminToken(cfg, log); err != nil {
		a.Close()
		return nil, err
	}

	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.cancel = cancel
	bus := events.NewBus(bg, a.State, replicaID(), log)
	reg := registry.New(a.Meta, a.State, types.All(), log)
	if err := reg.Load(ctx); err != nil {
		a.Close()
		return nil, err
	}
	a.bg.Go(func() { reg.Watch(bg) })
	a.rec = recorder.New(a.Meta, log, time.Second)
	go a.rec.Run(bg)
	a.bg.Go(func() { pruneTraffic(bg, a.Meta, cfg.AccessLogDays, log) })

	m := metrics.New()
	brk := breaker.New(a.State)
	brk.OnChange = func(remote string, open bool) {
		typ := events.CircuitClosed
		if open {
			typ = events.CircuitOpen
		}
		log.Warn("circuit "+strings.TrimPrefix(typ, "circuit."), "remote", remote)
		bus.Publish(events.Event{Type: typ, Remote: remote})
	}
	free := func() (int64, error) { return freeBytes(cfg.DataDir) }
	a.Engine, err = fetch.New(fetch.Deps{Objects: a.Meta, Blobs: a.Blobs, State: a.State, PubSub: a.State, Breaker: brk, Recorder: a.rec,
		Events: bus, Metrics: m, Log: log, UserAgent: "artifactapi/" + version},
		fetch.Options{SpoolDir: filepath.Join(cfg.DataDir, "spool"), FillTimeout: cfg.FillTimeout, IdleTimeout: cfg.IdleTimeout, LockTTL: cfg.FillLockTTL,
			Client: fetch.NewClient(cfg.UpstreamAllowPrivate), MaxFills: cfg.MaxFills, AbandonAfter: cfg.AbandonAfter, ClientIdle: cfg.ClientIdle,
			MinFree: cfg.CacheMinFree, FreeBytes: free, RowTTL: rowTTL(cfg), RowCacheRows: cfg.RowCacheRows, MemoryCache: memoryCache(cfg),
			Alone: cfg.StateDriver == "memory"})
	if err != nil {
		a.Close()
		return nil, err
	}
	a.bg.Go(func() { a.Engine.WatchInvalidations(bg) })
	a.Janitor = &janitor.Janitor{Meta: a.Meta, Engine: a.Engine, Registry: reg, Blobs: a.Blobs, Lock: a.State, Log: log, Usage: a.rec,
		MaxSize: cfg.CacheMaxSize, Grace: orphanGrace, Now: time.Now}
	a.bg.Go(func() { a.Janitor.Run(bg, cfg.JanitorInterval) })
	pull := &pullauth.Checker{Tokens: a.Meta, Admin: a.Token}
	a.closing = make(chan struct{})
	warmCtx, stopWarm := context.WithCancel(bg)
	a.warm, a.stopWarm = &warm.Runner{Engine: a.Engine, Store: a.State, Events: bus, Log: log, Base: warmCtx}, stopWarm
	mgmt := &api.API{Warm: a.warm, Closing: a.closing, Pull: pull, Store: a.Meta, Registry: reg, Engine: a.Engine, Events: bus, Token: a.Token, Log: log, Checks: []api.Check{
		{Name: "db", Backend: a.Meta.Name(), Fn: a.Meta.Ping},
		{Name: "storage", Backend: a.Blobs.Name(), Fn: a.Blobs.Check},
		// Without the state store hits are still served and fills lock per
		// replica: degraded, not down.
		{Name: "state", Backend: a.State.Name(), Fn: a.State.Ping, Degrades: true},
		// Below the reserve hits are served and fills refused: degraded.
		{Name: "disk", Backend: "DATA_DIR", Fn: func(context.Context) error { return reserveKept(free, cfg.CacheMinFree) }, Degrades: true},
	}, Storage: func() api.Storage {
		f, _ := free()
		ev, orph := a.Janitor.Totals()
		return api.Storage{MaxSize: cfg.CacheMaxSize, MinFree: cfg.CacheMinFree, FreeBytes: f, Evicted: ev, OrphansRemoved: orph}
	}, Upstream: func(ctx context.Context, remote string) api.UpstreamHealth {
		h := api.UpstreamHealth{Circuit: "closed"}
		if brk.Open(ctx, remote) {
			h.Circuit = "open"
		}
		if ue, ok := a.Engine.LastUpstreamError(ctx, remote); ok {
			h.LastError = &ue
		}
		if b, ok := a.Engine.UpstreamBudget(ctx, remote); ok {
			h.Budget, h.BudgetLow = &b, b.Low(time.Now())
		}
		return h
	}}
	a.Server = &Server{reg: reg, engine: a.Engine, api: mgmt.Handler(), metrics: m, rec: a.rec, version: version, publicURL: cfg.PublicURL,
		metricsAuth: mgmt.RequireToken, pull: pull}
	if cfg.MetricsPublic {
		a.Server.metricsAuth = func(h http.Handler) http.Handler { return h }
	}
	return a, nil
}

// memoryCache is MEMORY_CACHE_SIZE for the engine, where 0 means none.
func memoryCache(cfg *config.Config) int64 {
	if cfg.MemoryCacheSize == 0 {
		return -1
	}
	return cfg.MemoryCacheSize
}

// rowTTL: with the in-process state store this process is the only one
// that changes the cache, and every change it makes drops its row from
// memory at once, so rows serve hits from memory until evicted for room.
// Replicas sharing Redis are told of replacements and evictions at once
// (pub/sub); an announcement that fails is sent again until it goes, a
// read that raced one is not cached, and a subscription that broke or fell
// behind drops every row, so the ttl bounds only what none of that covers.
// Rows past their own freshness are read again whatever the ttl. A short
// ttl costs a database round trip per hit once the working set is hit less
// often than the ttl.
func rowTTL(cfg *config.Config) time.Duration {
	switch {
	case cfg.RowCacheTTL > 0:
		return cfg.RowCacheTTL
	case cfg.StateDriver == "memory":
		return time.Hour
	}
	return 10 * time.Minute
}

// EndStreams ends every open event stream: http.Server.Shutdown calls it,
// so clients reconnect to another replica (or the restarted one) at once.
func (a *App) EndStreams() {
	a.stop.Do(func() { close(a.closing) })
}

// Close stops background work, flushes traffic and counters and closes backends.
func (a *App) Close() {
	if a.warm != nil { // warming jobs fill through the engine: they stop first
		a.stopWarm()
		a.warm.Wait()
	}
	if a.Engine != nil {
		a.Engine.Close()
	}
	if c, ok := a.Blobs.(interface{ Close() error }); ok {
		c.Close() // background work of the blob store (the local tier's copies)
	}
	if a.cancel != nil {
		a.cancel()
		a.bg.Wait()
		a.rec.Wait()
	}
	if a.State != nil {
		a.State.Close()
	}
	if a.Meta != nil {
		a.Meta.Close()
	}
}

func openMeta(ctx context.Context, cfg *config.Config) (meta.Store, error) {
	switch cfg.DBDriver {
	case "sqlite":
		path := filepath.Join(cfg.DataDir, "artifactapi.db")
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			return nil, fmt.Errorf("DB_DRIVER=sqlite: %w", err)
		}
		// Files of an earlier version (or created under a loose umask).
		for _, f := range []string{path, path + "-wal", path + "-shm"} {
			if err := os.Chmod(f, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
				s.Close()
				return nil, fmt.Errorf("DB_DRIVER=sqlite: %w", err)
			}
		}
		return s, nil
	case "postgres":
		s, err := postgres.Open(ctx, cfg.Postgres.DSN())
		if err != nil {
			return nil, fmt.Errorf("DB_DRIVER=postgres (DBHOST=%s DBPORT=%s DBNAME=%s): %w", cfg.Postgres.Host, cfg.Postgres.Port, cfg.Postgres.Name, err)
		}
		return s, nil
	}
	return nil, fmt.Errorf("DB_DRIVER=%s: unknown", cfg.DBDriver)
}

func openBlobs(ctx context.Context, cfg *config.Config, log *slog.Logger) (blob.Store, error) {
	switch cfg.StorageDriver {
	case "fs":
		s, err := blobfs.New(filepath.Join(cfg.DataDir, "blobs"))
		if err != nil {
			return nil, fmt.Errorf("STORAGE_DRIVER=fs: %w", err)
		}
		return s, nil
	case "s3":
		c := cfg.S3
		s, err := blobs3.New(ctx, blobs3.Config{Endpoint: c.Endpoint, AccessKey: c.AccessKey, SecretKey: c.SecretKey,
			Bucket: c.Bucket, Region: c.Region, Secure: c.Secure}, log)
		if err != nil {
			return nil, fmt.Errorf("STORAGE_DRIVER=s3 (MINIO_ENDPOINT=%s MINIO_BUCKET=%s): %w", c.Endpoint, c.Bucket, err)
		}
		if cfg.BlobCacheSize == 0 {
			return s, nil
		}
		t, err := tiered.New(s, filepath.Join(cfg.DataDir, "blobcache"), cfg.BlobCacheSize, log)
		if err != nil {
			return nil, fmt.Errorf("BLOB_CACHE_SIZE (in DATA_DIR=%s): %w", cfg.DataDir, err)
		}
		return t, nil
	}
	return nil, fmt.Errorf("STORAGE_DRIVER=%s: unknown", cfg.StorageDriver)
}

func openState(ctx context.Context, cfg *config.Config) (state.Store, error) {
	switch cfg.StateDriver {
	case "memory":
		return memory.New(), nil
	case "redis":
		s, err := redisstate.Open(ctx, cfg.RedisURL, cfg.RedisPrefix)
		if err != nil {
			return nil, fmt.Errorf("STATE_DRIVER=redis (REDIS_URL): %w", err)
		}
		return s, nil
	}
	return nil, fmt.Errorf("STATE_DRIVER=%s: unknown", cfg.StateDriver)
}

// replicaID names this replica in events: host and pid for people, and a
// random part so that two servers in one process (tests) differ too.
func replicaID() string {
	hostname, _ := os.Hostname()
	b := make([]byte, 2)
	rand.Read(b)
	return fmt.Sprintf("%s:%d:%s", hostname, os.Getpid(), hex.EncodeToString(b))
}

// orphanGrace is how old a blob no row refers to must be before it is
// collected: far longer than the moment between a fill's blob commit and
// its row.
const orphanGrace = time.Hour

// freeBytes is the space left to unprivileged writers under dir.
func freeBytes(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}

func reserveKept(free func() (int64, error), reserve int64) error {
	f, err := free()
	if err != nil {
		return err
	}
	if f < reserve {
		return fmt.Errorf("%d MB free, under the CACHE_MIN_FREE reserve of %d MB: fills are refused", f>>20, reserve>>20)
	}
	return nil
}

// secretsKey is SECRETS_KEY, or the key kept in DATA_DIR/secrets-key,
// generated (mode 0600) on first start of the embedded default.
func secretsKey(cfg *config.Config, log *slog.Logger) (*secrets.Keyring, error) {
	spec := cfg.SecretsKey
	if spec == "" {
		path := filepath.Join(cfg.DataDir, "secrets-key")
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			spec = strings.TrimSpace(string(b))
		case errors.Is(err, os.ErrNotExist):
			if spec, err = secrets.Generate(); err != nil {
				return nil, err
			}
			if err := os.WriteFile(path, []byte(spec+"\n"), 0o600); err != nil {
				return nil, fmt.Errorf("SECRETS_KEY unset and cannot write %s: %w", path, err)
			}
			log.Info("generated the key that seals upstream credentials", "path", path)
		default:
			return nil, fmt.Errorf("SECRETS_KEY unset and %s unreadable: %w", path, err)
		}
	}
	k, err := secrets.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("SECRETS_KEY: %w", err)
	}
	return k, nil
}

// adminToken is ADMIN_TOKEN, or the token kept in DATA_DIR/admin-token,
// generated (mode 0600) on first start.
func adminToken(cfg *config.Config, log *slog.Logger) (string, error) {
	if cfg.AdminToken != "" {
		return cfg.AdminToken, nil
	}
	path := filepath.Join(cfg.DataDir, "admin-token")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 16 {
		log.Info("admin token read from file", "path", path)
		return strings.TrimSpace(string(b)), nil
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("ADMIN_TOKEN unset and %s unreadable: %w", path, err)
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	tok := hex.EncodeToString(buf)
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("ADMIN_TOKEN unset and cannot write %s: %w", path, err)
	}
	log.Info("generated admin token", "path", path)
	return tok, nil
}

func pruneTraffic(ctx context.Context, st meta.Store, days int, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		n, err := st.PruneTraffic(ctx, time.Now().AddDate(0, 0, -days))
		if err != nil && ctx.Err() == nil {
			log.Warn("traffic prune failed", "err", err)
		} else if n > 0 {
			log.Info("traffic pruned", "rows", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// NewHTTPServer returns the HTTP server with timeouts fit for long
// downloads: bounded header reads, no total write deadline.
func NewHTTPServer(addr string, h http.Handler) *http.Server {
	return &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
}
