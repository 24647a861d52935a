package fetch

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/meta/sqlite"
)

// gatedObjects holds every row read until gate is closed, and counts them.
type gatedObjects struct {
	*sqlite.Store
	gate  chan struct{}
	reads atomic.Int64
}

func (g *gatedObjects) GetObject(ctx context.Context, remote, path string) (meta.Object, error) {
	g.reads.Add(1)
	<-g.gate
	return g.Store.GetObject(ctx, remote, path)
}

func TestAgedRowServedWhileReadAgain(t *testing.T) {
	objs := &gatedObjects{gate: make(chan struct{})}
	close(objs.gate)
	e, ms, _ := newEngineWith(t, func(ms *sqlite.Store) Objects { objs.Store = ms; return objs }, Options{RowTTL: 10 * time.Millisecond})
	defer e.Close()
	ctx := context.Background()
	row := meta.Object{Remote: "r", Path: "p", SHA256: strings.Repeat("a", 64), Size: 1, FetchedAt: time.Now()}
	if err := ms.PutObject(ctx, row); err != nil {
		t.Fatal(err)
	}
	if _, err := e.lookup(ctx, "r", "p"); err != nil || objs.reads.Load() != 1 {
		t.Fatalf("first lookup: %v, %d reads", err, objs.reads.Load())
	}

	// Past the ttl, with the database stalled and the row deleted: the
	// hit is answered from the aged row at once, and the read behind it
	// then drops the row.
	time.Sleep(20 * time.Millisecond)
	objs.gate = make(chan struct{})
	if _, err := ms.DeleteObjects(ctx, "r", "p", ""); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		done := make(chan error, 1)
		go func() { _, err := e.lookup(ctx, "r", "p"); done <- err }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("aged row not served: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("lookup of an aged row waited for the database")
		}
	}
	close(objs.gate)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, busy := e.refreshing.Load(cacheKey("r", "p")); !busy {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("background read never finished")
		}
	}
	if n := objs.reads.Load(); n != 2 {
		t.Fatalf("%d row reads; want the first and one in the background for the three hits", n)
	}
	if _, err := e.lookup(ctx, "r", "p"); !errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("row deleted in the database still served after the read behind it: %v", err)
	}
}
