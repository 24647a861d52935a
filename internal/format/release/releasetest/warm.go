package releasetest

import (
	"io"

	"github.com/artifactapi/artifactapi/internal/format"
)

// WarmPaths runs items' steps against docs (what open reads) and returns
// every path each item names, by item name; a step's error is its value.
func WarmPaths(items []format.WarmItem, docs map[string][]byte) map[string][]string {
	j := &Judge{Docs: docs}
	out := map[string][]string{}
	for _, it := range items {
		paths := append([]string{}, it.Paths...)
		then := it.Then
		for then != nil {
			more, next, err := then(func(p string) (io.ReadCloser, error) { return j.Open(p) })
			if err != nil {
				paths = append(paths, "error: "+err.Error())
				break
			}
			paths, then = append(paths, more...), next
		}
		out[it.Name] = paths
	}
	return out
}
