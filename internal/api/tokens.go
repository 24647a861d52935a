package api

import (
	"net/http"
	"time"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/pullauth"
	"github.com/artifactapi/artifactapi/internal/registry"
)

// createToken makes a named pull token; its secret is in this answer
// only.
func (a *API) createToken(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name      string     `json:"name"`
		Repos     []string   `json:"repos"`
		ExpiresAt *time.Time `json:"expires_at"`
	}
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	auditTarget(r, in.Name)
	if err := registry.ValidName(in.Name); err != nil {
		a.fail(w, r, err)
		return
	}
	for _, repo := range in.Repos {
		if err := registry.ValidName(repo); err != nil {
			a.fail(w, r, apierr.New(apierr.ErrInvalid, "repos: %v", err))
			return
		}
	}
	now := time.Now().UTC().Truncate(time.Second)
	tok := meta.Token{Name: in.Name, Repos: in.Repos, CreatedAt: now}
	if tok.Repos == nil {
		tok.Repos = []string{}
	}
	if in.ExpiresAt != nil {
		if !in.ExpiresAt.After(now) {
			a.fail(w, r, apierr.New(apierr.ErrInvalid, "expires_at: %s is not in the future", in.ExpiresAt.Format(time.RFC3339)))
			return
		}
		tok.ExpiresAt = in.ExpiresAt.UTC()
	}
	secret, hash, err := pullauth.NewSecret()
	if err != nil {
		a.fail(w, r, err)
		return
	}
	tok.Hash = hash
	if err := a.Store.CreateToken(r.Context(), tok); err != nil {
		a.fail(w, r, conflictAs(err, "token", tok.Name))
		return
	}
	writeJSON(w, http.StatusCreated, struct {
		meta.Token
		Secret string `json:"token"`
	}{tok, secret})
}

func (a *API) listTokens(w http.ResponseWriter, r *http.Request) {
	ts, err := a.Store.ListTokens(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": ts})
}

// deleteToken revokes a token: on this replica at once, on others within
// the pull cache's lifetime.
func (a *API) deleteToken(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := a.Store.DeleteToken(r.Context(), name); err != nil {
		a.fail(w, r, notFoundAs(err, "token", name))
		return
	}
	if a.Pull != nil {
		a.Pull.Forget()
	}
	w.WriteHeader(http.StatusNoContent)
}
