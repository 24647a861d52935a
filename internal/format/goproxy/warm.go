package goproxy

import (
	"bufio"
	"io"
	"path"
	"strings"

	"golang.org/x/mod/module"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/format"
)

// Warm implements format.Warmer: every module version of a go.sum, as
// its .mod (a "/go.mod" line: the build reads only that) or its .info,
// .mod and .zip (a line for the module's content).
func (Type) Warm(_ format.Remote, file string, r io.Reader) ([]format.WarmItem, error) {
	type want struct{ zip bool }
	wants := map[string]*want{}
	var order []string
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		n++
		if len(f) != 3 || !strings.HasPrefix(f[2], "h1:") {
			return nil, apierr.New(apierr.ErrInvalid, "goproxy: %s line %d is not \"module version h1:hash\"", path.Base(file), n)
		}
		v, modOnly := strings.CutSuffix(f[1], "/go.mod")
		if err := module.Check(f[0], v); err != nil {
			return nil, apierr.New(apierr.ErrInvalid, "goproxy: %s line %d: %v", path.Base(file), n, err)
		}
		key := f[0] + "@" + v
		w, ok := wants[key]
		if !ok {
			w = &want{}
			wants[key] = w
			order = append(order, key)
		}
		w.zip = w.zip || !modOnly
	}
	if err := sc.Err(); err != nil {
		return nil, apierr.New(apierr.ErrInvalid, "goproxy: reading %s: %v", path.Base(file), err)
	}
	if len(order) == 0 {
		return nil, apierr.New(apierr.ErrInvalid, "goproxy: %s names no module", path.Base(file))
	}
	items := make([]format.WarmItem, 0, len(order))
	for _, key := range order {
		mod, v, _ := strings.Cut(key, "@")
		em, _ := module.EscapePath(mod)
		ev, _ := module.EscapeVersion(v)
		base := em + "/@v/" + ev
		paths := []string{base + ".mod"}
		if wants[key].zip {
			paths = []string{base + ".info", base + ".mod", base + ".zip"}
		}
		items = append(items, format.WarmItem{Name: key, Paths: paths})
	}
	return items, nil
}
