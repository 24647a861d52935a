package api

import (
	"context"
	"io"
	"net/http"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/registry"
	"github.com/artifactapi/artifactapi/internal/warm"
)

// Warmer runs warming jobs.
type Warmer interface {
	Start(rem *registry.Remote, file, kind string, body io.Reader) (warm.Report, error)
	Get(ctx context.Context, id string) (warm.Report, error)
}

// maxWarmFile bounds a lockfile sent to be warmed.
const maxWarmFile = 32 << 20

// startWarm reads a lockfile (the body; ?file= names it, and its name
// says its kind) or a list of paths (?kind=paths) and starts fetching
// everything it names on ?remote=: 202 with the job's report.
func (a *API) startWarm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	name := q.Get("remote")
	rem, ok := a.Registry.Remote(name)
	if !ok {
		if _, virtual := a.Registry.Virtual(name); virtual {
			a.fail(w, r, apierr.New(apierr.ErrInvalid, "remote: %s is a virtual; warm one of its members", name))
			return
		}
		a.fail(w, r, apierr.New(apierr.ErrNotFound, "remote: no remote named %q", name))
		return
	}
	file := q.Get("file")
	if file == "" {
		file = "paths.txt"
	}
	body := http.MaxBytesReader(w, r.Body, maxWarmFile)
	rep, err := a.Warm.Start(rem, file, q.Get("kind"), body)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, rep)
}

func (a *API) getWarm(w http.ResponseWriter, r *http.Request) {
	rep, err := a.Warm.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}
