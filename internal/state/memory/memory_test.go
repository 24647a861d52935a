package memory

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/artifactapi/artifactapi/internal/state"
	"github.com/artifactapi/artifactapi/internal/state/statetest"
)

func TestConformance(t *testing.T) {
	shared := New() // stores handed out share one backend, as replicas on Redis would
	statetest.Run(t, func(t *testing.T) state.Store { return shared })
}

// One key per distinct 404 path, never read again: the store stays
// bounded by what is live, not by what was ever written.
func TestExpiredKeysAreSweptWithoutReads(t *testing.T) {
	s := New()
	now := time.Unix(1_000_000, 0)
	s.now = func() time.Time { return now }
	ctx := context.Background()
	for round := 0; round < 10; round++ {
		for i := 0; i < 10_000; i++ {
			s.Set(ctx, fmt.Sprintf("neg:%d:%d", round, i), "1", time.Minute)
		}
		now = now.Add(2 * time.Minute) // every key of this round expires
	}
	if n := s.Len(); n > 25_000 {
		t.Fatalf("%d keys held after 100,000 writes with at most 10,000 live", n)
	}
}
