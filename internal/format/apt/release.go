package apt

import (
	"bufio"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/artifactapi/artifactapi/internal/blob"
)

// Digests implements format.Published: for an (In)Release, the files it
// lists; for a Packages index (by name or by hash), the pool files it lists.
func (Type) Digests(index string, r io.Reader) (map[string]blob.Expect, error) {
	if releaseFiles[path.Base(index)] {
		return releaseDigests(index, r)
	}
	return packagesDigests(r)
}

// releaseDigests reads the files a (In)Release lists, by their path
// relative to the remote, with their SHA256 and size (SHA512 too when
// published). The clear-signed wrapper of an InRelease is skipped; nothing
// here checks signatures: apt does, on bytes passed through unchanged.
func releaseDigests(index string, r io.Reader) (map[string]blob.Expect, error) {
	dir := path.Dir(index) + "/"
	out := map[string]blob.Expect{}
	section := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "-----BEGIN PGP SIGNATURE") {
			break
		}
		if line == "" || (line[0] != ' ' && line[0] != '\t') {
			section, _, _ = strings.Cut(line, ":")
			continue
		}
		if section != "SHA256" && section != "SHA512" {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		size, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil || size < 0 || strings.Contains(f[2], "..") {
			continue
		}
		e, seen := out[dir+f[2]]
		if !seen {
			e = blob.Expect{Size: size}
		}
		if section == "SHA256" {
			e.SHA256 = strings.ToLower(f[0])
		} else {
			e.Sums = append(e.Sums, blob.Sum{Alg: "sha512", Hex: f[0]})
		}
		out[dir+f[2]] = e
	}
	return out, sc.Err()
}
