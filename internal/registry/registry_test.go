package registry_test

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/artifactapi/artifactapi/internal/format/types"
	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/registry"
)

// source answers its first ListRemotes (a reload a change notice began
// before remote b was written) only when released, and without b.
type source struct {
	calls   atomic.Int32
	entered chan struct{}
	release chan struct{}
}

func (s *source) ListRemotes(context.Context) ([]meta.Remote, error) {
	if s.calls.Add(1) == 1 {
		close(s.entered)
		<-s.release
		return nil, nil
	}
	return []meta.Remote{{Name: "b", PackageType: "generic", BaseURL: "http://127.0.0.1:1"}}, nil
}

func (s *source) ListVirtuals(context.Context) ([]meta.Virtual, error) { return nil, nil }

// A slow reload that read the configuration before a write must not
// install that older view over the writer's own, newer load.
func TestOlderLoadDoesNotOverwriteNewer(t *testing.T) {
	src := &source{entered: make(chan struct{}), release: make(chan struct{})}
	g := registry.New(src, nil, types.All(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	stale := make(chan error)
	go func() { stale <- g.Load(ctx) }()
	<-src.entered
	fresh := make(chan error)
	go func() { fresh <- g.Load(ctx) }()
	select { // unordered loads finish the fresh one here; ordered ones wait
	case err := <-fresh:
		close(src.release)
		if err != nil {
			t.Fatal(err)
		}
		<-stale
	case <-time.After(200 * time.Millisecond):
		close(src.release)
		<-stale
		if err := <-fresh; err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := g.Remote("b"); !ok {
		t.Fatal("a load that began before remote b was written hid it")
	}
}
