// Package alpine is the Alpine Linux repository package type (apk): a
// repository's APKINDEX.tar.gz changes, packages never do, and each
// package is verified against the index: its size, and the sha1 of its
// control segment (the C: field, which covers one gzip member of the
// package, not the whole file).
package alpine

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/artifactapi/artifactapi/internal/blob"
	"github.com/artifactapi/artifactapi/internal/format"
)

// Type is the alpine package type.
type Type struct{}

// Name implements format.Type.
func (Type) Name() string { return "alpine" }

const indexName = "APKINDEX.tar.gz"

// Classify implements format.Type.
func (Type) Classify(p string) (format.Class, error) {
	switch {
	case path.Base(p) == indexName:
		return format.Class{Kind: format.Index, Mutable: true}, nil
	case strings.HasSuffix(p, ".apk"):
		return format.Class{Kind: format.Artifact, ListedIn: []string{path.Join(path.Dir(p), indexName)}}, nil
	}
	// Keys, last-updated, and the like: fetched as they are, revalidated.
	return format.Class{Kind: format.Other, Mutable: true}, nil
}

// Digests implements format.Published: every package of the index, with
// its size and a check of its control segment.
func (Type) Digests(index string, r io.Reader) (map[string]blob.Expect, error) {
	text, err := apkindex(r)
	if err != nil {
		return nil, err
	}
	dir := path.Dir(index) + "/"
	out := map[string]blob.Expect{}
	var name, version, checksum string
	size := int64(-1)
	flush := func() {
		if name != "" && version != "" && !strings.ContainsAny(name+version, "/") {
			e := blob.Expect{Size: size}
			if want, ok := q1(checksum); ok {
				e.Check = func() blob.Check { return &controlCheck{want: want} }
			}
			out[dir+name+"-"+version+".apk"] = e
		}
		name, version, checksum, size = "", "", "", -1
	}
	sc := bufio.NewScanner(bytes.NewReader(text))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		switch {
		case !ok:
			flush()
		case k == "P":
			name = v
		case k == "V":
			version = v
		case k == "C":
			checksum = v
		case k == "S":
			if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
				size = n
			}
		}
	}
	flush()
	return out, sc.Err()
}

func q1(c string) ([]byte, bool) {
	b64, ok := strings.CutPrefix(c, "Q1")
	if !ok {
		return nil, false
	}
	b, err := base64.StdEncoding.DecodeString(b64)
	return b, err == nil && len(b) == sha1.Size
}

// apkindex finds the APKINDEX file in an index: a signed one is a
// signature member followed by the index member, so members are read one
// at a time.
func apkindex(r io.Reader) ([]byte, error) {
	br := bufio.NewReader(r)
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, err
	}
	for {
		zr.Multistream(false)
		tr := tar.NewReader(zr)
		for {
			h, err := tr.Next()
			if err != nil {
				break // this member's tar ends (abuild cuts the end blocks)
			}
			if h.Name == "APKINDEX" {
				return io.ReadAll(io.LimitReader(tr, 256<<20))
			}
		}
		io.Copy(io.Discard, zr)
		if err := zr.Reset(br); err != nil {
			if errors.Is(err, io.EOF) {
				return nil, errors.New("no APKINDEX in the index")
			}
			return nil, err
		}
	}
}

// maxControl bounds how much of a package is kept to find its control
// segment: the signature and control members come first and are small.
const maxControl = 4 << 20

// controlCheck verifies the sha1 of a package's control member (the first
// gzip member whose tar is not a signature).
type controlCheck struct {
	want []byte
	head []byte
}

func (c *controlCheck) Write(p []byte) (int, error) {
	if room := maxControl - len(c.head); room > 0 {
		c.head = append(c.head, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (c *controlCheck) Verify() error {
	br := bytes.NewReader(c.head)
	for start := 0; br.Len() > 0; start = len(c.head) - br.Len() {
		zr, err := gzip.NewReader(br) // bytes.Reader is a ByteReader: no read-ahead past the member
		if err != nil {
			return fmt.Errorf("control segment: %w", err)
		}
		zr.Multistream(false)
		signature := false
		tr := tar.NewReader(zr)
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			signature = signature || strings.HasPrefix(h.Name, ".SIGN.")
		}
		if _, err := io.Copy(io.Discard, zr); err != nil {
			return fmt.Errorf("control segment: %w", err)
		}
		if signature {
			continue
		}
		sum := sha1.Sum(c.head[start : len(c.head)-br.Len()])
		if !bytes.Equal(sum[:], c.want) {
			return errors.New("control segment sha1 differs from the index's C: field")
		}
		return nil
	}
	return errors.New("no control segment in the first 4 MB")
}
