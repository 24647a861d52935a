package docker

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/meta"
)

// Routes implements format.FrontEnd: the Registry HTTP API v2 (pulls) at
// /v2/{name}/..., where name is a docker remote or virtual.
func (Type) Routes(host format.Host) []format.Route {
	return []format.Route{{Prefix: "/v2/", Handler: &frontEnd{host: host}}}
}

type frontEnd struct {
	host format.Host
	// owners remembers which member of a virtual served a repository's
	// manifest, so its blobs come from the same member (per replica;
	// another replica finds them by member order).
	owners sync.Map
}

func (f *frontEnd) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Docker-Distribution-API-Version", "registry/2.0")
	if r.URL.Path == "/v2/" || r.URL.Path == "/v2" {
		// The version check: 200 for anonymous pulls, unless a repository
		// needs a token and none came: clients learn the challenge here and
		// send their credentials with every request after.
		if err := f.host.Authenticate(w, r); err != nil {
			writeError(w, r, err)
			return
		}
		h.Set("Content-Type", "application/json")
		w.Write([]byte("{}"))
		return
	}
	f.host.Proxy(w, r, "/v2/", writeError, func(x format.Exchange, name, path string) error {
		ref, perr := Parse(path)
		if perr != nil {
			return perr
		}
		// The repository as the client named it: tag lists answer with it.
		ref.client = name + "/" + ref.Repo
		if rem, ok := f.host.Remote(name); ok {
			return f.from(x, r, rem, ref)
		}
		if members, ok := f.host.Virtual(name); ok {
			return f.virtual(x, r, name, members, ref)
		}
		x.Attribute("", path)
		return &ErrCode{Code: "NAME_UNKNOWN", Message: "no docker remote or virtual named " + name}
	})
}

// from answers ref from one remote.
func (f *frontEnd) from(x format.Exchange, r *http.Request, rem format.Remote, ref Ref) error {
	if IsHub(rem.BaseURL().Host) && !strings.Contains(ref.Repo, "/") {
		ref.Repo = "library/" + ref.Repo
	}
	if s, _ := rem.Settings().(*Settings); ref.IsTag() && s.Banned(ref.Ref) {
		return &ErrCode{Code: "DENIED", Message: "tag " + ref.Ref + " is banned on remote " + rem.RemoteName() + "; pull by another tag or by digest"}
	}
	path := ref.Path()
	x.Attribute(rem.RemoteName(), path)
	switch {
	case ref.Kind == Referrers:
		return f.referrers(x, r, rem, ref)
	case ref.Kind == Blob:
		x.Header().Set("Docker-Content-Digest", ref.Ref)
		return f.host.Serve(x, r, rem, path)
	}
	for attempt := 0; ; attempt++ {
		obj, cache, err := f.host.Ensure(r.Context(), rem, path)
		if err != nil {
			return err
		}
		if ref.Kind == Tags {
			return f.tags(x, r, obj, cache, ref.client)
		}
		if ref.Kind == Manifest {
			x.Header().Add("Vary", "Accept")
			if !Accepts(r.Header.Values("Accept"), obj.ContentType) {
				// Cached in a form this client cannot read: ask upstream in
				// the client's terms and do not cache that answer.
				return f.relay(x, r, rem, ref, http.Header{"Accept": r.Header.Values("Accept")})
			}
			x.Header().Set("Docker-Content-Digest", "sha256:"+obj.SHA256)
		}
		err = f.host.ServeObject(x, r, rem, obj, cache)
		if !errors.Is(err, format.ErrBlobMissing) || attempt > 0 {
			return err
		}
	}
}

// relay passes one request through uncached: a manifest in a media type
// the cached copy is not, or a page of a paginated tag list (whose Link
// header is rewritten to come back here).
func (f *frontEnd) relay(x format.Exchange, r *http.Request, rem format.Remote, ref Ref, hdr http.Header) error {
	if err := rem.Allowed(ref.Path()); err != nil {
		return err
	}
	resp, err := f.host.Upstream(r.Context(), r.Method, rem, ref.Path(), r.URL.RawQuery, hdr)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	name := rem.RemoteName()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		return apierr.New(apierr.ErrNotFound, "%s: %s not found upstream", name, ref.Path())
	case http.StatusTooManyRequests:
		return apierr.New(apierr.ErrRateLimited, "%s: upstream rate limit", name)
	case http.StatusUnauthorized, http.StatusForbidden:
		return apierr.New(apierr.ErrUpstreamDenied, "%s: upstream answered %s", name, resp.Status)
	default:
		return apierr.New(apierr.ErrUpstream, "%s: upstream answered %s", name, resp.Status)
	}
	h := x.Header()
	for _, k := range []string{"Content-Type", "Content-Length", "Docker-Content-Digest"} {
		if v := resp.Header.Get(k); v != "" {
			h.Set(k, v)
		}
	}
	if link := resp.Header.Get("Link"); link != "" {
		h.Set("Link", rewriteLink(link, strings.TrimPrefix(r.URL.Path, "/v2/")))
	}
	h.Set("X-Cache", string(format.Bypass))
	h.Set("X-Artifact-Source", "remote")
	x.Answered(format.Bypass)
	x.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		io.Copy(x, resp.Body)
	}
	return nil
}

// tags answers a cached tag list under the repository name the client
// asked for (the upstream's may differ: a remote's or virtual's prefix,
// Docker Hub's library/).
func (f *frontEnd) tags(x format.Exchange, r *http.Request, obj meta.Object, cache format.Outcome, client string) error {
	rc, err := f.host.Open(r.Context(), obj)
	if err != nil {
		return apierr.New(apierr.ErrUnavailable, "blob store unavailable")
	}
	defer rc.Close()
	x.Header().Set("X-Cache", string(cache))
	x.Header().Set("X-Artifact-Source", "cache")
	x.Answered(cache)
	return writeTags(x, r, rc, client)
}

// writeTags writes the tag list in src with its name replaced, paged as
// the request asks (n, last): the whole list is cached once and every page
// is cut from it, whether or not the upstream pages itself.
func writeTags(w http.ResponseWriter, r *http.Request, src io.Reader, client string) error {
	var list struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}
	if err := json.NewDecoder(io.LimitReader(src, 16<<20)).Decode(&list); err != nil {
		return apierr.New(apierr.ErrUpstream, "tag list of %s is not JSON: %v", client, err)
	}
	list.Name = client
	tags, next := page(list.Tags, r.URL.Query())
	list.Tags = tags
	b, _ := json.Marshal(list)
	h := w.Header()
	if next != "" {
		h.Set("Link", `</v2/`+client+`/tags/list?`+next+`>; rel="next"`)
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		w.Write(b)
	}
	return nil
}

// page cuts the lexically sorted tags after q's last, at most q's n of
// them, and says the query of the next page when one follows.
func page(tags []string, q url.Values) ([]string, string) {
	sorted := slices.Clone(tags)
	slices.Sort(sorted)
	if last := q.Get("last"); last != "" {
		i, _ := slices.BinarySearch(sorted, last)
		for i < len(sorted) && sorted[i] <= last {
			i++
		}
		sorted = sorted[i:]
	}
	n, err := strconv.Atoi(q.Get("n"))
	if err != nil || n < 0 || n >= len(sorted) {
		return append([]string{}, sorted...), ""
	}
	out := sorted[:n]
	if n == 0 {
		return []string{}, ""
	}
	return out, url.Values{"n": {q.Get("n")}, "last": {out[n-1]}}.Encode()
}

// rewriteLink turns the upstream's `</v2/{repo}/tags/list?last=x&n=y>;
// rel="next"` into the same query on this server's path.
func rewriteLink(link, clientPath string) string {
	start, end := strings.Index(link, "<"), strings.Index(link, ">")
	if start < 0 || end < start {
		return ""
	}
	u, err := url.Parse(link[start+1 : end])
	if err != nil {
		return ""
	}
	return `</v2/` + clientPath + `?` + u.RawQuery + `>` + link[end+1:]
}

// virtual answers from the first member that has the manifest; a
// repository's blobs then come from the member its manifest came from.
func (f *frontEnd) virtual(x format.Exchange, r *http.Request, name string, members []string, ref Ref) error {
	key := name + "\x00" + ref.Repo
	if ref.Kind == Blob {
		if m, ok := f.owners.Load(key); ok {
			if rem, ok := f.host.Remote(m.(string)); ok {
				return f.from(x, r, rem, ref)
			}
		}
	}
	return f.host.FirstOf(x, name, ref.Path(), members, func(rem format.Remote) error {
		x.Header().Del("Docker-Content-Digest")
		err := f.from(x, r, rem, ref)
		if err == nil && ref.Kind == Manifest {
			f.owners.Store(key, rem.RemoteName())
		}
		return err
	})
}
