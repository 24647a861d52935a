package registry

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/meta"
)

// ConfigChannel carries "configuration changed" notices between replicas.
const ConfigChannel = "artifactapi:config"

// Source is where configuration is read from.
type Source interface {
	ListRemotes(ctx context.Context) ([]meta.Remote, error)
	ListVirtuals(ctx context.Context) ([]meta.Virtual, error)
}

// PubSub carries change notices.
type PubSub interface {
	Publish(ctx context.Context, channel string, msgs ...[]byte) error
	Subscribe(ctx context.Context, channel string) (<-chan []byte, error)
}

// Registry is the in-memory view of the configuration, read on every request
// without touching the database.
type Registry struct {
	src   Source
	ps    PubSub
	types *format.Registry
	log   *slog.Logger

	// loading makes loads take turns: a reload a change notice started
	// before a remote was written must not install its older view over
	// the one the writer's own Load installed after it.
	loading sync.Mutex

	mu       sync.RWMutex
	remotes  map[string]*Remote
	virtuals map[string]meta.Virtual
}

// New builds a registry; call Load before serving.
func New(src Source, ps PubSub, types *format.Registry, log *slog.Logger) *Registry {
	return &Registry{src: src, ps: ps, types: types, log: log, remotes: map[string]*Remote{}, virtuals: map[string]meta.Virtual{}}
}

// Types is the package-type list remotes are validated against.
func (g *Registry) Types() *format.Registry { return g.types }

// Load reads the whole configuration. A stored remote that no longer
// compiles (a type removed from the build) is logged and skipped rather than
// stopping every other remote.
func (g *Registry) Load(ctx context.Context) error {
	g.loading.Lock()
	defer g.loading.Unlock()
	rs, err := g.src.ListRemotes(ctx)
	if err != nil {
		return fmt.Errorf("load remotes: %w", err)
	}
	vs, err := g.src.ListVirtuals(ctx)
	if err != nil {
		return fmt.Errorf("load virtuals: %w", err)
	}
	remotes := make(map[string]*Remote, len(rs))
	for _, r := range rs {
		r = g.migrate(r)
		c, err := Compile(r, g.types)
		if err != nil {
			g.log.Error("stored remote is invalid; not served", "remote", r.Name, "err", err)
			continue
		}
		remotes[r.Name] = c
	}
	virtuals := make(map[string]meta.Virtual, len(vs))
	for _, v := range vs {
		virtuals[v.Name] = v
	}
	g.mu.Lock()
	g.remotes, g.virtuals = remotes, virtuals
	g.mu.Unlock()
	return nil
}

// migrate drops settings a stored remote's type does not declare: before
// settings were per type, every remote carried docker's ban_tags fields,
// and the API took them (unused) on any type.
func (g *Registry) migrate(r meta.Remote) meta.Remote {
	t, ok := g.types.Get(r.PackageType)
	if !ok || len(r.Settings) == 0 {
		return r
	}
	declared := t.SettingNames()
	kept := maps.Clone(r.Settings)
	for k, v := range r.Settings {
		if !slices.Contains(declared, k) {
			if !format.IsZeroSetting(v) {
				g.log.Warn("stored remote has a setting its type does not declare; ignored", "remote", r.Name, "setting", k)
			}
			delete(kept, k)
		}
	}
	r.Settings = kept
	return r
}

// Changed reloads this replica and tells the others to.
func (g *Registry) Changed(ctx context.Context) error {
	if err := g.Load(ctx); err != nil {
		return err
	}
	if err := g.ps.Publish(ctx, ConfigChannel, []byte("reload")); err != nil {
		g.log.Warn("could not notify other replicas of a config change", "err", err)
	}
	return nil
}

// Watch reloads on every change notice until ctx ends. Notices sent while
// the channel was broken (a state backend outage) are lost, so every
// successful (re)subscription is followed by a full reload.
func (g *Registry) Watch(ctx context.Context) {
	for ctx.Err() == nil {
		ch, err := g.ps.Subscribe(ctx, ConfigChannel)
		if err != nil {
			g.log.Warn("config watch: subscribe failed", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
			continue
		}
		g.reload(ctx)
		for range ch {
			g.reload(ctx)
		}
	}
}

func (g *Registry) reload(ctx context.Context) {
	if err := g.Load(ctx); err != nil && ctx.Err() == nil {
		g.log.Error("config reload failed", "err", err)
	}
}

// Remote returns the compiled remote called name.
func (g *Registry) Remote(name string) (*Remote, bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	r, ok := g.remotes[name]
	return r, ok
}

// AuthRequired reports whether pulls through name (a remote or a
// virtual) need a token: a virtual does when any member does, since it
// serves their content.
func (g *Registry) AuthRequired(name string) bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if r, ok := g.remotes[name]; ok {
		return r.AuthRequired()
	}
	for _, m := range g.virtuals[name].Members {
		if r, ok := g.remotes[m]; ok && r.AuthRequired() {
			return true
		}
	}
	return false
}

// AnyAuthRequired reports whether a remote or virtual of type typ needs
// a token for pulls.
func (g *Registry) AnyAuthRequired(typ string) bool {
	g.mu.RLock()
	var names []string
	for n, r := range g.remotes {
		if r.PackageType == typ {
			names = append(names, n)
		}
	}
	for n, v := range g.virtuals {
		if v.PackageType == typ {
			names = append(names, n)
		}
	}
	g.mu.RUnlock()
	for _, n := range names {
		if g.AuthRequired(n) {
			return true
		}
	}
	return false
}

// Remotes lists the compiled remotes in force.
func (g *Registry) Remotes() []*Remote {
	g.mu.RLock()
	defer g.mu.RUnlock()
	out := make([]*Remote, 0, len(g.remotes))
	for _, r := range g.remotes {
		out = append(out, r)
	}
	return out
}

// Virtual returns the virtual called name.
func (g *Registry) Virtual(name string) (meta.Virtual, bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	v, ok := g.virtuals[name]
	return v, ok
}
