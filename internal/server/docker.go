package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/fetch"
	"github.com/artifactapi/artifactapi/internal/format/docker"
	"github.com/artifactapi/artifactapi/internal/registry"
)

// serveDocker is the Registry HTTP API v2 (pulls) at /v2/{name}/...,
// where name is a docker remote or virtual.
func (s *Server) serveDocker(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Docker-Distribution-API-Version", "registry/2.0")
	if r.URL.Path == "/v2/" || r.URL.Path == "/v2" {
		// The version check: anonymous pulls, so 200 rather than a challenge.
		h.Set("Content-Type", "application/json")
		w.Write([]byte("{}"))
		return
	}
	s.proxy(w, r, "/v2/", writeDockerError, func(rec *respRecorder, name, path string) error {
		ref, perr := docker.Parse(path)
		if perr != nil {
			return perr
		}
		if rem, ok := s.reg.Remote(name); ok && rem.PackageType == "docker" {
			return s.dockerFrom(rec, r, rem, ref)
		}
		if v, ok := s.reg.Virtual(name); ok && v.PackageType == "docker" {
			return s.dockerVirtual(rec, r, name, v.Members, ref)
		}
		rec.remote = ""
		return &docker.ErrCode{Code: "NAME_UNKNOWN", Message: "no docker remote or virtual named " + name}
	})
}

// dockerFrom answers ref from one remote.
func (s *Server) dockerFrom(rec *respRecorder, r *http.Request, rem *registry.Remote, ref docker.Ref) error {
	if docker.IsHub(rem.Base.Host) && !strings.Contains(ref.Repo, "/") {
		ref.Repo = "library/" + ref.Repo
	}
	if ref.IsTag() && rem.BanTagsEnabled && rem.Banned(ref.Ref) {
		return &docker.ErrCode{Code: "DENIED", Message: "tag " + ref.Ref + " is banned on remote " + rem.Name + "; pull by another tag or by digest"}
	}
	path := ref.Path()
	rec.path = path
	switch {
	case ref.Kind == docker.Blob:
		rec.Header().Set("Docker-Content-Digest", ref.Ref)
		return s.engine.Serve(rec, r, rem, path)
	case ref.Kind == docker.Tags && r.URL.RawQuery != "":
		return s.dockerRelay(rec, r, rem, ref, http.Header{})
	}
	for attempt := 0; ; attempt++ {
		obj, cache, err := s.engine.Ensure(r.Context(), rem, path)
		if err != nil {
			return err
		}
		if ref.Kind == docker.Manifest {
			rec.Header().Add("Vary", "Accept")
			if !docker.Accepts(r.Header.Values("Accept"), obj.ContentType) {
				// Cached in a form this client cannot read: ask upstream in
				// the client's terms and do not cache that answer.
				return s.dockerRelay(rec, r, rem, ref, http.Header{"Accept": r.Header.Values("Accept")})
			}
			rec.Header().Set("Docker-Content-Digest", "sha256:"+obj.SHA256)
		}
		err = s.engine.ServeObject(rec, r, rem, obj, cache)
		if !errors.Is(err, fetch.ErrBlobMissing) || attempt > 0 {
			return err
		}
	}
}

// dockerRelay passes one request through uncached: a manifest in a media
// type the cached copy is not, or a page of a paginated tag list (whose Link
// header is rewritten to come back here).
func (s *Server) dockerRelay(rec *respRecorder, r *http.Request, rem *registry.Remote, ref docker.Ref, hdr http.Header) error {
	if err := rem.Allowed(ref.Path()); err != nil {
		return err
	}
	resp, err := s.engine.Upstream(r.Context(), r.Method, rem, ref.Path(), r.URL.RawQuery, hdr)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		return apierr.New(apierr.ErrNotFound, "%s: %s not found upstream", rem.Name, ref.Path())
	case http.StatusTooManyRequests:
		return apierr.New(apierr.ErrRateLimited, "%s: upstream rate limit", rem.Name)
	case http.StatusUnauthorized, http.StatusForbidden:
		return apierr.New(apierr.ErrUpstreamDenied, "%s: upstream answered %s", rem.Name, resp.Status)
	default:
		return apierr.New(apierr.ErrUpstream, "%s: upstream answered %s", rem.Name, resp.Status)
	}
	h := rec.Header()
	for _, k := range []string{"Content-Type", "Content-Length", "Docker-Content-Digest"} {
		if v := resp.Header.Get(k); v != "" {
			h.Set(k, v)
		}
	}
	if link := resp.Header.Get("Link"); link != "" {
		h.Set("Link", rewriteLink(link, strings.TrimPrefix(r.URL.Path, "/v2/")))
	}
	h.Set("X-Cache", "BYPASS")
	h.Set("X-Artifact-Source", "remote")
	rec.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		io.Copy(rec, resp.Body)
	}
	return nil
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

// dockerVirtual answers from the first member that has the manifest; a
// repository's blobs then come from the member its manifest came from.
func (s *Server) dockerVirtual(rec *respRecorder, r *http.Request, name string, members []string, ref docker.Ref) error {
	key := name + "\x00" + ref.Repo
	if ref.Kind == docker.Blob {
		if m, ok := s.dockerOwners.Load(key); ok {
			if rem, ok := s.reg.Remote(m.(string)); ok {
				rec.remote = rem.Name
				return s.dockerFrom(rec, r, rem, ref)
			}
		}
	}
	return s.firstOf(rec, name, ref.Path(), members, func(rem *registry.Remote) error {
		rec.Header().Del("Docker-Content-Digest")
		err := s.dockerFrom(rec, r, rem, ref)
		if err == nil && ref.Kind == docker.Manifest {
			s.dockerOwners.Store(key, rem.Name)
		}
		return err
	})
}

// writeDockerError writes err in the registry's JSON error form.
func writeDockerError(w http.ResponseWriter, r *http.Request, err error) {
	code, status, msg := "UNKNOWN", apierr.Status(err), apierr.Message(err)
	path := r.URL.Path
	var dc *docker.ErrCode
	switch {
	case r.Method != http.MethodGet && r.Method != http.MethodHead:
		code, status, msg = "UNSUPPORTED", http.StatusMethodNotAllowed, "this registry is a read-only pull-through cache"
	case errors.As(err, &dc):
		code, msg = dc.Code, dc.Message
		status = map[string]int{"NAME_UNKNOWN": 404, "DENIED": 403, "UNSUPPORTED": 405}[code]
		if status == 0 {
			status = http.StatusBadRequest
		}
	case status == http.StatusNotFound:
		code = "MANIFEST_UNKNOWN"
		if strings.Contains(path, "/blobs/") {
			code = "BLOB_UNKNOWN"
		} else if strings.HasSuffix(path, "/tags/list") {
			code = "NAME_UNKNOWN"
		}
	case status == http.StatusForbidden:
		code = "DENIED"
	case status == http.StatusTooManyRequests:
		code = "TOOMANYREQUESTS"
	case errors.Is(err, apierr.ErrUpstreamDenied):
		code, status = "DENIED", http.StatusForbidden
		msg += " (check the remote's credentials)"
	case status == http.StatusBadRequest:
		code = "NAME_INVALID"
	case status >= 500:
		code = "UNAVAILABLE"
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	body, _ := json.Marshal(map[string]any{"errors": []map[string]any{{"code": code, "message": msg, "detail": nil}}})
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}
