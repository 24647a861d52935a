package apt

import (
	"bufio"
	"errors"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/artifactapi/artifactapi/internal/blob"
	"github.com/artifactapi/artifactapi/internal/format/compress"
)

// maxPackages bounds what one Packages index may list: Debian's largest
// (main, amd64) has under 70,000 entries, and the map is kept in memory.
const maxPackages = 1 << 20

// packageIndexes are the cached indexes that may list a package in the
// pool, as globs over the suites (the pool path does not name its suite):
// its component's Packages for its architecture (every architecture for
// an "all" package), by name or by hash. Newest first is up to the engine.
func packageIndexes(p string) []string {
	rest, _ := strings.CutPrefix(p, "pool/")
	comp, _, ok := strings.Cut(rest, "/")
	base := path.Base(p)
	ext := path.Ext(base)
	if !ok || comp == "" || (ext != ".deb" && ext != ".udeb" && ext != ".ddeb") {
		return nil
	}
	fields := strings.Split(strings.TrimSuffix(base, ext), "_")
	arch := fields[len(fields)-1]
	if len(fields) < 3 || arch == "" || strings.ContainsAny(arch, "*?[\\") || strings.ContainsAny(comp, "*?[\\") {
		return nil
	}
	if arch == "all" {
		arch = "*"
	}
	dir := "dists/*/" + comp + "/binary-" + arch
	if ext == ".udeb" {
		dir = "dists/*/" + comp + "/debian-installer/binary-" + arch
	}
	return []string{dir + "/by-hash/SHA256/*", dir + "/Packages.xz", dir + "/Packages.gz", dir + "/Packages"}
}

// packagesDigests reads a Packages index (compressed or not: a by-hash
// file has no suffix to tell) into the pool files it lists, with their
// SHA256 and size. Anything else (the small per-architecture Release that
// shares the by-hash folder) lists nothing.
func packagesDigests(r io.Reader) (map[string]blob.Expect, error) {
	rc, err := compress.Reader(r)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	out := map[string]blob.Expect{}
	var file, sha string
	size := int64(-1)
	flush := func() error {
		if file != "" && sha != "" && size >= 0 {
			if len(out) >= maxPackages {
				return errors.New("too many packages")
			}
			out[file] = blob.Expect{SHA256: strings.ToLower(sha), Size: size}
		}
		file, sha, size = "", "", -1
		return nil
	}
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 64<<10), 4<<20) // a Description can be long
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if err := flush(); err != nil {
				return out, err
			}
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || line[0] == ' ' || line[0] == '\t' {
			continue
		}
		v = strings.TrimSpace(v)
		switch k {
		case "Filename":
			if f := path.Clean(v); strings.HasPrefix(f, "pool/") && !strings.Contains(f, "..") {
				file = f
			}
		case "SHA256":
			sha = v
		case "Size":
			if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
				size = n
			}
		}
	}
	if err := flush(); err != nil {
		return out, err
	}
	return out, sc.Err()
}
