package api

import (
	"net/http"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/events"
	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/registry"
)

type virtualInput struct {
	Name        *string  `json:"name"`
	PackageType *string  `json:"package_type"`
	Members     []string `json:"members"`
}

// validateVirtual checks the name, the type, and that every member is an
// existing remote of that type, listed once.
func (a *API) validateVirtual(v meta.Virtual) error {
	if err := registry.ValidName(v.Name); err != nil {
		return err
	}
	if _, ok := a.Registry.Types().Get(v.PackageType); !ok {
		return apierr.New(apierr.ErrInvalid, "unknown package_type %q", v.PackageType)
	}
	if len(v.Members) == 0 {
		return apierr.New(apierr.ErrInvalid, "members: at least one remote is required")
	}
	seen := map[string]bool{}
	for _, m := range v.Members {
		if seen[m] {
			return apierr.New(apierr.ErrInvalid, "members: %q is listed twice", m)
		}
		seen[m] = true
		rem, ok := a.Registry.Remote(m)
		if !ok {
			return apierr.New(apierr.ErrInvalid, "members: remote %q does not exist", m)
		}
		if rem.PackageType != v.PackageType {
			return apierr.New(apierr.ErrInvalid, "members: remote %q is %s, not %s", m, rem.PackageType, v.PackageType)
		}
	}
	return nil
}

func (a *API) listVirtuals(w http.ResponseWriter, r *http.Request) {
	vs, err := a.Store.ListVirtuals(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"virtuals": vs})
}

func (a *API) createVirtual(w http.ResponseWriter, r *http.Request) {
	var in virtualInput
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	v := meta.Virtual{Name: str(in.Name), PackageType: str(in.PackageType), Members: in.Members}
	auditTarget(r, v.Name)
	if err := a.validateVirtual(v); err != nil {
		a.fail(w, r, err)
		return
	}
	if _, taken := a.Registry.Remote(v.Name); taken {
		a.fail(w, r, apierr.New(apierr.ErrConflict, "name %q is taken by a remote", v.Name))
		return
	}
	if err := a.Store.CreateVirtual(r.Context(), v); err != nil {
		a.fail(w, r, conflictAs(err, "virtual", v.Name))
		return
	}
	a.changed(r, events.VirtualChange, v.Name)
	a.respondVirtual(w, r, v.Name, http.StatusCreated)
}

func (a *API) respondVirtual(w http.ResponseWriter, r *http.Request, name string, status int) {
	v, err := a.Store.GetVirtual(r.Context(), name)
	if err != nil {
		a.fail(w, r, notFoundAs(err, "virtual", name))
		return
	}
	writeJSON(w, status, v)
}

func (a *API) getVirtual(w http.ResponseWriter, r *http.Request) {
	a.respondVirtual(w, r, r.PathValue("name"), http.StatusOK)
}

func (a *API) putVirtual(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var in virtualInput
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	if in.Name != nil && *in.Name != name {
		a.fail(w, r, apierr.New(apierr.ErrInvalid, "body name %q differs from the URL's %q", *in.Name, name))
		return
	}
	v := meta.Virtual{Name: name, PackageType: str(in.PackageType), Members: in.Members}
	if err := a.validateVirtual(v); err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.Store.UpdateVirtual(r.Context(), v); err != nil {
		a.fail(w, r, notFoundAs(err, "virtual", name))
		return
	}
	a.changed(r, events.VirtualChange, name)
	a.respondVirtual(w, r, name, http.StatusOK)
}

func (a *API) deleteVirtual(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := a.Store.DeleteVirtual(r.Context(), name); err != nil {
		a.fail(w, r, notFoundAs(err, "virtual", name))
		return
	}
	// Documents derived for the virtual (a merged index) go with it: the
	// name may be taken by a remote next.
	if _, err := a.Engine.Evict(r.Context(), name, "", ""); err != nil {
		a.Log.Warn("derived documents of a deleted virtual not evicted", "virtual", name, "err", err)
	}
	a.changed(r, events.VirtualChange, name)
	w.WriteHeader(http.StatusNoContent)
}
