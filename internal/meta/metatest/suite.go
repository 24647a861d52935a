// Package metatest is the conformance suite every meta.Store must pass.
package metatest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/artifactapi/artifactapi/internal/meta"
)

// Run runs the suite; newStore must return an empty store.
func Run(t *testing.T, newStore func(t *testing.T) meta.Store) {
	ctx := context.Background()
	t.Run("RemoteCRUD", func(t *testing.T) {
		s := newStore(t)
		r := meta.Remote{Name: "gh", PackageType: "generic", BaseURL: "http://127.0.0.1:1", MutableTTL: 60,
			Patterns: []string{"^a/"}, Password: "secret"}
		if err := s.CreateRemote(ctx, r); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateRemote(ctx, r); !errors.Is(err, meta.ErrExists) {
			t.Fatalf("duplicate create: %v, want ErrExists", err)
		}
		got, err := s.GetRemote(ctx, "gh")
		if err != nil {
			t.Fatal(err)
		}
		if got.BaseURL != r.BaseURL || got.Password != "secret" || !reflect.DeepEqual(got.Patterns, r.Patterns) || got.CreatedAt.IsZero() {
			t.Fatalf("got %+v", got)
		}
		got.MutableTTL = 120
		if err := s.UpdateRemote(ctx, got); err != nil {
			t.Fatal(err)
		}
		again, _ := s.GetRemote(ctx, "gh")
		if again.MutableTTL != 120 || !again.CreatedAt.Equal(got.CreatedAt) {
			t.Fatalf("after update %+v", again)
		}
		if err := s.UpdateRemote(ctx, meta.Remote{Name: "nope"}); !errors.Is(err, meta.ErrNotFound) {
			t.Fatalf("update missing: %v", err)
		}
		s.CreateRemote(ctx, meta.Remote{Name: "a", PackageType: "generic", BaseURL: "http://x"})
		list, err := s.ListRemotes(ctx)
		if err != nil || len(list) != 2 || list[0].Name != "a" {
			t.Fatalf("list = %+v %v", list, err)
		}
		if err := s.DeleteRemote(ctx, "gh"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetRemote(ctx, "gh"); !errors.Is(err, meta.ErrNotFound) {
			t.Fatalf("get deleted: %v", err)
		}
		if err := s.DeleteRemote(ctx, "gh"); !errors.Is(err, meta.ErrNotFound) {
			t.Fatalf("delete twice: %v", err)
		}
	})
	t.Run("VirtualCRUD", func(t *testing.T) {
		s := newStore(t)
		v := meta.Virtual{Name: "all", PackageType: "generic", Members: []string{"b", "a"}}
		if err := s.CreateVirtual(ctx, v); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateVirtual(ctx, v); !errors.Is(err, meta.ErrExists) {
			t.Fatalf("duplicate: %v", err)
		}
		v.Members = []string{"a"}
		if err := s.UpdateVirtual(ctx, v); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetVirtual(ctx, "all")
		if err != nil || !reflect.DeepEqual(got.Members, []string{"a"}) {
			t.Fatalf("got %+v %v", got, err)
		}
		if list, _ := s.ListVirtuals(ctx); len(list) != 1 {
			t.Fatalf("list = %+v", list)
		}
		if err := s.DeleteVirtual(ctx, "all"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetVirtual(ctx, "all"); !errors.Is(err, meta.ErrNotFound) {
			t.Fatalf("get deleted: %v", err)
		}
	})
	t.Run("Objects", func(t *testing.T) {
		s := newStore(t)
		now := time.Now().UTC().Truncate(time.Microsecond)
		if _, err := s.GetObject(ctx, "r", "x"); !errors.Is(err, meta.ErrNotFound) {
			t.Fatalf("get missing: %v", err)
		}
		for i := range 25 {
			o := meta.Object{Remote: "r", Path: fmt.Sprintf("dir/%02d.bin", i), SHA256: sha(i % 3), Size: int64(i),
				ContentType: "application/octet-stream", ETag: `"e"`, FetchedAt: now}
			if err := s.PutObject(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
		s.PutObject(ctx, meta.Object{Remote: "r", Path: "other/ü.bin", SHA256: sha(9), Size: 5, FetchedAt: now})
		s.PutObject(ctx, meta.Object{Remote: "q", Path: "dir/00.bin", SHA256: sha(0), Size: 0, FetchedAt: now})
		got, err := s.GetObject(ctx, "r", "dir/07.bin")
		if err != nil || got.Size != 7 || got.SHA256 != sha(1) || !got.FetchedAt.Equal(now) || !got.ExpiresAt.IsZero() || got.ETag != `"e"` {
			t.Fatalf("got %+v %v", got, err)
		}
		// Several paths at once: the rows of those that have one.
		many, err := s.GetObjects(ctx, "r", []string{"dir/08.bin", "missing", "other/ü.bin", "dir/07.bin"})
		slices.SortFunc(many, func(a, b meta.Object) int { return strings.Compare(a.Path, b.Path) })
		if err != nil || len(many) != 3 || many[0].Path != "dir/07.bin" || many[0].Size != 7 || many[0].SHA256 != sha(1) ||
			!many[0].FetchedAt.Equal(now) || many[1].Path != "dir/08.bin" || many[2].Path != "other/ü.bin" || many[2].Remote != "r" {
			t.Fatalf("GetObjects: %+v %v", many, err)
		}
		if none, err := s.GetObjects(ctx, "q", []string{"dir/07.bin", "x"}); err != nil || len(none) != 0 {
			t.Fatalf("GetObjects of another remote: %+v %v", none, err)
		}
		if none, err := s.GetObjects(ctx, "r", nil); err != nil || len(none) != 0 {
			t.Fatalf("GetObjects of no paths: %+v %v", none, err)
		}
		// Paging: 10 at a time under a prefix, cursor = last path.
		var seen []string
		after := ""
		for {
			page, err := s.ListObjects(ctx, "r", "dir/", after, 10)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range page {
				seen = append(seen, o.Path)
			}
			if len(page) < 10 {
				break
			}
			after = page[len(page)-1].Path
		}
		if len(seen) != 25 || seen[0] != "dir/00.bin" || seen[24] != "dir/24.bin" {
			t.Fatalf("paged %d: %v", len(seen), seen)
		}
		if page, _ := s.ListObjects(ctx, "r", "other/ü", "", 10); len(page) != 1 {
			t.Fatalf("unicode prefix: %+v", page)
		}
		exp := now.Add(time.Hour)
		if err := s.TouchObject(ctx, "r", "dir/07.bin", now, exp); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.GetObject(ctx, "r", "dir/07.bin"); !got.ExpiresAt.Equal(exp) || got.Fresh(exp.Add(time.Second)) || !got.Fresh(now) {
			t.Fatalf("after touch %+v", got)
		}
		if err := s.TouchObject(ctx, "r", "nope", now, exp); !errors.Is(err, meta.ErrNotFound) {
			t.Fatalf("touch missing: %v", err)
		}
		// Evict one path, then a prefix; blob references follow.
		gone, err := s.DeleteObjects(ctx, "r", "dir/00.bin", "")
		if err != nil || len(gone) != 1 || gone[0].SHA256 != sha(0) {
			t.Fatalf("delete one: %+v %v", gone, err)
		}
		gone, err = s.DeleteObjects(ctx, "r", "", "dir/")
		if err != nil || len(gone) != 24 {
			t.Fatalf("delete prefix: %d %v", len(gone), err)
		}
		if ref, _ := s.BlobReferenced(ctx, sha(0)); !ref {
			t.Fatal("sha(0) still used by remote q")
		}
		if ref, _ := s.BlobReferenced(ctx, sha(1)); ref {
			t.Fatal("sha(1) no longer used")
		}
		gone, _ = s.DeleteObjects(ctx, "r", "", "")
		if len(gone) != 1 {
			t.Fatalf("delete all: %+v", gone)
		}
	})
	t.Run("RecordAndStats", func(t *testing.T) {
		s := newStore(t)
		now := time.Now().UTC()
		s.PutObject(ctx, meta.Object{Remote: "r", Path: "a", SHA256: sha(1), Size: 100, FetchedAt: now})
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				err := s.Record(ctx, meta.Batch{
					Usage:    []meta.Usage{{Remote: "r", Path: "a", Hits: 2, LastAccess: now}},
					Counters: map[string]meta.Counters{"r": {Hits: 2, Misses: 1, BytesServed: 300, BytesFetched: 100}},
					Traffic:  []meta.Traffic{{Second: now, Remote: "r", Cache: "HIT", Requests: 2, Bytes: 200}},
				})
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		st, err := s.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		r := st["r"]
		if r.Hits != 8 || r.Misses != 4 || r.BytesServed != 1200 || r.Objects != 1 || r.StoredBytes != 100 {
			t.Fatalf("stats %+v", r)
		}
		o, _ := s.GetObject(ctx, "r", "a")
		if o.Hits != 8 || o.LastAccess.IsZero() {
			t.Fatalf("usage not applied: %+v", o)
		}
		// Four concurrent batches add to one row of that second.
		if pts, err := s.TrafficSeries(ctx, now.Truncate(time.Second), time.Second); err != nil || len(pts) != 1 || pts[0].Requests != 8 || pts[0].Bytes != 800 {
			t.Fatalf("traffic %+v %v", pts, err)
		}
		if n, err := s.PruneTraffic(ctx, now); err != nil || n != 0 {
			t.Fatalf("prune of the second now is in: %d %v", n, err)
		}
		if n, err := s.PruneTraffic(ctx, now.Add(time.Second)); err != nil || n != 1 {
			t.Fatalf("prune %d %v", n, err)
		}
		if pts, err := s.TrafficSeries(ctx, now.Add(-time.Hour), time.Second); err != nil || len(pts) != 0 {
			t.Fatalf("after prune %+v %v", pts, err)
		}
	})
	t.Run("UsageOfManyObjects", func(t *testing.T) {
		// More rows than a store may write in one transaction (SQLite
		// writes the usage in chunks): every one is applied, once.
		s := newStore(t)
		now := time.Now().UTC().Truncate(time.Millisecond)
		var usage []meta.Usage
		for i := range 1500 {
			p := fmt.Sprintf("u/%04d", i)
			if err := s.PutObject(ctx, meta.Object{Remote: "r", Path: p, SHA256: sha(i), Size: 1, FetchedAt: now, LastAccess: now}); err != nil {
				t.Fatal(err)
			}
			usage = append(usage, meta.Usage{Remote: "r", Path: p, Hits: int64(i%7 + 1), LastAccess: now.Add(time.Duration(i) * time.Second)})
		}
		if err := s.Record(ctx, meta.Batch{Usage: usage, Counters: map[string]meta.Counters{"r": {Hits: 5}}}); err != nil {
			t.Fatal(err)
		}
		for i, u := range usage {
			o, err := s.GetObject(ctx, "r", u.Path)
			if err != nil || o.Hits != u.Hits || !o.LastAccess.Equal(u.LastAccess) {
				t.Fatalf("row %d: hits %d last access %v (%v), want %d %v", i, o.Hits, o.LastAccess, err, u.Hits, u.LastAccess)
			}
		}
		if st, err := s.Stats(ctx); err != nil || st["r"].Hits != 5 {
			t.Fatalf("counters written %d times over: %+v %v", st["r"].Hits/5, st["r"], err)
		}
	})
	t.Run("TrafficSeries", func(t *testing.T) {
		s := newStore(t)
		step := time.Minute
		b0 := time.Now().UTC().Truncate(step).Add(-10 * step)
		row := func(at time.Time, cache string, n, bytes, errs int64) meta.Traffic {
			return meta.Traffic{Second: at, Remote: "r", Cache: cache, Requests: n, Bytes: bytes, Errors: errs}
		}
		rows := []meta.Traffic{
			row(b0.Add(-time.Second), "HIT", 1, 1, 0), // before since: left out
			row(b0, "MISS", 1, 100, 0), row(b0.Add(10*time.Second), "HIT", 1, 100, 0),
			// Within one second, as a batch may hold after a late flush: summed.
			row(b0.Add(59*time.Second), "HIT", 1, 60, 0), row(b0.Add(59*time.Second+time.Millisecond), "HIT", 1, 40, 0),
			row(b0.Add(3*step), "BYPASS", 1, 7, 1),
		}
		if err := s.Record(ctx, meta.Batch{Traffic: rows}); err != nil {
			t.Fatal(err)
		}
		// A later batch adds to a second already written.
		if err := s.Record(ctx, meta.Batch{Traffic: []meta.Traffic{row(b0.Add(3*step+time.Second), "STALE", 1, 50, 0)}}); err != nil {
			t.Fatal(err)
		}
		pts, err := s.TrafficSeries(ctx, b0, step)
		if err != nil {
			t.Fatal(err)
		}
		if len(pts) != 2 {
			t.Fatalf("%d buckets, want 2: %+v", len(pts), pts)
		}
		a, b := pts[0], pts[1]
		if !a.Start.Equal(b0) || a.Requests != 4 || a.Bytes != 300 || a.Errors != 0 || a.Cache["HIT"] != 3 || a.Cache["MISS"] != 1 {
			t.Fatalf("first bucket %+v", a)
		}
		if !b.Start.Equal(b0.Add(3*step)) || b.Requests != 2 || b.Bytes != 57 || b.Errors != 1 || b.Cache["BYPASS"] != 1 || b.Cache["STALE"] != 1 {
			t.Fatalf("second bucket %+v", b)
		}
		if pts, err := s.TrafficSeries(ctx, b0.Add(5*step), step); err != nil || len(pts) != 0 {
			t.Fatalf("after the last row: %+v %v", pts, err)
		}
	})
	t.Run("LargeBatch", func(t *testing.T) {
		s := newStore(t)
		b0 := time.Now().UTC().Truncate(time.Second).Add(-time.Hour)
		rows := make([]meta.Traffic, 1234)
		for i := range rows {
			rows[i] = meta.Traffic{Second: b0.Add(time.Duration(i) * time.Second), Remote: fmt.Sprint("r", i%3), Cache: "MISS", Requests: 1, Bytes: int64(i)}
		}
		if err := s.Record(ctx, meta.Batch{Traffic: rows}); err != nil {
			t.Fatal(err)
		}
		pts, err := s.TrafficSeries(ctx, b0, time.Second)
		if err != nil || len(pts) != len(rows) {
			t.Fatalf("%d points %v, want %d", len(pts), err, len(rows))
		}
		if p := pts[1233]; !p.Start.Equal(b0.Add(1233*time.Second)) || p.Bytes != 1233 {
			t.Fatalf("last point %+v", p)
		}
	})
	t.Run("ConcurrentPuts", func(t *testing.T) {
		// Fills commit their rows together: each must be there when its
		// PutObject returns, and two writes of a path never mix rows.
		s := newStore(t)
		now := time.Now().UTC().Truncate(time.Millisecond)
		var wg sync.WaitGroup
		for i := range 64 {
			wg.Go(func() {
				o := meta.Object{Remote: "r", Path: fmt.Sprint("p", i%48), SHA256: sha(i), Size: int64(i), FetchedAt: now, LastAccess: now}
				if err := s.PutObject(ctx, o); err != nil {
					t.Error(err)
					return
				}
				if got, err := s.GetObject(ctx, "r", o.Path); err != nil || got.Path != o.Path {
					t.Errorf("row %s not there after PutObject returned: %v", o.Path, err)
				}
			})
		}
		wg.Wait()
		objs, err := s.ListObjects(ctx, "r", "", "", 100)
		if err != nil || len(objs) != 48 {
			t.Fatalf("%d rows %v, want 48", len(objs), err)
		}
		for _, o := range objs {
			var i int
			fmt.Sscan(o.Path[1:], &i)
			if o.Size != int64(i) && o.Size != int64(i+48) {
				t.Fatalf("row %s holds size %d: another path's write", o.Path, o.Size)
			}
		}
	})
	t.Run("ConcurrentBlobsAndRows", func(t *testing.T) {
		// Fills put a small blob, then its row, at the same time as others:
		// each is there when its call returns, and duplicates are kept once.
		s := newStore(t)
		now := time.Now().UTC().Truncate(time.Millisecond)
		var wg sync.WaitGroup
		for i := range 64 {
			wg.Go(func() {
				data := fmt.Appendf(nil, "blob %d", i%40)
				if err := s.PutBlob(ctx, sha(i%40), data); err != nil {
					t.Error(err)
					return
				}
				if got, err := s.GetBlob(ctx, sha(i%40)); err != nil || string(got) != string(data) {
					t.Errorf("blob %d: %q %v", i%40, got, err)
				}
				o := meta.Object{Remote: "r", Path: fmt.Sprint("p", i), SHA256: sha(i % 40), Size: int64(len(data)), FetchedAt: now, LastAccess: now}
				if err := s.PutObject(ctx, o); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		n := 0
		if err := s.WalkBlobs(ctx, func(sha string, size int64, _ time.Time) { n++ }); err != nil || n != 40 {
			t.Fatalf("%d blobs %v, want 40", n, err)
		}
		if objs, err := s.ListObjects(ctx, "r", "", "", 100); err != nil || len(objs) != 64 {
			t.Fatalf("%d rows %v, want 64", len(objs), err)
		}
		if size, err := s.BlobSize(ctx, sha(3)); err != nil || size != int64(len("blob 3")) {
			t.Fatalf("size %d %v", size, err)
		}
		if err := s.DeleteBlob(ctx, sha(3)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetBlob(ctx, sha(3)); !errors.Is(err, meta.ErrNotFound) {
			t.Fatalf("deleted blob: %v", err)
		}
	})
	t.Run("BlobsWithRows", func(t *testing.T) {
		// A small fill commits its blob and row together (PutObjectBlob),
		// alone or among other fills' writes of either kind.
		s := newStore(t)
		now := time.Now().UTC().Truncate(time.Millisecond)
		one := meta.Object{Remote: "r", Path: "alone", SHA256: sha(99), Size: 5, FetchedAt: now, LastAccess: now}
		if err := s.PutObjectBlob(ctx, one, []byte("alone")); err != nil {
			t.Fatal(err)
		}
		if got, err := s.GetBlob(ctx, sha(99)); err != nil || string(got) != "alone" {
			t.Fatalf("blob put alone: %q %v", got, err)
		}
		if o, err := s.GetObject(ctx, "r", "alone"); err != nil || o.SHA256 != sha(99) {
			t.Fatalf("row put alone: %+v %v", o, err)
		}
		var wg sync.WaitGroup
		for i := range 64 {
			wg.Go(func() {
				data := fmt.Appendf(nil, "blob %d", i%20)
				o := meta.Object{Remote: "r", Path: fmt.Sprint("p", i), SHA256: sha(i % 20), Size: int64(len(data)), FetchedAt: now, LastAccess: now}
				var err error
				switch i % 3 {
				case 0, 1:
					err = s.PutObjectBlob(ctx, o, data)
				default:
					if err = s.PutBlob(ctx, o.SHA256, data); err == nil {
						err = s.PutObject(ctx, o)
					}
				}
				if err != nil {
					t.Error(err)
					return
				}
				if got, err := s.GetBlob(ctx, o.SHA256); err != nil || string(got) != string(data) {
					t.Errorf("blob %d: %q %v", i%20, got, err)
				}
				if got, err := s.GetObject(ctx, "r", o.Path); err != nil || got.SHA256 != o.SHA256 {
					t.Errorf("row %s: %+v %v", o.Path, got, err)
				}
				// Lookups of several paths share batches with single ones.
				if got, err := s.GetObjects(ctx, "r", []string{"nowhere", o.Path}); err != nil || len(got) != 1 || got[0].Path != o.Path || got[0].SHA256 != o.SHA256 {
					t.Errorf("rows of %s: %+v %v", o.Path, got, err)
				}
			})
		}
		wg.Wait()
		n := 0
		if err := s.WalkBlobs(ctx, func(string, int64, time.Time) { n++ }); err != nil || n != 21 {
			t.Fatalf("%d blobs %v, want 21 (each kept once)", n, err)
		}
		if objs, err := s.ListObjects(ctx, "r", "", "", 100); err != nil || len(objs) != 65 {
			t.Fatalf("%d rows %v, want 65", len(objs), err)
		}
	})
	t.Run("ObjectsByAccess", func(t *testing.T) {
		s := newStore(t)
		base := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
		for i, r := range []string{"a", "b", "a", "b"} {
			at := base.Add(time.Duration(i) * time.Minute)
			o := meta.Object{Remote: r, Path: fmt.Sprint("p", i), SHA256: fmt.Sprintf("%064d", i), Size: 10, FetchedAt: at, LastAccess: at}
			if err := s.PutObject(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
		all, err := s.ObjectsByAccess(ctx, "", time.Time{}, 10)
		if err != nil || len(all) != 4 || all[0].Path != "p0" || all[3].Path != "p3" {
			t.Fatalf("all by access: %v %v", all, err)
		}
		if b, _ := s.ObjectsByAccess(ctx, "b", time.Time{}, 1); len(b) != 1 || b[0].Path != "p1" {
			t.Fatalf("remote b, oldest: %v", b)
		}
		if old, _ := s.ObjectsByAccess(ctx, "", base.Add(90*time.Second), 10); len(old) != 2 || old[1].Path != "p1" {
			t.Fatalf("used before 1m30s: %v", old)
		}
	})
	t.Run("TokensAndAudit", func(t *testing.T) {
		s := newStore(t)
		exp := time.Now().Add(time.Hour).UTC().Truncate(time.Millisecond)
		tok := meta.Token{Name: "ci", Hash: "h1", Repos: []string{"npmjs", "pypi"}, CreatedAt: time.Now().UTC().Truncate(time.Millisecond), ExpiresAt: exp}
		if err := s.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateToken(ctx, meta.Token{Name: "ci", Hash: "h2", CreatedAt: time.Now()}); !errors.Is(err, meta.ErrExists) {
			t.Fatalf("duplicate name: %v", err)
		}
		if err := s.CreateToken(ctx, meta.Token{Name: "all", Hash: "h3", CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		got, err := s.TokenByHash(ctx, "h1")
		if err != nil || got.Name != "ci" || !reflect.DeepEqual(got.Repos, tok.Repos) || !got.ExpiresAt.Equal(exp) {
			t.Fatalf("by hash: %+v %v", got, err)
		}
		if all, _ := s.TokenByHash(ctx, "h3"); !all.ExpiresAt.IsZero() || len(all.Repos) != 0 {
			t.Fatalf("token without expiry or repos: %+v", all)
		}
		if _, err := s.TokenByHash(ctx, "nope"); !errors.Is(err, meta.ErrNotFound) {
			t.Fatalf("unknown hash: %v", err)
		}
		if list, _ := s.ListTokens(ctx); len(list) != 2 || list[0].Name != "all" {
			t.Fatalf("list: %+v", list)
		}
		if err := s.DeleteToken(ctx, "ci"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TokenByHash(ctx, "h1"); !errors.Is(err, meta.ErrNotFound) {
			t.Fatalf("revoked token still found: %v", err)
		}
		if err := s.DeleteToken(ctx, "ci"); !errors.Is(err, meta.ErrNotFound) {
			t.Fatalf("delete twice: %v", err)
		}
		for i := range 5 {
			if err := s.AppendAudit(ctx, meta.AuditEntry{Time: time.Now(), Actor: "admin", Action: "POST /api/v2/remotes", Target: fmt.Sprint("r", i), Status: 201}); err != nil {
				t.Fatal(err)
			}
		}
		page, err := s.ListAudit(ctx, 0, 3)
		if err != nil || len(page) != 3 || page[0].Target != "r4" || page[0].ID <= page[1].ID {
			t.Fatalf("audit page: %+v %v", page, err)
		}
		rest, _ := s.ListAudit(ctx, page[2].ID, 10)
		if len(rest) != 2 || rest[1].Target != "r0" {
			t.Fatalf("audit rest: %+v", rest)
		}
	})
	t.Run("Ping", func(t *testing.T) {
		if err := newStore(t).Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func sha(i int) string { return fmt.Sprintf("%064x", i) }
