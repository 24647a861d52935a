package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/egress"
	"github.com/artifactapi/artifactapi/internal/events"
	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/meta"
	"github.com/artifactapi/artifactapi/internal/registry"
)

// Defaults for fields a create body leaves out.
const (
	defaultMutableTTL = 3600
)

// remoteInput is a create or replace body's core fields; every other key
// is a setting of the remote's package type. Pointers tell "absent" from
// zero; absent credentials on replace keep the stored ones.
type remoteInput struct {
	Name              *string  `json:"name"`
	PackageType       *string  `json:"package_type"`
	BaseURL           *string  `json:"base_url"`
	ImmutableTTL      *int64   `json:"immutable_ttl"`
	MutableTTL        *int64   `json:"mutable_ttl"`
	NegativeTTL       *int64   `json:"negative_ttl"`
	Patterns          []string `json:"patterns"`
	Blocklist         []string `json:"blocklist"`
	MutablePatterns   []string `json:"mutable_patterns"`
	ImmutablePatterns []string `json:"immutable_patterns"`
	AllowedHosts      []string `json:"allowed_hosts"`
	AuthRequired      *bool    `json:"auth_required"`
	MaxSize           *int64   `json:"max_size"`
	UnusedDays        *int64   `json:"unused_days"`
	Username          *string  `json:"username"`
	Password          *string  `json:"password"`
	Token             *string  `json:"token"`

	settings map[string]json.RawMessage
}

// decodeRemote reads a create or replace body: the core fields strictly,
// every other key as a setting of some package type (Compile then checks
// it against the remote's own type). A key no type declares is a typo.
func (a *API) decodeRemote(r *http.Request) (remoteInput, error) {
	var all map[string]json.RawMessage
	if err := decode(r, &all); err != nil {
		return remoteInput{}, err
	}
	core := map[string]json.RawMessage{}
	settings := map[string]json.RawMessage{}
	for k, v := range all {
		switch {
		case meta.IsCoreField(k):
			core[k] = v
		case a.Registry.Types().Declares(k):
			settings[k] = v
		default:
			return remoteInput{}, apierr.New(apierr.ErrInvalid, "invalid JSON body: unknown field %q", k)
		}
	}
	b, _ := json.Marshal(core)
	var in remoteInput
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return remoteInput{}, apierr.New(apierr.ErrInvalid, "invalid JSON body: %v", err)
	}
	in.settings = settings
	return in, nil
}

// view is what the API returns of a remote: everything but the
// credentials, of which only their kind is shown, and every setting its
// type declares (at its zero value when unset).
func (a *API) view(r meta.Remote) map[string]json.RawMessage {
	auth := "none"
	switch {
	case r.Token != "":
		auth = "bearer"
	case r.Username != "" || r.Password != "":
		auth = "basic"
	}
	// auth_required shows what is in force, set or by default.
	required := r.AuthRequired != nil && *r.AuthRequired || r.AuthRequired == nil && auth != "none"
	r.AuthRequired = &required
	r.Username, r.Password, r.Token = "", "", ""
	for _, s := range []*[]string{&r.Patterns, &r.Blocklist, &r.MutablePatterns, &r.ImmutablePatterns, &r.AllowedHosts} {
		if *s == nil {
			*s = []string{}
		}
	}
	settings := map[string]json.RawMessage{}
	if t, ok := a.Registry.Types().Get(r.PackageType); ok && t.Settings != nil {
		for _, f := range t.Settings.Fields() {
			v, set := r.Settings[f.Name]
			if !set || string(v) == "null" {
				v = format.ZeroSetting(f.Kind)
			}
			settings[f.Name] = v
		}
	}
	r.Settings = settings
	b, _ := json.Marshal(r)
	var out map[string]json.RawMessage
	json.Unmarshal(b, &out)
	out["auth"], _ = json.Marshal(auth)
	return out
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// build turns input into a remote; old carries credentials over on replace.
func (in remoteInput) build(old *meta.Remote) meta.Remote {
	r := meta.Remote{Name: str(in.Name), PackageType: str(in.PackageType), BaseURL: str(in.BaseURL),
		MutableTTL: defaultMutableTTL, NegativeTTL: registry.DefaultNegativeTTL,
		Patterns: in.Patterns, Blocklist: in.Blocklist, MutablePatterns: in.MutablePatterns,
		ImmutablePatterns: in.ImmutablePatterns, AllowedHosts: in.AllowedHosts, AuthRequired: in.AuthRequired, Settings: in.settings}
	if in.ImmutableTTL != nil {
		r.ImmutableTTL = *in.ImmutableTTL
	}
	if in.MutableTTL != nil {
		r.MutableTTL = *in.MutableTTL
	}
	if in.NegativeTTL != nil {
		r.NegativeTTL = *in.NegativeTTL
	}
	if in.MaxSize != nil {
		r.MaxSize = *in.MaxSize
	}
	if in.UnusedDays != nil {
		r.UnusedDays = *in.UnusedDays
	}
	if old != nil && sameOrigin(old.BaseURL, r.BaseURL) {
		// Stored credentials stay with the server they were given for: a
		// base_url on another origin gets only credentials given with it.
		r.Username, r.Password, r.Token = old.Username, old.Password, old.Token
	}
	for src, dst := range map[*string]*string{in.Username: &r.Username, in.Password: &r.Password, in.Token: &r.Token} {
		if src != nil {
			*dst = *src
		}
	}
	return r
}

func sameOrigin(a, b string) bool {
	ua, errA := url.Parse(a)
	ub, errB := url.Parse(b)
	return errA == nil && errB == nil && egress.Origin(ua) == egress.Origin(ub)
}

func (a *API) validate(r meta.Remote) error {
	for field, v := range map[string]string{"name": r.Name, "package_type": r.PackageType, "base_url": r.BaseURL} {
		if v == "" {
			return apierr.New(apierr.ErrInvalid, "%s is required", field)
		}
	}
	_, err := registry.Compile(r, a.Registry.Types())
	return err
}

func (a *API) listRemotes(w http.ResponseWriter, r *http.Request) {
	rs, err := a.Store.ListRemotes(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := make([]map[string]json.RawMessage, 0, len(rs))
	for _, x := range rs {
		out = append(out, a.view(x))
	}
	writeJSON(w, http.StatusOK, map[string]any{"remotes": out})
}

func (a *API) createRemote(w http.ResponseWriter, r *http.Request) {
	in, err := a.decodeRemote(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	rem := in.build(nil)
	auditTarget(r, rem.Name)
	if err := a.validate(rem); err != nil {
		a.fail(w, r, err)
		return
	}
	if _, taken := a.Registry.Virtual(rem.Name); taken {
		a.fail(w, r, apierr.New(apierr.ErrConflict, "name %q is taken by a virtual repository", rem.Name))
		return
	}
	if err := a.Store.CreateRemote(r.Context(), rem); err != nil {
		a.fail(w, r, conflictAs(err, "remote", rem.Name))
		return
	}
	a.changed(r, events.RemoteCreated, rem.Name)
	a.respondRemote(w, r, rem.Name, http.StatusCreated)
}

func (a *API) respondRemote(w http.ResponseWriter, r *http.Request, name string, status int) {
	rem, err := a.Store.GetRemote(r.Context(), name)
	if err != nil {
		a.fail(w, r, notFoundAs(err, "remote", name))
		return
	}
	writeJSON(w, status, a.view(rem))
}

func (a *API) getRemote(w http.ResponseWriter, r *http.Request) {
	a.respondRemote(w, r, r.PathValue("name"), http.StatusOK)
}

func (a *API) putRemote(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	in, err := a.decodeRemote(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if in.Name != nil && *in.Name != name {
		a.fail(w, r, apierr.New(apierr.ErrInvalid, "body name %q differs from the URL's %q; a remote cannot be renamed", *in.Name, name))
		return
	}
	in.Name = &name
	old, err := a.Store.GetRemote(r.Context(), name)
	if err != nil {
		a.fail(w, r, notFoundAs(err, "remote", name))
		return
	}
	rem := in.build(&old)
	if err := a.validate(rem); err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.Store.UpdateRemote(r.Context(), rem); err != nil {
		a.fail(w, r, notFoundAs(err, "remote", name))
		return
	}
	a.changed(r, events.RemoteUpdated, name)
	a.respondRemote(w, r, name, http.StatusOK)
}

// deleteRemote removes the remote and evicts its cache: its objects are
// reachable only through it.
func (a *API) deleteRemote(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := a.Store.DeleteRemote(r.Context(), name); err != nil {
		a.fail(w, r, notFoundAs(err, "remote", name))
		return
	}
	a.changed(r, events.RemoteDeleted, name)
	if _, err := a.Engine.Evict(r.Context(), name, "", ""); err != nil {
		a.Log.Error("cache of deleted remote not evicted", "remote", name, "err", err)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) changed(r *http.Request, typ, name string) {
	if err := a.Registry.Changed(r.Context()); err != nil {
		a.Log.Error("config reload failed", "err", err)
	}
	a.Events.Publish(events.Event{Type: typ, Remote: name})
}
