package format

import "io"

// WarmItem is one thing a lockfile names (a package version, an image):
// the paths to fetch for it, in order, and, when the rest can only be
// known from what was fetched (a version's files on its PyPI page, an
// image's layers in its manifest), Then to name them.
type WarmItem struct {
	Name  string
	Paths []string
	Then  WarmThen
}

// WarmThen reads the remote's documents already fetched for an item
// (open fills any it is asked for) and names the next paths, with the step
// after them if there is one.
type WarmThen func(open func(path string) (io.ReadCloser, error)) (paths []string, next WarmThen, err error)

// Warmer is implemented by types that read their ecosystem's lockfiles
// (package-lock.json, requirements.txt, go.sum, Chart.lock, a list of
// image references) into what to fetch ahead of need.
type Warmer interface {
	// Warm reads the lockfile called file (its base name says its kind)
	// for rem. An error names what is wrong with it.
	Warm(rem Remote, file string, r io.Reader) ([]WarmItem, error)
}
