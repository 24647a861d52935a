package memory

import (
	"testing"

	"github.com/artifactapi/artifactapi/internal/state"
	"github.com/artifactapi/artifactapi/internal/state/statetest"
)

func TestConformance(t *testing.T) {
	shared := New() // stores handed out share one backend, as replicas on Redis would
	statetest.Run(t, func(t *testing.T) state.Store { return shared })
}
