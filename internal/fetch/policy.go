package fetch

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/format/release"
	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/registry"
)

// Policed is implemented by the settings of types that take a release
// policy (format.Releases).
type Policed interface{ ReleasePolicy() *release.Policy }

// policyOf is rem's release policy, nil when it has none.
func policyOf(rem *registry.Remote) *release.Policy {
	if rem.Type.Releases == nil {
		return nil
	}
	if p, ok := rem.Settings().(Policed); ok {
		return p.ReleasePolicy()
	}
	return nil
}

// filtered reports whether path on rem is served through its type's
// release filter.
func filtered(rem *registry.Remote, path string) bool {
	return policyOf(rem) != nil && rem.Type.Releases.Filtered(path)
}

// police refuses an artifact of a release rem's policy refuses: a direct
// URL must not get round what the documents hide. A release that cannot
// be dated (its document unreachable and not cached) is refused too: the
// policy is not known to hold.
func (e *Engine) police(ctx context.Context, rem *registry.Remote, path string) error {
	pol := policyOf(rem)
	if pol == nil {
		return nil
	}
	rel, ok := rem.Type.Releases.Release(path)
	if !ok {
		return nil
	}
	j := e.judge(ctx, rem, pol)
	published, err := j.published(rel)
	if err != nil {
		return apierr.New(apierr.ErrUnavailable, "%s: cannot date %s %s for the remote's min_age: %v", rem.Name, rel.Package, rel.Version, err)
	}
	if v := pol.Decide(rel.Package, rel.Version, published, j.now); v.Refused {
		return apierr.New(apierr.ErrForbidden, "%s: release policy: %s", rem.Name, v.Reason)
	}
	return nil
}

// judge is a remote's policy at one moment, as a type's Filter asks it.
type judge struct {
	e   *Engine
	ctx context.Context
	rem *registry.Remote
	pol *release.Policy
	now time.Time
}

func (e *Engine) judge(ctx context.Context, rem *registry.Remote, pol *release.Policy) *judge {
	return &judge{e: e, ctx: context.WithoutCancel(ctx), rem: rem, pol: pol, now: time.Now()}
}

// Allow implements format.Judge. A release whose date cannot be read is
// shown (its artifacts are still refused by police until it can be).
func (j *judge) Allow(r format.Release) bool {
	published, err := j.published(r)
	if err != nil {
		j.e.Log.Warn("release policy: cannot date a release; shown", "remote", j.rem.Name, "package", r.Package, "version", r.Version, "err", err)
	}
	return !j.pol.Decide(r.Package, r.Version, published, j.now).Refused
}

// Open implements format.Judge.
func (j *judge) Open(path string) (io.ReadCloser, error) {
	obj, _, err := j.e.Ensure(j.ctx, j.rem, path)
	if err != nil {
		return nil, err
	}
	return j.e.OpenObject(j.ctx, obj)
}

// published is when r was published, from r itself or the first of its
// dating documents that has it; zero when none does.
func (j *judge) published(r format.Release) (time.Time, error) {
	if !r.Published.IsZero() || !j.pol.Dated(r.Package) {
		return r.Published, nil
	}
	var firstErr error
	for _, doc := range r.DatedIn {
		dates, err := j.datesOf(doc)
		if err != nil {
			if apierr.Status(err) != http.StatusNotFound && firstErr == nil {
				firstErr = err
			}
			continue
		}
		if t, ok := dates[r.Key]; ok {
			return t, nil
		}
	}
	return time.Time{}, firstErr
}

func (j *judge) datesOf(doc string) (map[string]time.Time, error) {
	obj, _, err := j.e.Ensure(j.ctx, j.rem, doc)
	if err != nil {
		return nil, err
	}
	key := j.rem.Name + "\x00" + doc + "\x00" + obj.SHA256
	if m, ok := j.e.dates.get(key); ok {
		return m, nil
	}
	v, err, _ := j.e.dates.parsing.Do(key, func() (any, error) {
		rc, err := j.e.OpenObject(j.ctx, obj)
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		m, err := j.rem.Type.Releases.Dates(doc, rc)
		if err == nil {
			j.e.dates.put(key, m)
		}
		return m, err
	})
	m, _ := v.(map[string]time.Time)
	return m, err
}

// serveFiltered answers a stored document through the type's release
// filter (and its Presenter, when it has one). What is hidden depends on
// the time, so the answer carries no validator; a rendering is kept for
// up to a minute, which is how late a version that aged in may show. A
// Filter may refuse the whole document (no version left to answer), which
// must be an error status, not a cut 200: the rendering is whole before
// anything is sent.
func (e *Engine) serveFiltered(w http.ResponseWriter, r *http.Request, rem *registry.Remote, obj meta.Object, cache format.Outcome, self string) error {
	pol := policyOf(rem)
	key := "filter\x00" + rem.Name + "\x00" + obj.Path + "\x00" + obj.SHA256 + "\x00" + self + "\x00" + FilterKey(rem, obj.Path)
	h := w.Header()
	setContentType(h, obj)
	h.Set("X-Cache", string(cache))
	h.Set("X-Artifact-Source", "cache")
	h.Set("Cache-Control", "no-cache")
	gz := compressible(obj)
	if gz {
		varyEncoding(h)
		if data, f, size, ok := e.gzipped(r, key); ok {
			sendGzipped(w, r, "", data, f, size)
			return nil
		}
	}
	data, file, size, ok := e.kept(key)
	if !ok {
		var err error
		data, file, size, err = e.renderKept(key, func(dst io.Writer) error {
			return e.renderFiltered(r.Context(), rem, pol, obj, self, dst)
		})
		if err != nil {
			return err
		}
	}
	sendKept(w, r, data, file, size)
	if gz && earnsGzip(r, cache) {
		e.gzipLater(key, obj.Size, e.keptSource(key))
	}
	return nil
}

// renderFiltered writes the filtered (and presented) document to dst.
func (e *Engine) renderFiltered(ctx context.Context, rem *registry.Remote, pol *release.Policy, obj meta.Object, self string, dst io.Writer) error {
	rc, err := e.FilterOpen(ctx, rem, obj, self)
	if err != nil {
		return err
	}
	defer rc.Close()
	if _, err := io.Copy(dst, rc); err != nil {
		if errors.Is(err, ErrBlobMissing) || apierr.Status(err) < 500 {
			return err
		}
		e.Log.Error("filtering a stored document failed", "remote", rem.Name, "path", obj.Path, "err", err)
		return apierr.New(apierr.ErrUnavailable, "%s: filtering %s failed", rem.Name, obj.Path)
	}
	return nil
}

// FilterOpen reads obj as rem's clients see it: through its type's release
// filter when rem has a policy and obj is a document it filters, then its
// Presenter for self when self is set. A virtual's merge reads its
// members' documents this way.
func (e *Engine) FilterOpen(ctx context.Context, rem *registry.Remote, obj meta.Object, self string) (io.ReadCloser, error) {
	ctx = context.WithoutCancel(ctx) // a stage outlives no reader: closing the pipe ends it
	var src io.ReadCloser
	if filtered(rem, obj.Path) {
		j := e.judge(ctx, rem, policyOf(rem))
		doc := func() (io.ReadCloser, error) { return e.OpenObject(ctx, obj) }
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(rem.Type.Releases.Filter(obj.Path, doc, pw, j)) }()
		src = pr
	} else {
		rc, err := e.OpenObject(ctx, obj)
		if err != nil {
			return nil, err
		}
		src = rc
	}
	if p := rem.Type.Presenter; p != nil && self != "" {
		in := src
		pr, pw := io.Pipe()
		go func() {
			err := p.Present(obj.Path, self, in, pw)
			in.Close()
			pw.CloseWithError(err)
		}()
		src = pr
	}
	return src, nil
}

// FilterKey is what a rendering of path on rem depends on beyond the
// stored bytes: the policy and the minute ("" when it is not filtered).
func FilterKey(rem *registry.Remote, path string) string {
	if !filtered(rem, path) {
		return ""
	}
	return policyOf(rem).String() + "\x00" + strconv.FormatInt(time.Now().Truncate(time.Minute).Unix(), 10)
}

// Warm fetches path on rem as a client's request would, the release
// policy included, without serving it (a warming job).
func (e *Engine) Warm(ctx context.Context, rem *registry.Remote, path string) (meta.Object, format.Outcome, error) {
	if _, err := rem.Classify(path); err != nil {
		return meta.Object{}, format.Bypass, err
	}
	if err := e.police(ctx, rem, path); err != nil {
		return meta.Object{}, format.Bypass, err
	}
	return e.Ensure(ctx, rem, path)
}
