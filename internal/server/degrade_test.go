package server

import (
	"bytes"
	"maps"
	"net/http"
	"testing"
	"time"

	"github.com/artifactapi/artifactapi/internal/testenv"
)

type healthReport struct {
	Status string
	Checks map[string]struct{ Backend, Status, Error string }
}

func (h *harness) health() (int, healthReport) {
	var out healthReport
	code := h.api("GET", "/api/v2/health", nil, &out)
	return code, out
}

func TestRedisDownServesAndDegrades(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("bytes of " + r.URL.Path)) })
	env := testenv.ScaleOut(t)
	redis := testenv.Via(t, env, "REDIS_URL")
	h := newHarness(t, env)
	h.remote("r", up.URL, nil)
	h.get("/api/v1/remote/r/warm")

	redis.Cut()
	if resp, body, err := h.get("/api/v1/remote/r/warm"); err != nil || resp.StatusCode != 200 || resp.Header.Get("X-Cache") != "HIT" {
		t.Fatalf("hit with Redis down: %v %s %s", err, body, resp.Header.Get("X-Cache"))
	}
	// A miss fills under this replica's own lock.
	if resp, body, err := h.get("/api/v1/remote/r/cold"); err != nil || resp.StatusCode != 200 || string(body) != "bytes of /cold" {
		t.Fatalf("miss with Redis down: %v %d %s", err, resp.StatusCode, body)
	}
	if code, rep := h.health(); code != 200 || rep.Status != "degraded" || rep.Checks["state"].Status != "degraded" {
		t.Fatalf("health with Redis down: %d %+v", code, rep)
	}

	redis.Restore()
	waitUntil(t, "health to recover with Redis back", func() bool {
		code, rep := h.health()
		return code == 200 && rep.Status == "ok"
	})
}

func TestPostgresDownKnownHitsServed(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("bytes of " + r.URL.Path)) })
	env := testenv.ScaleOut(t)
	pg := testenv.Via(t, env, "DATABASE_URL")
	env["ROW_CACHE_TTL"] = "1s"
	h := newHarness(t, env)
	h.remote("r", up.URL, nil)
	h.get("/api/v1/remote/r/known")
	hits := up.hits.Load()
	h.objects("r") // stored (listing waits for it) before PostgreSQL goes

	pg.Cut()
	// Past the row cache's ttl, so the hit is served from the last known
	// row rather than a cache entry still in use.
	time.Sleep(1100 * time.Millisecond)
	if resp, body, err := h.get("/api/v1/remote/r/known"); err != nil || resp.StatusCode != 200 || string(body) != "bytes of /known" {
		t.Fatalf("known hit with PostgreSQL down: %v %s", err, body)
	}
	// An unknown path cannot be checked: a clear 503, and upstream is not asked.
	if resp, body, _ := h.get("/api/v1/remote/r/unknown"); resp.StatusCode != 503 || !bytes.Contains(body, []byte("metadata store unavailable")) {
		t.Fatalf("unknown path with PostgreSQL down: %d %s", resp.StatusCode, body)
	}
	if up.hits.Load() != hits {
		t.Fatal("upstream asked while the metadata store was down")
	}
	if code := h.api("GET", "/api/v2/remotes", nil, nil); code != 503 {
		t.Fatalf("list remotes with PostgreSQL down: %d", code)
	}
	if code, rep := h.health(); code != 503 || rep.Checks["db"].Status != "down" {
		t.Fatalf("health with PostgreSQL down: %d %+v", code, rep)
	}

	pg.Restore()
	waitUntil(t, "the proxy to work with PostgreSQL back", func() bool {
		resp, _, err := h.get("/api/v1/remote/r/unknown")
		return err == nil && resp.StatusCode == 200
	})
}

func TestS3DownMissServedWholeNothingStored(t *testing.T) {
	data := randomBytes(1 << 20)
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { w.Write(data) })
	env := testenv.ScaleOut(t)
	s3 := testenv.Via(t, env, "MINIO_ENDPOINT")
	cached := newHarness(t, env) // keeps local copies (BLOB_CACHE_SIZE default)
	env["BLOB_CACHE_SIZE"] = "0"
	h := newHarness(t, env)
	cached.remote("r", up.URL, nil)
	cached.get("/api/v1/remote/r/stored") // the fill leaves the local copy
	waitUntil(t, "the other replica to know the remote", func() bool {
		resp, _, err := h.get("/api/v1/remote/r/stored")
		return err == nil && resp.StatusCode == 200
	})

	s3.Cut()
	if resp, body, _ := h.get("/api/v1/remote/r/stored"); resp.StatusCode != 503 {
		t.Fatalf("hit with S3 down and no local copy: %d %q", resp.StatusCode, body[:min(len(body), 200)])
	}
	// A replica that filled or served the blob before keeps a verified local copy.
	if resp, body, err := cached.get("/api/v1/remote/r/stored"); err != nil || resp.StatusCode != 200 || !bytes.Equal(body, data) {
		t.Fatalf("hit with S3 down from a local copy: %v %d", err, resp.StatusCode)
	}
	// A miss is served from the upstream, whole and verified; it cannot
	// be stored, so nothing is.
	resp, body, err := h.get("/api/v1/remote/r/new")
	if err != nil || resp.StatusCode != 200 || !bytes.Equal(body, data) {
		t.Fatalf("miss with S3 down: %v %d, %d bytes", err, resp.StatusCode, len(body))
	}
	if code, rep := h.health(); code != 503 || rep.Checks["storage"].Status != "down" {
		t.Fatalf("health with S3 down: %d %+v", code, rep)
	}

	s3.Restore()
	for _, o := range h.objects("r") {
		if o["path"] == "new" {
			t.Fatalf("a fill that could not be stored left a row: %v", o)
		}
	}
	if resp, body, err := h.get("/api/v1/remote/r/new"); err != nil || resp.StatusCode != 200 || !bytes.Equal(body, data) {
		t.Fatalf("after S3 is back: %v %d", err, resp.StatusCode)
	}
}

// A replica cut off from Redis misses the change notices sent meanwhile;
// once Redis is back it must catch up without another change.
func TestRedisOutageMissedConfigCaughtUp(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("x")) })
	env := testenv.ScaleOut(t)
	a := newHarness(t, env)
	benv := maps.Clone(env)
	redis := testenv.Via(t, benv, "REDIS_URL")
	b := newHarness(t, benv)

	redis.Cut()
	time.Sleep(200 * time.Millisecond) // let b notice its subscription broke
	a.remote("late", up.URL, nil)
	redis.Restore()
	waitUntil(t, "the replica that was cut off to serve the remote created meanwhile", func() bool {
		resp, _, err := b.get("/api/v1/remote/late/f")
		return err == nil && resp.StatusCode == 200
	})
}
