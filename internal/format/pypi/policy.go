package pypi

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"golang.org/x/net/html"

	"github.com/artifactapi/artifactapi/internal/format"
	"github.com/artifactapi/artifactapi/internal/format/jsonstream"
	"github.com/artifactapi/artifactapi/internal/format/release"
)

// Fields implements format.Configurable: pypi remotes take a release
// policy.
func (Type) Fields() []format.Field { return release.Fields() }

// Configure implements format.Configurable; names compare normalised.
func (Type) Configure(raw map[string]json.RawMessage) (any, error) {
	return release.Configure(raw, Normalize)
}

// fileRelease names the project and version of a distribution file name,
// dated by the project's JSON page (PEP 700 upload-time, per file).
func fileRelease(file string) (format.Release, bool) {
	file = strings.TrimSuffix(file, ".metadata")
	var name, version string
	if strings.HasSuffix(file, ".whl") || strings.HasSuffix(file, ".egg") {
		parts := strings.Split(file, "-")
		if len(parts) < 3 {
			return format.Release{}, false
		}
		name, version = parts[0], parts[1]
	} else {
		base := file
		for _, ext := range distExts {
			base = strings.TrimSuffix(base, ext)
		}
		for i := 1; i < len(base)-1; i++ {
			if base[i] == '-' && base[i+1] >= '0' && base[i+1] <= '9' {
				name, version = base[:i], base[i+1:]
				break
			}
		}
		if name == "" {
			return format.Release{}, false
		}
	}
	project := Normalize(name)
	return format.Release{Package: project, Version: version, Key: file, DatedIn: []string{"simple/" + project + "/" + asJSON}}, true
}

// Release implements format.Releases.
func (Type) Release(p string) (format.Release, bool) {
	if _, ok := page(p); ok || !isDist(p) {
		return format.Release{}, false
	}
	return fileRelease(path.Base(p))
}

// Dates implements format.Releases: upload-time of each file of a JSON
// page, by file name. An HTML page dates nothing.
func (Type) Dates(_ string, r io.Reader) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	br := bufio.NewReaderSize(r, 64<<10)
	if !isJSON(br) {
		return out, nil
	}
	err := eachPageFile(br, func(f pageFile) {
		if t, err := time.Parse(time.RFC3339, f.UploadTime); err == nil {
			out[f.Filename] = t
		}
	})
	return out, err
}

type pageFile struct {
	Filename   string `json:"filename"`
	UploadTime string `json:"upload-time"`
}

// eachPageFile reads the files of a JSON page.
func eachPageFile(r io.Reader, each func(pageFile)) error {
	dec := jsontext.NewDecoder(r, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	return jsonstream.Members(dec, func(key string) error {
		if key != "files" {
			return dec.SkipValue()
		}
		return jsonstream.Elements(dec, func() error {
			raw, err := dec.ReadValue()
			if err != nil {
				return err
			}
			var f pageFile
			if json.Unmarshal(raw, &f) == nil {
				each(f)
			}
			return nil
		}, nil)
	}, nil)
}

// Filtered implements format.Releases: both representations of a page.
func (Type) Filtered(p string) bool {
	_, ok := page(p)
	return ok && isPage(p)
}

// Filter implements format.Releases: a refused file leaves the page (and
// a version none of whose files is left leaves the JSON page's versions).
func (Type) Filter(p string, doc func() (io.ReadCloser, error), w io.Writer, j format.Judge) error {
	project, _ := page(p)
	allow := func(file string) bool {
		rel, ok := fileRelease(file)
		if !ok {
			return true // not a distribution the policy can name
		}
		rel.Package = project
		return j.Allow(rel)
	}
	rc, err := doc()
	if err != nil {
		return err
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 64<<10)
	if !isJSON(br) {
		return filterHTML(br, w, allow)
	}
	// The files are judged first: versions may come before them.
	allowed := map[string]bool{}
	left := map[string]bool{} // versions with a file left
	seen := map[string]bool{}
	if err := eachPageFile(br, func(f pageFile) {
		ok := allow(f.Filename)
		allowed[f.Filename] = ok
		if rel, parsed := fileRelease(f.Filename); parsed {
			seen[rel.Version] = true
			left[rel.Version] = left[rel.Version] || ok
		}
	}); err != nil {
		return err
	}
	rc2, err := doc()
	if err != nil {
		return err
	}
	defer rc2.Close()
	return jsonstream.Edit(rc2, w, func(key string, dec *jsontext.Decoder, enc *jsontext.Encoder) (bool, error) {
		switch key {
		case "files":
			return true, jsonstream.KeepElements(key, dec, enc, func(raw jsontext.Value) bool {
				var f pageFile
				return json.Unmarshal(raw, &f) != nil || allowed[f.Filename] || !hasKey(allowed, f.Filename)
			})
		case "versions":
			return true, jsonstream.KeepElements(key, dec, enc, func(raw jsontext.Value) bool {
				var v string
				return json.Unmarshal(raw, &v) != nil || !seen[v] || left[v]
			})
		}
		return false, nil
	})
}

func hasKey(m map[string]bool, k string) bool { _, ok := m[k]; return ok }

// filterHTML copies a PEP 503 page without the anchors of refused files.
func filterHTML(r io.Reader, w io.Writer, allow func(file string) bool) error {
	z := html.NewTokenizer(r)
	bw := bufio.NewWriterSize(w, 64<<10)
	skipping := false
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if errors.Is(z.Err(), io.EOF) {
				return bw.Flush()
			}
			return z.Err()
		case html.StartTagToken:
			name, _ := z.TagName()
			if string(name) == "a" {
				if href, ok := hrefOf(z); ok && !allow(fileOf(href)) {
					skipping = true
					continue
				}
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); string(name) == "a" && skipping {
				skipping = false
				continue
			}
		}
		if !skipping {
			bw.Write(z.Raw())
		}
	}
}

func hrefOf(z *html.Tokenizer) (string, bool) {
	for {
		k, v, more := z.TagAttr()
		if string(k) == "href" {
			return string(v), true
		}
		if !more {
			return "", false
		}
	}
}

// fileOf is the file name a link names.
func fileOf(href string) string {
	if u, err := url.Parse(href); err == nil {
		href = u.Path
	}
	name, _ := url.PathUnescape(path.Base(href))
	return name
}
