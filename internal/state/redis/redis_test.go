package redis

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/artifactapi/artifactapi/internal/state"
	"github.com/artifactapi/artifactapi/internal/state/statetest"
	"github.com/artifactapi/artifactapi/internal/testenv"
)

func TestConformance(t *testing.T) {
	url := testenv.Redis(t)
	prefix := testenv.Unique("test:")
	// Each call opens its own client, as each replica would.
	statetest.Run(t, func(t *testing.T) state.Store {
		s, err := Open(context.Background(), url, prefix)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestUnreachable(t *testing.T) {
	if _, err := Open(context.Background(), "redis://127.0.0.1:1/0", "x:"); err == nil {
		t.Fatal("Open of a closed port succeeded")
	}
	if _, err := Open(context.Background(), "http://nope", "x:"); err == nil {
		t.Fatal("Open of a bad url succeeded")
	}
}

// A subscription whose connection breaks must end, not go quiet: the
// config watcher relies on that to resubscribe and reload.
func TestSubscriptionEndsWhenConnectionDies(t *testing.T) {
	name := testenv.Unique("sub")
	s, err := Open(context.Background(), testenv.Redis(t)+"?client_name="+name, testenv.Unique("test:"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ch, err := s.Subscribe(context.Background(), "c")
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.rdb.ClientList(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	killed := 0
	for _, line := range strings.Split(list, "\n") {
		if strings.Contains(line, " name="+name+" ") && strings.Contains(line, " flags=P ") {
			id := strings.TrimPrefix(strings.Fields(line)[0], "id=")
			if err := s.rdb.Do(context.Background(), "CLIENT", "KILL", "ID", id).Err(); err != nil {
				t.Fatal(err)
			}
			killed++
		}
	}
	if killed != 1 {
		t.Fatalf("found %d subscriber connections named %s in:\n%s", killed, name, list)
	}
	select {
	case _, open := <-ch:
		if open {
			t.Fatal("got a message instead of the end of the subscription")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("subscription still open after its connection was killed")
	}
}
