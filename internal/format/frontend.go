package format

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"

	"github.com/artifactapi/artifactapi/internal/meta"
)

// FrontEnd is implemented by types that answer routes of their own beside
// /api/v1/remote/ and /api/v1/virtual/ (docker's /v2/, a terraform
// registry's discovery document).
type FrontEnd interface {
	// Routes returns the type's routes, served over host, which knows
	// only the remotes and virtuals of this type.
	Routes(host Host) []Route
}

// Route is a path prefix a type answers: the prefix itself, the prefix
// without its trailing slash, and everything under it.
type Route struct {
	Prefix  string // "/v2/"
	Handler http.Handler
}

// Outcome is how the cache answered: the X-Cache value clients see and
// what the traffic record and metrics count.
type Outcome string

// Outcomes.
const (
	Hit         Outcome = "HIT"
	Miss        Outcome = "MISS"
	Stale       Outcome = "STALE"
	Revalidated Outcome = "REVALIDATED"
	Bypass      Outcome = "BYPASS"
)

// ErrBlobMissing: a committed object's bytes were gone when it was to be
// served (an eviction raced); its row is dropped, so asking again fills it
// anew.
var ErrBlobMissing = errors.New("metadata row without blob")

// ErrorWriter writes err in a route's protocol form.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, err error)

// Exchange is one proxied request: the response, and the record that the
// traffic record and metrics take of it.
type Exchange interface {
	http.ResponseWriter
	// Attribute names the remote and cache path the request is counted
	// against (a virtual's member that answered; "" for a name that is
	// neither remote nor virtual, kept out of metric labels).
	Attribute(remote, path string)
	// Answered records the outcome of a response written outside the
	// Host's Serve (a relayed, uncached answer).
	Answered(Outcome)
}

// Remote is a compiled remote as a type's own code sees it.
type Remote interface {
	RemoteName() string
	BaseURL() *url.URL
	// Settings is what the type's Configure returned for this remote.
	Settings() any
	// Allowed applies the remote's policy (and the type's Classify) to path.
	Allowed(path string) error
}

// Host is the narrow engine a front end works through.
type Host interface {
	// Proxy runs one request of a route as every proxy request runs: the
	// name and path after prefix checked (traversal, NUL bytes: 400), the
	// request recorded, methods other than GET and HEAD refused, and an
	// error returned by serve written by fail.
	Proxy(w http.ResponseWriter, r *http.Request, prefix string, fail ErrorWriter, serve func(x Exchange, name, path string) error)
	// Authenticate is for requests that name no repository (a registry's
	// version check): nil when no repository of this type needs a token or
	// r carries a valid one; otherwise the 401 to answer, whose challenge
	// it has set on w.
	Authenticate(w http.ResponseWriter, r *http.Request) error
	// Remote returns the remote called name if it is of this type.
	Remote(name string) (Remote, bool)
	// Virtual returns the members of the virtual called name if it is of
	// this type.
	Virtual(name string) (members []string, ok bool)
	// Serve answers r with path on rem: from cache, or filled once while
	// streaming. It returns an error only when nothing was written yet.
	Serve(x Exchange, r *http.Request, rem Remote, path string) error
	// Ensure returns the committed object for path, filling it first when
	// needed (for answers whose headers need the whole bytes).
	Ensure(ctx context.Context, rem Remote, path string) (meta.Object, Outcome, error)
	// Open reads a committed object's bytes (a document the type answers
	// with changes of its own).
	Open(ctx context.Context, obj meta.Object) (io.ReadCloser, error)
	// ServeObject answers r from a committed object; ErrBlobMissing means
	// Ensure again.
	ServeObject(x Exchange, r *http.Request, rem Remote, obj meta.Object, o Outcome) error
	// Upstream sends one uncached request for path (with rawQuery and the
	// extra headers) to rem's upstream; the caller relays and closes it.
	Upstream(ctx context.Context, method string, rem Remote, path, rawQuery string, hdr http.Header) (*http.Response, error)
	// FirstOf tries a virtual's members in order until try answers: a
	// member that lacks the path or refuses it falls through; when none
	// answers, the first other failure is the answer, else a 404.
	FirstOf(x Exchange, virtual, path string, members []string, try func(Remote) error) error
}
