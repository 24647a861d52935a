package docker

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/format"
)

// IndexType is the OCI image index media type: what a referrers list is.
const IndexType = "application/vnd.oci.image.index.v1+json"

// referrersMax bounds a referrers list read into memory (descriptors of a
// few hundred bytes each).
const referrersMax = 4 << 20

// referrers answers the OCI 1.1 referrers list of a manifest: the
// upstream's own answer when it implements the API, otherwise the index
// the referrers tag schema keeps under the tag sha256-{hex} (what clients
// push to registries without the API: CNCF distribution 2.8, older
// Harbor), and an empty list when neither exists. Both are cached as
// mutable; the manifests and blobs they list are pulled, verified and
// cached like any other. artifactType filters the list here, from the
// whole cached copy.
func (f *frontEnd) referrers(x format.Exchange, r *http.Request, rem format.Remote, ref Ref) error {
	ctx := r.Context()
	x.Attribute(rem.RemoteName(), ref.Path())
	obj, cache, err := f.host.Ensure(ctx, rem, ref.Path())
	if err != nil {
		// No API upstream (404), or the upstream is down and only the
		// tag schema's index is cached: the tag answers.
		tag := Ref{Repo: ref.Repo, Kind: Manifest, Ref: "sha256-" + ref.Digest}
		tagObj, tagCache, terr := f.host.Ensure(ctx, rem, tag.Path())
		switch {
		case terr == nil:
			obj, cache = tagObj, tagCache
		case apierr.Status(err) == http.StatusNotFound && apierr.Status(terr) == http.StatusNotFound:
			x.Answered(format.Miss)
			return writeReferrers(x, r, nil, format.Miss)
		case apierr.Status(err) == http.StatusNotFound:
			return terr
		default:
			return err
		}
	}
	rc, err := f.host.Open(ctx, obj)
	if err != nil {
		return apierr.New(apierr.ErrUnavailable, "blob store unavailable")
	}
	defer rc.Close()
	var idx struct {
		MediaType string            `json:"mediaType"`
		Manifests []json.RawMessage `json:"manifests"`
	}
	if err := json.NewDecoder(io.LimitReader(rc, referrersMax)).Decode(&idx); err != nil {
		return apierr.New(apierr.ErrUpstream, "%s: the referrers list of %s is not an image index: %v", rem.RemoteName(), ref.Ref, err)
	}
	if idx.MediaType != "" && idx.MediaType != IndexType {
		idx.Manifests = nil // a tag of that name that is not a referrers index
	}
	x.Answered(cache)
	return writeReferrers(x, r, idx.Manifests, cache)
}

// writeReferrers writes descriptors as an image index, keeping those of
// the artifactType asked for (and saying the filter was applied).
func writeReferrers(w http.ResponseWriter, r *http.Request, descs []json.RawMessage, cache format.Outcome) error {
	want := r.URL.Query().Get("artifactType")
	out := []json.RawMessage{}
	for _, d := range descs {
		var desc struct {
			ArtifactType string `json:"artifactType"`
		}
		if json.Unmarshal(d, &desc) != nil || want != "" && desc.ArtifactType != want {
			continue
		}
		out = append(out, d)
	}
	b, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": IndexType, "manifests": out})
	h := w.Header()
	if want != "" {
		h.Set("OCI-Filters-Applied", "artifactType")
	}
	h.Set("Content-Type", IndexType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("X-Cache", string(cache))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		w.Write(b)
	}
	return nil
}
