// Package warm fetches everything a lockfile (or a list of paths) names
// through the normal fill path, as a job whose report every replica can
// read: air-gapped sites warm before they cut the link, CI before a
// release.
package warm

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/events"
	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/registry"
)

// Engine is the part of the fetch engine warming drives.
type Engine interface {
	// Warm fetches path as a client's request would (the remote's
	// policies apply), without serving it.
	Warm(ctx context.Context, rem *registry.Remote, path string) (meta.Object, format.Outcome, error)
	OpenObject(ctx context.Context, obj meta.Object) (io.ReadCloser, error)
}

// Store keeps reports where every replica reads them (the state store).
type Store interface {
	Set(ctx context.Context, key, value string, ttl time.Duration) error
	Get(ctx context.Context, key string) (string, error)
}

// Publisher takes events.
type Publisher interface{ Publish(events.Event) }

// Item statuses.
const (
	Pending = "pending"
	Cached  = "cached"  // fetched now
	Present = "present" // was already cached (or revalidated)
	Failed  = "failed"
)

// Item is one thing the file named, and what warming did with it.
type Item struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	Paths  int    `json:"paths"`
	Bytes  int64  `json:"bytes"`
}

// Report is a warming job.
type Report struct {
	ID       string     `json:"id"`
	Remote   string     `json:"remote"`
	File     string     `json:"file"`
	State    string     `json:"state"` // running, done, cancelled
	Total    int        `json:"total"`
	Done     int        `json:"done"`
	Cached   int        `json:"cached"`
	Present  int        `json:"present"`
	Failed   int        `json:"failed"`
	Started  time.Time  `json:"started"`
	Finished *time.Time `json:"finished,omitempty"`
	Items    []Item     `json:"items"`
}

// reportTTL is how long a finished job's report can be read.
const reportTTL = 24 * time.Hour

// workers is how many items are fetched at once per job.
const workers = 4

// Runner starts jobs and answers for their reports.
type Runner struct {
	Engine Engine
	Store  Store
	Events Publisher
	Log    *slog.Logger
	// Base outlives requests: cancelling it stops running jobs.
	Base context.Context

	wg sync.WaitGroup
}

func key(id string) string { return "warm:" + id }

// Start reads file (its name says its kind; kind "paths" reads a list of
// paths whatever the type) for rem and starts the job.
func (r *Runner) Start(rem *registry.Remote, file, kind string, body io.Reader) (Report, error) {
	items, err := parse(rem, file, kind, body)
	if err != nil {
		return Report{}, err
	}
	if len(items) > 100000 {
		return Report{}, apierr.New(apierr.ErrInvalid, "%s names %d items; warm at most 100000 at once", file, len(items))
	}
	rep := Report{ID: uuid.NewString(), Remote: rem.Name, File: file, State: "running", Total: len(items), Started: time.Now().UTC()}
	for _, it := range items {
		rep.Items = append(rep.Items, Item{Name: it.Name, Status: Pending})
	}
	j := &job{r: r, rem: rem, items: items, rep: rep}
	rep.Items = slices.Clone(rep.Items) // the job's own copy changes as it runs
	if err := j.save(r.Base); err != nil {
		return Report{}, apierr.New(apierr.ErrUnavailable, "cannot keep the job's report: %v", err)
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		j.run(r.Base)
	}()
	return rep, nil
}

// Wait waits for running jobs (after Base was cancelled).
func (r *Runner) Wait() { r.wg.Wait() }

// Get reads a job's report.
func (r *Runner) Get(ctx context.Context, id string) (Report, error) {
	v, err := r.Store.Get(ctx, key(id))
	if err != nil {
		return Report{}, apierr.New(apierr.ErrNotFound, "no warming job %s (reports are kept a day)", id)
	}
	var rep Report
	if err := json.Unmarshal([]byte(v), &rep); err != nil {
		return Report{}, err
	}
	return rep, nil
}

// parse reads the file into items: the type's lockfile reader, or a list
// of paths.
func parse(rem *registry.Remote, file, kind string, body io.Reader) ([]format.WarmItem, error) {
	if w := rem.Type.Warmer; w != nil && kind != "paths" {
		return w.Warm(rem, file, body)
	}
	if kind != "" && kind != "paths" {
		return nil, apierr.New(apierr.ErrInvalid, "kind %q: package type %s reads only a list of paths (kind=paths)", kind, rem.Type.Name())
	}
	var items []format.WarmItem
	seen := map[string]bool{}
	sc := bufio.NewScanner(body)
	for sc.Scan() {
		p := strings.TrimPrefix(strings.TrimSpace(sc.Text()), "/")
		if p == "" || strings.HasPrefix(p, "#") || seen[p] {
			continue
		}
		seen[p] = true
		items = append(items, format.WarmItem{Name: p, Paths: []string{p}})
	}
	if err := sc.Err(); err != nil {
		return nil, apierr.New(apierr.ErrInvalid, "reading %s: %v", file, err)
	}
	if len(items) == 0 {
		return nil, apierr.New(apierr.ErrInvalid, "%s names nothing to warm", file)
	}
	return items, nil
}

// job is one running warm.
type job struct {
	r     *Runner
	rem   *registry.Remote
	items []format.WarmItem

	mu    sync.Mutex
	rep   Report
	saved time.Time
}

func (j *job) save(ctx context.Context) error {
	b, _ := json.Marshal(j.rep)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	return j.r.Store.Set(ctx, key(j.rep.ID), string(b), reportTTL)
}

func (j *job) run(ctx context.Context) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, len(j.items)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				j.finish(ctx, i, j.warm(ctx, j.items[i]))
			}
		}()
	}
	for i := range j.items {
		select {
		case next <- i:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(next)
	wg.Wait()
	j.mu.Lock()
	now := time.Now().UTC()
	j.rep.Finished, j.rep.State = &now, "done"
	if ctx.Err() != nil {
		j.rep.State = "cancelled"
	}
	rep := j.rep
	err := j.save(ctx)
	j.mu.Unlock()
	if err != nil {
		j.r.Log.Error("warming report not kept", "job", rep.ID, "err", err)
	}
	j.r.Log.Info("warming finished", "job", rep.ID, "remote", rep.Remote, "file", rep.File, "cached", rep.Cached, "present", rep.Present, "failed", rep.Failed)
	j.publish(events.WarmFinished, rep)
}

// warm fetches one item's paths, then what they name.
func (j *job) warm(ctx context.Context, it format.WarmItem) Item {
	res := Item{Name: it.Name, Status: Present}
	open := func(p string) (io.ReadCloser, error) {
		obj, _, err := j.r.Engine.Warm(ctx, j.rem, p)
		if err != nil {
			return nil, err
		}
		return j.r.Engine.OpenObject(ctx, obj)
	}
	paths, then := it.Paths, it.Then
	for {
		for _, p := range paths {
			obj, outcome, err := j.r.Engine.Warm(ctx, j.rem, p)
			if err != nil {
				res.Status, res.Error = Failed, fmt.Sprintf("%s: %v", p, err)
				return res
			}
			res.Paths++
			res.Bytes += obj.Size
			if outcome == format.Miss {
				res.Status = Cached
			}
		}
		if then == nil {
			return res
		}
		var err error
		if paths, then, err = then(open); err != nil {
			res.Status, res.Error = Failed, err.Error()
			return res
		}
	}
}

func (j *job) finish(ctx context.Context, i int, it Item) {
	j.mu.Lock()
	j.rep.Items[i] = it
	j.rep.Done++
	switch it.Status {
	case Cached:
		j.rep.Cached++
	case Present:
		j.rep.Present++
	case Failed:
		j.rep.Failed++
	}
	rep := j.rep
	save := time.Since(j.saved) > 250*time.Millisecond
	if save {
		j.saved = time.Now()
		j.save(ctx)
	}
	j.mu.Unlock()
	if save {
		j.publish(events.WarmProgress, rep)
	}
}

func (j *job) publish(typ string, rep Report) {
	if j.r.Events == nil {
		return
	}
	j.r.Events.Publish(events.Event{Type: typ, Remote: rep.Remote, Path: rep.ID, Count: rep.Done, Size: int64(rep.Total), Error: failedText(rep)})
}

func failedText(rep Report) string {
	if rep.Failed == 0 {
		return ""
	}
	return fmt.Sprintf("%d of %d failed", rep.Failed, rep.Total)
}
