package format

import (
	"io"
	"time"
)

// Release is one version of one package, as a type's paths and documents
// name it.
type Release struct {
	Package, Version string
	// Published is when it was published, when the document at hand says
	// so; otherwise DatedIn names the remote's documents whose Dates have
	// it under Key (the first that has it is believed).
	Published time.Time
	DatedIn   []string
	Key       string
}

// Releases is implemented by types whose documents date each version, so
// a remote's release policy (min_age, blocked_versions) applies: the
// documents clients resolve versions from are filtered as they are served,
// and the artifacts of a refused version are refused themselves.
type Releases interface {
	// Release names the release an artifact path belongs to; false for a
	// path of no one release (a document listing many).
	Release(path string) (Release, bool)
	// Dates reads a stored document: publish times by release Key.
	Dates(doc string, r io.Reader) (map[string]time.Time, error)
	// Filtered reports whether path is a document Filter applies to.
	Filtered(path string) bool
	// Filter streams the stored document at path to w without the
	// releases j refuses. doc reads the document (a filter may read it
	// more than once). An error before anything was written is the
	// answer (apierr kinds); after, the response is cut.
	Filter(path string, doc func() (io.ReadCloser, error), w io.Writer, j Judge) error
}

// Judge is a remote's release policy as a Filter sees it. Both methods are
// safe for concurrent use.
type Judge interface {
	// Allow reports whether clients may see and fetch r.
	Allow(r Release) bool
	// Open reads another of the remote's documents, filled when it is not
	// cached (goproxy's @latest falls back to @v/list).
	Open(path string) (io.ReadCloser, error)
}
