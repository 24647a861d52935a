package fetch

import (
	"errors"
	"testing"
	"time"
)

func TestFreeReadingIsReusedThenRenewed(t *testing.T) {
	var r freeReading
	calls := 0
	fn := func() (int64, error) { calls++; return int64(100 * calls), nil }
	if got, _ := r.read(fn); got != 100 {
		t.Fatalf("first reading: got %d, want 100", got)
	}
	if got, _ := r.read(fn); got != 100 || calls != 1 {
		t.Fatalf("within freeReadingAge: got %d after %d readings, want the first one reused", got, calls)
	}
	r.at = time.Now().Add(-freeReadingAge)
	if got, _ := r.read(fn); got != 200 || calls != 2 {
		t.Fatalf("after freeReadingAge: got %d after %d readings, want a new one", got, calls)
	}
}

func TestFreeReadingFailureIsNotKept(t *testing.T) {
	var r freeReading
	boom := errors.New("statfs failed")
	if _, err := r.read(func() (int64, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Fatalf("got %v, want the reading's error", err)
	}
	if got, err := r.read(func() (int64, error) { return 7, nil }); err != nil || got != 7 {
		t.Fatalf("after a failure: got %d, %v; want a fresh reading", got, err)
	}
}
