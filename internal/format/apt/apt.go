// Package apt is the Debian/Ubuntu repository package type: a suite's
// InRelease/Release and its indices by name change, and are revalidated;
// by-hash indices and everything under pool/ never change. Indices are
// verified against the sha256 and size the cached Release publishes,
// by-hash files against their own name, packages in the pool against the
// cached Packages index that lists them. Releases are signed by their
// publishers and passed byte for byte, so virtual repositories never merge
// them: the first member that has a path answers.
package apt

import (
	"net/http"
	"strings"

	"github.com/artifactapi/artifactapi/internal/apierr"
	"github.com/artifactapi/artifactapi/internal/blob"
	"github.com/artifactapi/artifactapi/internal/format"
)

// Type is the apt package type.
type Type struct{}

// Name implements format.Type.
func (Type) Name() string { return "apt" }

// suite splits "dists/{suite}/{rest}" (the suite may have a slash, as
// "stable/updates" did); ok is false outside dists/.
func suite(p string) (dir, rest string, ok bool) {
	after, found := strings.CutPrefix(p, "dists/")
	if !found {
		return "", "", false
	}
	// The Release of a suite sits directly in its directory: the suite
	// is the first segment, unless the second is a release file itself.
	name, rest, found := strings.Cut(after, "/")
	if !found || name == "" {
		return "", "", false
	}
	return "dists/" + name + "/", rest, true
}

var releaseFiles = map[string]bool{"InRelease": true, "Release": true, "Release.gpg": true}

// byHash returns the algorithm and hex of ".../by-hash/{ALG}/{hex}".
func byHash(p string) (alg, hexd string, ok bool) {
	i := strings.LastIndex(p, "/by-hash/")
	if i < 0 {
		return "", "", false
	}
	alg, hexd, ok = strings.Cut(p[i+len("/by-hash/"):], "/")
	alg = map[string]string{"SHA256": "sha256", "SHA512": "sha512", "SHA1": "sha1", "MD5Sum": "md5"}[alg]
	return alg, hexd, ok && alg != "" && hexd != "" && !strings.Contains(hexd, "/")
}

// Classify implements format.Type.
func (Type) Classify(p string) (format.Class, error) {
	if strings.HasPrefix(p, "pool/") {
		// Checked against its cached Packages entry when there is one;
		// apt checks it against the same entry anyway.
		return format.Class{Kind: format.Artifact, ListedIn: packageIndexes(p)}, nil
	}
	dir, rest, ok := suite(p)
	switch {
	case !ok:
		// Flat repositories and the odd top-level file (README,
		// ls-lR.gz): fetched as they are, and revalidated.
		return format.Class{Kind: format.Other, Mutable: true}, nil
	case releaseFiles[rest]:
		return format.Class{Kind: format.Index, Mutable: true}, nil
	}
	if _, _, ok := byHash(p); ok {
		return format.Class{Kind: format.Artifact}, nil
	}
	if rest == "" {
		return format.Class{}, apierr.New(apierr.ErrNotFound, "apt: %s is a directory", p)
	}
	// An index by name: listed in its suite's Release.
	return format.Class{Kind: format.Artifact, Mutable: true, ListedIn: []string{dir + "InRelease", dir + "Release"}}, nil
}

// Expect implements format.Verifier: a by-hash file is named by its
// digest.
func (Type) Expect(p string, _ http.Header) (blob.Expect, bool) {
	alg, hexd, ok := byHash(p)
	if !ok {
		return blob.Expect{}, false
	}
	if alg == "sha256" {
		return blob.Expect{SHA256: strings.ToLower(hexd), Size: -1}, true
	}
	return blob.Expect{Size: -1, Sums: []blob.Sum{{Alg: alg, Hex: hexd}}}, true
}
